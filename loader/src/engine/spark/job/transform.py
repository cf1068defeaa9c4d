"""pipewarden's Spark engine job: the inline engine's record splitting, header mapping and
normalization (the rules of any dataset, read at run time from its resolved spec: the
JSON of core's ResolvedSpec, which the loader writes beside the job's output), run in
parallel.

    spark-submit transform.py --spec RESOLVED_SPEC.json --input FILE_OR_URI \
        --output STAGING_DIR [--name OBJECT] [--final-newline yes|no] [--max-partition-bytes N] \
        [--max-record-bytes N] [--wait-for-input] [--parquet PLAN.json]

Output: text part files in STAGING_DIR (a local folder, or a Hadoop URI such as s3a://bucket/
prefix when the loader shares no disk with the cluster), one line per input record, in
ordinal order inside each part (each part holds a contiguous range of ordinals):

    ordinal \t line \t K \t oddity column indexes (comma-separated) \t the row as encodeTsvLine writes it
    ordinal \t line \t R \t reason \t base64(raw bytes) \t base64(detail)

plus Spark's _SUCCESS marker and _pipewarden.json (a summary). Ordinals count data records
as the inline engine does: the header and blank lines are not records. One-pass parts
(numbers local to the part) begin with "#\t<block start>" and end with a trailer line,
"#\tend\t<block end>\t<lines>\t<records>\t<tail>", so the loader can read each part as
soon as its task commits, before the job ends.

Per partition, the simple lines are normalized over whole Arrow arrays (pwvec.py) and
the others line by line (pwnorm.py); see vector_partition().

How records get their ordinals and line numbers under Spark: Spark's text source splits
the file into byte ranges and hands each task whole lines (lineSep "\\n", so a CR stays in
the line, as in the inline splitter). A quoted field may hold newlines, so a record can
start in one partition and end in the next. Phase 1 splits every partition on its own,
assuming it starts at a record boundary, and reports its line count, record count and the
bytes of an unfinished last record (the "tail"; empty unless a quote is open at the end).
The driver chains the partitions: the tail of one is prepended to the next, and only when
a tail exists does the driver re-split that partition (fetching its lines) to learn its
true counts. That gives each partition its exact first line number and first ordinal, and
phase 2 normalizes all partitions in parallel with them.

Memory: no Python worker and not the driver ever holds a line longer than line_cap()
bytes. The JVM hands Python each line cut to that length, with its true length; a cut
line is over the record limit, and the splitter makes it one csv_error record whose
detail counts its true length (pwcsv.parse_bounded). A record still open when the limit
is passed is decided then, so no carried-over tail exceeds the limit either.
"""
import argparse
import base64
import json
import os
import re
import shutil
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import pwcsv  # noqa: E402
import pwnorm  # noqa: E402
import pwvec  # noqa: E402

OUT_BATCH = 8192


def progress(**fields):
    """A line the loader parses (loader/src/engine/spark/process.ts) to report progress."""
    sys.stderr.write("PIPEWARDEN_PROGRESS " + json.dumps(fields) + "\n")
    sys.stderr.flush()


def fail(message):
    sys.stderr.write("PIPEWARDEN_ERROR " + message.replace("\n", " ") + "\n")
    sys.stderr.flush()
    sys.exit(2)


def parse_args(argv):
    p = argparse.ArgumentParser(description="pipewarden Spark engine: CSV -> normalized TSV parts")
    p.add_argument("--spec", required=True, help="the dataset's resolved spec (JSON of core's ResolvedSpec)")
    p.add_argument("--name", help="the object's name in error messages (default: --input)")
    p.add_argument("--input", required=True, help="CSV file path or Hadoop URI (file:, s3a:, hdfs:)")
    p.add_argument("--output", required=True, help="staging directory (must not exist)")
    p.add_argument("--final-newline", choices=["yes", "no"], default="yes", help="whether the input's last byte is LF")
    p.add_argument("--max-partition-bytes", type=int, default=32 << 20)
    p.add_argument("--max-record-bytes", type=int, default=pwcsv.MAX_RECORD_BYTES)
    p.add_argument("--parquet", help="the input is a Parquet file; this is its plan (JSON: header, columns read, how each renders)")
    p.add_argument("--wait-for-input", action="store_true",
                   help="the input (a local file) is still being downloaded: wait for it to appear")
    return p.parse_args(argv)


def line_cap(max_record_bytes):
    """Bytes of a line the JVM hands to Python: enough to cut an over-long record (the
    limit + 1) and to look for the first line end of the file (pwcsv.LINE_END_PROBE)."""
    return max(max_record_bytes + 1, pwcsv.LINE_END_PROBE)


def join_lines(lines, cut, head=b"", final_newline=True):
    """The bytes the splitter reads for `lines` (each followed by LF, the last one only if
    final_newline), after `head`; and, for the lines in `cut` ({index: true length}, lines
    the JVM cut to line_cap()), {offset in those bytes: true length} for pwcsv.parse_bounded."""
    data = head + b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    long_lines = {}
    if cut:
        offset = len(head)
        for i, ln in enumerate(lines):
            if i in cut:
                long_lines[offset] = cut[i]
            offset += len(ln) + 1
    return data, long_lines


def check_top(first, first_len, more):
    """Refuse lone-CR line ends (pwcsv.check_line_ends) from the file's first line as the
    JVM hands it over (cut to line_cap(), which holds the whole probe), its true length, and
    whether a line end follows it."""
    head = first + b"\n" if more and first_len == len(first) else first
    pwcsv.check_line_ends(head, not more)


def first_record(row, max_record_bytes):
    """The record the file's first line (a row of `lines`: v, n) starts, or None when it
    spans lines."""
    v, n = row["v"], row["n"]
    r = pwcsv.parse_bounded(v + b"\n", 0, False, max_record_bytes, {0: n} if n > len(v) else None)
    return None if r is None else r[0]


def summarize(data, eof, max_record_bytes, long_lines=None):
    """Counts of one run of bytes split from a record boundary (see the module doc)."""
    sp = pwcsv.split_records(data, eof, max_record_bytes, long_lines)
    n_all = n_blank = 0
    first = None
    for rec, _ in sp:
        if first is None:
            first = rec
        n_all += 1
        if rec.is_blank():
            n_blank += 1
    return {
        "n_all": n_all,
        "n_blank": n_blank,
        # The header's text as the inline engine decodes it (invalid bytes -> U+FFFD).
        "first_fields": None if first is None else [f.decode("utf-8", "replace") for f in first.fields],
        "first_blank": first is not None and first.is_blank(),
        "tail_pos": -1 if sp.tail is None else sp.tail[0],
        "tail_line": -1 if sp.tail is None else sp.tail[1],
    }


# A line that is, by itself, one complete well-formed record: fields either quoted (""
# escapes, closed before a comma or the line end) or unquoted (not starting with a quote).
# Such a line, met at a record boundary, is exactly what the splitter would cut there.
_ONE_LINE_RECORD = re.compile(rb'(?:"(?:[^"]|"")*"|(?!")[^,]*)(?:,(?:"(?:[^"]|"")*"|(?!")[^,]*))*\r?')
_BLANK = (b"", b"\r", b'""', b'""\r')


def summarize_lines(lines, cut, max_record_bytes):
    """summarize() of join_lines(lines, cut) (eof False), faster: lines that are one-line
    records are counted without being split (so is a line over the limit: one csv_error
    record); the splitter takes over from the first line that is not, until it is back at
    a record boundary."""
    n = len(lines)
    data = None
    offsets = None
    n_all = n_blank = 0
    first_fields = None
    first_blank = False
    i = 0
    while i < n:
        line = lines[i]
        if i > 0 and (b'"' not in line or len(line) > max_record_bytes or _ONE_LINE_RECORD.fullmatch(line)):
            n_all += 1
            if line in _BLANK:
                n_blank += 1
            i += 1
            continue
        if data is None:
            data, long_lines = join_lines(lines, cut)
            offsets = [0]
            for ln in lines:
                offsets.append(offsets[-1] + len(ln) + 1)
        r = pwcsv.parse_bounded(data, offsets[i], False, max_record_bytes, long_lines)
        if r is None:
            return {"n_all": n_all, "n_blank": n_blank, "first_fields": first_fields, "first_blank": first_blank,
                    "tail_pos": offsets[i], "tail_line": i, "data": data}
        rec, _ = r
        if i == 0:
            first_fields = [f.decode("utf-8", "replace") for f in rec.fields]
            first_blank = rec.is_blank()
        n_all += 1
        if rec.is_blank():
            n_blank += 1
        i += rec.lines
    return {"n_all": n_all, "n_blank": n_blank, "first_fields": first_fields, "first_blank": first_blank,
            "tail_pos": -1, "tail_line": -1, "data": data}


def make_scan(max_record_bytes):
    import pyarrow as pa

    def scan(batches):
        block, _, lines, cut = _lines_array(batches)
        if block is None:
            return
        lines = lines.to_pylist()
        s = summarize_lines(lines, cut, max_record_bytes)
        data = s["data"]
        yield pa.RecordBatch.from_pydict({
            "b": [block],
            "n_lines": [len(lines)],
            "n_all": [s["n_all"]],
            "n_blank": [s["n_blank"]],
            "first": [None if s["first_fields"] is None else json.dumps(s["first_fields"])],
            "first_blank": [s["first_blank"]],
            "tail_line": [s["tail_line"]],
            "tail": [b"" if s["tail_pos"] < 0 else data[s["tail_pos"]:]],
        })
    return scan


# A line whose parse, from a record boundary, ends inside an open quoted field: complete
# fields each followed by a comma, then a quote that is never closed. Only such a line
# makes a record span lines (every other line is a record by itself, well-formed or not).
# Java regex syntax for rlike: \z is the very end (Java's $ also matches before a final \r).
# Possessive quantifiers: each field can be read only one way, so no backtracking.
OPEN_AT_LINE_END = r'^(?:(?:"(?:[^"]|"")*+"|(?!")[^,]*+),)*+"(?:[^"]|"")*+\z'


def quick_scan(text, head, max_record_bytes, F):
    """Partition summaries computed in the JVM, without Python workers, for the common
    case: no line anywhere leaves a quoted field open, so every line is one record. Returns
    None when some line does, and the splitting scan has to run."""
    rows = (
        text.select(F.input_file_block_start().alias("b"), F.col("value").alias("s"))
        .groupBy("b")
        .agg(
            F.count(F.lit(1)).alias("n_lines"),
            F.sum(F.col("s").isin("", "\r", '""', '""\r').cast("int")).alias("n_blank"),
            F.sum(((F.instr(F.col("s"), '"') > 0) & F.col("s").rlike(OPEN_AT_LINE_END)).cast("int")).alias("n_open"),
        )
        .collect()
    )
    if not rows or any(r["n_open"] for r in rows):
        return None
    header = None
    first_blank = False
    if head:
        rec = first_record(head[0], max_record_bytes)  # one line: no quote is left open
        header = json.dumps([f.decode("utf-8", "replace") for f in rec.fields])
        first_blank = rec.is_blank()
    return [
        {"b": r["b"], "n_lines": r["n_lines"], "n_all": r["n_lines"], "n_blank": r["n_blank"],
         "first": header if r["b"] == 0 else None, "first_blank": first_blank if r["b"] == 0 else False,
         "tail_line": -1, "tail": b""}
        for r in rows
    ]


SCAN_SCHEMA = "b long, n_lines long, n_all long, n_blank long, first string, first_blank boolean, tail_line long, tail binary"


def plan_partitions(summaries, fetch, final_newline, max_record_bytes):
    """Chain the partitions (sorted by block start): each one's starting line, ordinal,
    carried-over bytes, and which one holds the header. Returns (plan, header, last block)."""
    parts = sorted((s for s in summaries if s["n_lines"] > 0), key=lambda s: s["b"])
    plan = {}
    line = 1
    ordinal = 1
    pend = None  # (bytes, first line number) of a record that continues into the next partition
    header = None
    for idx, s in enumerate(parts):
        last = idx == len(parts) - 1
        base_line = pend[1] if pend else line
        plan[s["b"]] = {
            "pend": pend[0] if pend else b"",
            "base_line": base_line,
            "base_ordinal": ordinal,
            "header_here": header is None,
        }
        if last:
            if header is None:
                data, long_lines = join_lines(*fetch(s["b"]), pend[0] if pend else b"", final_newline)
                info = summarize(data, True, max_record_bytes, long_lines)
                header = info["first_fields"]
            break
        if pend is None:
            info = dict(s)
            info["first_fields"] = None if s["first"] is None else json.loads(s["first"])
            tail = s["tail"]
        else:
            # A record crossed into this partition: split it again with the carried-over bytes.
            data, long_lines = join_lines(*fetch(s["b"]), pend[0])
            info = summarize(data, False, max_record_bytes, long_lines)
            tail = b"" if info["tail_pos"] < 0 else data[info["tail_pos"]:]
        countable = info["n_all"] - info["n_blank"]
        if header is None and info["n_all"] > 0:
            header = info["first_fields"]
            if not info["first_blank"]:
                countable -= 1
        ordinal += countable
        line += s["n_lines"]
        pend = (tail, base_line + info["tail_line"]) if info["tail_line"] >= 0 else None
    last_block = parts[-1]["b"] if parts else None
    return plan, header, last_block


class RecordBodies:
    """A partition's output texts, record by record, and what it counts on the way:
        K \t oddity column indexes \t the row as encodeTsvLine writes it
        R \t reason \t base64(raw bytes) \t base64(detail)
    The caller puts the ordinal and line number in front."""

    def __init__(self, norm, header_error, ncols):
        self.norm = norm
        self.header_error = header_error
        self.kept = self.rejected = 0
        self.reasons = {}
        self.oddities = [0] * ncols

    def body(self, rec):
        """The body of a CSV record (pwcsv.Record)."""
        if rec.error is not None:
            return self.rejected_body("csv_error", rec.raw, rec.error)
        if self.norm is None:
            return self.rejected_body("bad_header", rec.raw, self.header_error)
        try:
            text = rec.raw.decode("utf-8")
        except UnicodeDecodeError:
            return self.rejected_body("invalid_utf8", rec.raw)
        if b'"' in rec.raw:
            fields = [f.decode("utf-8") for f in rec.fields]
        else:
            fields = text.split(",")  # the fast path split the same bytes on commas
        return self.normalized_body(rec.raw, fields)

    def fields_body(self, raw, fields, latin1_raw):
        """The body of a row given as its fields' bytes (a Parquet row), `raw` the CSV line its
        dead letter keeps (pwparquet.csv_line: Latin-1 read when a field is not UTF-8)."""
        if self.norm is None:
            return self.rejected_body("bad_header", raw, self.header_error)
        try:
            texts = [f.decode("utf-8") for f in fields]
        except UnicodeDecodeError:
            return self.rejected_body("invalid_utf8", latin1_raw(fields))
        return self.normalized_body(raw, texts)

    def normalized_body(self, raw, fields):
        tsv, odd = self.norm.normalize(fields)
        if tsv is not None:
            for i in odd:
                self.oddities[i] += 1
            self.kept += 1
            return "K\t%s\t%s" % (",".join(map(str, odd)), tsv)
        detail = "%d fields, header has %d" % (len(fields), self.norm.field_count) if odd == "column_count" else None
        return self.rejected_body(odd, raw, detail)

    def rejected_body(self, reason, raw, detail=None):
        self.rejected += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        return "R\t%s\t%s\t%s" % (reason, _b64(raw), _b64((detail or "").encode("utf-8")))

    def stats(self, parts):
        return {"kept": self.kept, "rejected": self.rejected, "reasons": self.reasons, "oddities": self.oddities, "parts": parts}


def _b64(b):
    return base64.b64encode(b).decode("ascii")


def _lines_array(batches):
    """(block start, block end, binary array of the partition's lines, {index: true length}
    of the lines the JVM cut to line_cap()) from mapInArrow batches of `lines` (b, v, e, n)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    batches = [b for b in batches if b.num_rows > 0]
    if not batches:
        return None, None, None, None
    lines = pa.concat_arrays([b.column(1) for b in batches])
    lengths = np.concatenate([b.column(3).to_numpy() for b in batches])
    cut = {int(i): int(lengths[i]) for i in np.flatnonzero(lengths > pc.binary_length(lines).to_numpy())}
    return batches[0].column(0)[0].as_py(), batches[0].column(2)[0].as_py(), lines, cut


def trailer(block_end, n_lines, n_records, tail):
    """The last line of a one-pass part: what a reader following the job needs to go on to
    the next part before the job ends (where it starts, the lines and records to add to
    its local numbers) and whether the partition ended inside a record (then the job
    redoes the file by the splitting path, and the reader waits for that)."""
    return "#\tend\t%d\t%d\t%d\t%d" % (block_end, n_lines, n_records, 1 if tail else 0)


def vector_partition(block, lines, cut, vec, bodies, max_record_bytes):
    """One partition of the one-pass output, the simple lines normalized by pwvec (whole
    arrays at a time) and the others one by one by pwnorm. Valid only when every line is a
    record by itself: returns None, having counted nothing, when a line leaves a quoted
    field open (a record spans lines), for the splitting path to take the partition."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    first = 1 if block == 0 else 0  # the file's first line is the header: not a record
    body_lines = lines.slice(first)
    # A line over the limit is a csv_error record, whatever its shape.
    simple, vec_bodies, vec_odd = vec.normalize(body_lines, pc.less_equal(pc.binary_length(body_lines), max_record_bytes))
    n = len(body_lines)
    is_record = simple.to_numpy(zero_copy_only=False).copy()
    others = [None] * n
    for i in np.flatnonzero(~is_record):
        raw = body_lines[int(i)].as_py()
        true_len = cut.get(int(i) + first)
        r = pwcsv.parse_bounded(raw + b"\n", 0, False, max_record_bytes, None if true_len is None else {0: true_len})
        if r is None:
            return None  # an open quoted field: this line's record goes on in the next ones
        rec = r[0]
        if rec.is_blank():
            continue  # blank lines are not records
        is_record[i] = True
        others[i] = rec
    # Counted only now that the partition is known to qualify.
    for i, rec in enumerate(others):
        if rec is not None:
            others[i] = bodies.body(rec)
    bodies.kept += len(vec_bodies)
    bodies.oddities = [a + b for a, b in zip(bodies.oddities, vec_odd)]
    text = pc.replace_with_mask(pa.array(others, pa.string()), simple, vec_bodies)
    ordinals = np.cumsum(is_record)
    line_numbers = np.arange(first + 1, first + n + 1)
    keep = pa.array(is_record)
    out = pc.binary_join_element_wise(
        pc.cast(pa.array(ordinals).filter(keep), pa.string()),
        pc.cast(pa.array(line_numbers).filter(keep), pa.string()),
        pc.filter(text, keep), "\t")
    header = pa.array(["#\t%d" % block], pa.string())
    return pa.concat_arrays([header, out]), len(lines), int(ordinals[-1]) if n else 0


def make_transform(spec, plan, header_fields, last_block, final_newline, max_record_bytes, acc):
    import pyarrow as pa

    header_error = None
    norm = None
    vec = None
    if header_fields is not None:
        try:
            hmap = pwnorm.map_header(spec, header_fields)
            norm = pwnorm.Normalizer(spec, hmap)
            vec = pwvec.VectorNormalizer(spec, hmap)
        except pwnorm.HeaderError as e:
            header_error = pwnorm.utf16_prefix(str(e), 255)  # the inline engine's slice(0, 255)
    ncols = len(spec["columns"])

    def transform(batches):
        block, block_end, lines, cut = _lines_array(batches)
        if block is None:
            return
        bodies = RecordBodies(norm, header_error, ncols)
        if plan is None and vec is not None:
            done = vector_partition(block, lines, cut, vec, bodies, max_record_bytes)
            if done is not None:
                out, n_lines, n_records = done
                for k in range(0, len(out), OUT_BATCH):
                    yield pa.RecordBatch.from_arrays([out.slice(k, OUT_BATCH)], ["value"])
                yield pa.RecordBatch.from_pydict({"value": [trailer(block_end, n_lines, n_records, False)]})
                acc.add(bodies.stats({block: [n_lines, n_records, False]}))
                return
        lines = lines.to_pylist()
        if plan is None:
            # Optimistic pass: every partition starts at a record boundary; numbers are
            # local (from 1) and the loader adds each partition's offsets afterwards.
            p = {"pend": b"", "base_line": 1, "base_ordinal": 1, "header_here": block == 0}
            last = False
        else:
            p = plan[block]
            last = block == last_block
        data, long_lines = join_lines(lines, cut, p["pend"], not last or final_newline)
        out = [] if plan is not None else ["#\t%d" % block]
        skip_header = p["header_here"]
        ordinal = p["base_ordinal"]
        base_line = p["base_line"]
        sp = pwcsv.split_records(data, last, max_record_bytes, long_lines)
        for rec, off in sp:
            if skip_header:
                skip_header = False
                continue
            if rec.is_blank():
                continue  # blank lines are not records
            out.append("%d\t%d\t%s" % (ordinal, base_line + off, bodies.body(rec)))
            ordinal += 1
            if len(out) >= OUT_BATCH:
                yield pa.RecordBatch.from_pydict({"value": out})
                out = []
        n_records = ordinal - p["base_ordinal"]
        if plan is None:
            out.append(trailer(block_end, len(lines), n_records, sp.tail is not None))
        if out:
            yield pa.RecordBatch.from_pydict({"value": out})
        acc.add(bodies.stats({block: [len(lines), n_records, sp.tail is not None]}))

    return transform


def run(args):
    t0 = time.time()
    spec = pwnorm.load_spec(args.spec)  # fail before starting a JVM if the spec is unreadable
    from pyspark.accumulators import AccumulatorParam
    from pyspark.sql import SparkSession, functions as F

    class StatsParam(AccumulatorParam):
        def zero(self, value):
            return {"kept": 0, "rejected": 0, "reasons": {}, "oddities": [0] * len(spec["columns"]), "parts": {}}

        def addInPlace(self, a, b):
            a["kept"] += b["kept"]
            a["rejected"] += b["rejected"]
            for k, v in b["reasons"].items():
                a["reasons"][k] = a["reasons"].get(k, 0) + v
            a["oddities"] = [x + y for x, y in zip(a["oddities"], b["oddities"])]
            a["parts"].update(b["parts"])
            return a

    stats_param = StatsParam()
    spark = SparkSession.builder.appName("pipewarden-transform").getOrCreate()
    sc = spark.sparkContext
    for mod in ("pwcsv.py", "pwformat.py", "pwnorm.py", "pwvec.py", "pwparquet.py"):
        sc.addPyFile(os.path.join(HERE, mod))  # executors import these by name
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(args.max_partition_bytes))
    spark.conf.set("spark.sql.shuffle.partitions", "1")  # the scan aggregates one row per partition
    final_newline = args.final_newline == "yes"
    if args.wait_for_input:
        # The loader downloads the object while this JVM starts, and renames the file into
        # place when it is complete (it kills this job if the download fails).
        while not os.path.exists(args.input):
            time.sleep(0.05)

    if args.parquet:
        finish(spark, spec, args, t0, run_parquet(spark, spec, args, stats_param, F))
        return
    try:
        text = spark.read.option("lineSep", "\n").text(args.input)
    except Exception as e:  # AnalysisException: path does not exist, no FileSystem for scheme, …
        fail("cannot read input %s: %s" % (args.input, str(e).strip().splitlines()[0]))
    # Spark's text source already drops a UTF-8 BOM at the start of the file (Hadoop's
    # LineRecordReader), as the inline splitter does. The cast to binary keeps the line's
    # original bytes, so invalid UTF-8 reaches the dead letters unaltered. Python gets at
    # most line_cap() bytes of a line, and its true length (n).
    line = F.col("value").cast("binary")
    lines = text.select(F.input_file_block_start().alias("b"), F.substring(line, 1, line_cap(args.max_record_bytes)).alias("v"),
                        (F.input_file_block_start() + F.input_file_block_length()).alias("e"), F.length(line).alias("n"))
    # The file's first line (the header) and whether another follows it (perhaps in a later
    # partition: the first line may run past the end of the first one). Partitions are taken
    # in file order.
    head = lines.select("v", "n").limit(2).collect()
    if head:
        try:
            check_top(head[0]["v"], head[0]["n"], final_newline or len(head) > 1)
        except pwcsv.CsvFormatError as e:
            fail("%s: %s; convert its line ends to LF or CRLF (e.g. tr '\\r' '\\n') and load it again" % (args.name or args.input, e))

    result = None
    if final_newline:
        result = run_optimistic(spark, spec, args, lines, head, stats_param)
    if result is not None:
        finish(spark, spec, args, t0, result)
        return

    progress(phase="scan", state="start")
    summaries = quick_scan(text, head, args.max_record_bytes, F)
    method = "jvm"
    if summaries is None:
        method = "python"
        summaries = [r.asDict() for r in lines.mapInArrow(make_scan(args.max_record_bytes), SCAN_SCHEMA).collect()]
    t_scan = time.time()
    progress(phase="scan", state="done", method=method, partitions=len(summaries), seconds=round(t_scan - t0, 3))

    def fetch(block):
        """A partition's lines and the {index: true length} of those cut (join_lines)."""
        rows = lines.where(F.col("b") == block).select("v", "n").collect()
        return [r.v for r in rows], {i: r.n for i, r in enumerate(rows) if r.n > len(r.v)}

    plan, header, last_block = plan_partitions(summaries, fetch, final_newline, args.max_record_bytes)
    carried = sum(1 for p in plan.values() if p["pend"])
    acc = sc.accumulator(stats_param.zero(None), stats_param)
    bplan = sc.broadcast(plan)
    transform = make_transform(spec, bplan.value, header, last_block, final_newline, args.max_record_bytes, acc)

    progress(phase="transform", state="start", partitions=len(plan), carried=carried, header=header)
    lines.mapInArrow(transform, "value string").write.text(args.output)
    t_done = time.time()
    finish(spark, spec, args, t0, {
        "stats": acc.value, "header": header, "lines": sum(s["n_lines"] for s in summaries), "partitions": len(plan),
        "carried": carried, "scan": method, "offsets": None, "seconds": {"scan": round(t_scan - t0, 3), "transform": round(t_done - t_scan, 3)},
    })


# How Spark must read a Parquet file for the inline engine's texts: values as stored
# (no rebase of old dates, nanosecond timestamps as longs instead of an error), columns
# told apart by case, timestamps in UTC.
PARQUET_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.caseSensitive": "true",
    "spark.sql.legacy.parquet.nanosAsLong": "true",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
}


def run_parquet(spark, spec, args, stats_param, F):
    """A Parquet input, read by Spark's own reader: one pass, each partition a run of the
    file's rows numbered by `_metadata.row_index` (pwparquet.py)."""
    import pwparquet

    t0 = time.time()
    with open(args.parquet, "r", encoding="utf-8") as f:
        plan = json.load(f)
    for k, v in PARQUET_CONF.items():
        spark.conf.set(k, v)
    header = plan["header"]
    vec = None
    header_error = None
    try:
        hmap = pwnorm.map_header(spec, header)
        norm = pwnorm.Normalizer(spec, hmap)
        vec = pwvec.VectorNormalizer(spec, hmap)
    except pwnorm.HeaderError as e:
        norm = None
        header_error = pwnorm.utf16_prefix(str(e), 255)  # the inline engine's slice(0, 255)
    ncols = len(spec["columns"])
    try:
        df = spark.read.parquet(args.input)
    except Exception as e:  # AnalysisException: path does not exist, a type Spark cannot read, …
        fail("cannot read input %s: %s" % (args.name or args.input, str(e).strip().splitlines()[0]))

    def column(f):
        c = F.col("`%s`" % header[f].replace("`", "``"))
        # Text as bytes: a value that is not UTF-8 reaches the dead letters unaltered.
        return c.cast("binary") if plan["columns"][f]["kind"] == "text" else c

    rows = df.select(F.col("_metadata.row_index").alias("_pw_row"), *[column(f) for f in plan["read"]])
    acc = spark.sparkContext.accumulator(stats_param.zero(None), stats_param)
    transform = pwparquet.make_parquet_transform(plan, vec, lambda: RecordBodies(norm, header_error, ncols), trailer, OUT_BATCH, acc)
    progress(phase="transform", state="start", method="parquet", header=header)
    rows.mapInArrow(transform, "value string").write.text(args.output)
    stats = acc.value
    blocks = sorted(stats["parts"])
    return {"stats": stats, "header": header, "lines": plan["rows"], "partitions": len(blocks), "carried": 0, "scan": "none",
            "offsets": {str(b): [b, b] for b in blocks}, "seconds": {"scan": 0, "transform": round(time.time() - t0, 3)}}


def run_optimistic(spark, spec, args, lines, head, stats_param):
    """One pass, no scan: each partition is split on its own from its first line, with
    local numbers. Correct unless a record crosses a partition boundary, which the pass
    itself detects (a partition ending inside an open record): then its output is thrown
    away and None returned, for the scan + transform path. Needs the header up front, read
    from the file's first line, and a final newline (else the last record's end differs)."""
    t0 = time.time()
    if not head:
        return None
    rec = first_record(head[0], args.max_record_bytes)
    if rec is None:
        return None  # a header spanning lines: let the scan handle it
    header = [f.decode("utf-8", "replace") for f in rec.fields]
    acc = spark.sparkContext.accumulator(stats_param.zero(None), stats_param)
    transform = make_transform(spec, None, header, None, True, args.max_record_bytes, acc)
    # The header goes out first: a loader following the output needs it before any part.
    progress(phase="transform", state="start", method="one-pass", header=header)
    lines.mapInArrow(transform, "value string").write.text(args.output)
    stats = acc.value
    parts = sorted(stats["parts"].items())
    if any(tail for _, (_, _, tail) in parts):
        progress(phase="transform", state="retry", reason="a record spans a partition boundary")
        remove_tree(spark, args.output)
        return None
    offsets = {}
    o_ord = o_line = 0
    for block, (n_lines, n_records, _) in parts:
        offsets[str(block)] = [o_ord, o_line]
        o_ord += n_records
        o_line += n_lines
    t_done = time.time()
    return {"stats": stats, "header": header, "lines": o_line, "partitions": len(parts), "carried": 0, "scan": "none",
            "offsets": offsets, "seconds": {"scan": 0, "transform": round(t_done - t0, 3)}}


def _hadoop(spark, uri):
    """A Hadoop Path and its FileSystem (s3a://, hdfs://, ...), with the job's configuration."""
    path = spark.sparkContext._jvm.org.apache.hadoop.fs.Path(uri)
    return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def write_file(spark, directory, name, text):
    """A small file beside the output's parts: a local folder, or any Hadoop file system
    (the output on S3 through s3a when the loader does not share a disk with the job)."""
    if "://" not in directory:
        with open(os.path.join(directory, name), "w", encoding="utf-8") as f:
            f.write(text)
        return
    path, fs = _hadoop(spark, directory.rstrip("/") + "/" + name)
    out = fs.create(path, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def remove_tree(spark, directory):
    if "://" not in directory:
        shutil.rmtree(directory, ignore_errors=True)
        return
    path, fs = _hadoop(spark, directory)
    fs.delete(path, True)


def finish(spark, spec, args, t0, result):
    """Write the summary the loader reads (_pipewarden.json) and stop Spark."""
    stats = result["stats"]
    header = result["header"]
    header_error = None
    unknown = []
    if header is not None:
        try:
            unknown = pwnorm.map_header(spec, header).unknown
        except pwnorm.HeaderError as e:
            header_error = str(e)
    summary = {
        "version": 1,
        "input": args.input,
        "header": header or [],
        "header_error": header_error,
        "unknown_headers": unknown,
        "records": stats["kept"] + stats["rejected"],
        "kept": stats["kept"],
        "rejected": stats["rejected"],
        "rejected_by_reason": stats["reasons"],
        "oddities": {spec["columns"][i]["name"]: n for i, n in enumerate(stats["oddities"]) if n},
        "lines": result["lines"],
        "partitions": result["partitions"],
        "carried_records": result["carried"],
        "scan": result["scan"],
        # one-pass output: per part (by block start), what to add to its local ordinals and lines
        "offsets": result["offsets"],
        "seconds": result["seconds"],
    }
    write_file(spark, args.output, "_pipewarden.json", json.dumps(summary))
    progress(phase="transform", state="done", records=summary["records"], seconds=result["seconds"]["transform"])
    spark.stop()


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): (.+)$")


def explain(e):
    """One line saying why the job failed. A failure inside a Python worker reaches the
    driver as a Py4JJavaError whose text is a Java stack trace with the worker's Python
    traceback inside: the worker's own exception line is the one that explains it."""
    text = str(e).strip()
    if not text:
        return type(e).__name__
    for line in text.splitlines():
        m = _EXCEPTION_LINE.match(line.strip())
        if m and not m.group(1).startswith(("org.", "java.", "py4j.", "scala.")):
            return line.strip()
    return "%s: %s" % (type(e).__name__, text.splitlines()[0])


def main(argv):
    args = parse_args(argv)
    try:
        run(args)
    except SystemExit:
        raise
    except Exception as e:  # one clear line for the loader, the trace below it for a human
        traceback.print_exc()
        fail(explain(e))


if __name__ == "__main__":
    main(sys.argv[1:])
