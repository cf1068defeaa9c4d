"""Record bounds: pwcsv.py and the job's line-based reading cut the same records as the
inline splitter around the record limit (over-long quoted and unquoted records, records
at exactly the limit, an endless last line) and refuse lone-CR line ends the same way.

The expected records are bounds_vectors.json, written by the inline splitter itself
(npx tsx loader/test/spark-job/bounds_vectors.ts); fields and raw bytes are compared by sha256.

    .venv/bin/python -m unittest discover -s loader/test/spark-job -p 'test_*.py'
"""
import hashlib
import json
import os
import unittest

import pyarrow as pa

import spark_job  # noqa: F401  (the job's folder on sys.path, first)
import pwcsv
import transform

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "bounds_vectors.json"), encoding="utf-8") as f:
    VECTORS = json.load(f)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def input_of(v):
    return b"".join(text.encode("latin1") * n for text, n in v["input"])


def as_vector(records):
    """pwcsv's (Record, line offset) pairs in the vectors' form."""
    return [{"fields": [sha(f) for f in rec.fields], "raw": sha(rec.raw), "rawBytes": len(rec.raw),
             "line": off + 1, "nextLine": off + 1 + rec.lines, "error": rec.error} for rec, off in records]


def job_lines(data, max_record_bytes):
    """The input as the job's Python code gets it from Spark's text source: lines without
    their LF, each cut to transform.line_cap() bytes ({index: true length} for those cut),
    and whether the last line had a line end."""
    final_newline = data.endswith(b"\n")
    lines = data.split(b"\n")
    if final_newline:
        lines.pop()
    cap = transform.line_cap(max_record_bytes)
    cut = {i: len(ln) for i, ln in enumerate(lines) if len(ln) > cap}
    return [ln[:cap] for ln in lines], cut, final_newline


class SplitterBoundsTest(unittest.TestCase):
    def test_vectors_cover_what_the_issue_names(self):
        names = {v["name"] for v in VECTORS}
        for name in ("unquoted line far over the limit", "unclosed quote on a line far over the limit",
                     "records at exactly the limit", "lone CR line ends"):
            self.assertIn(name, names)

    def test_pwcsv_cuts_the_inline_splitters_records(self):
        for v in VECTORS:
            with self.subTest(v["name"]):
                data = input_of(v)
                if "refused" in v:
                    with self.assertRaises(pwcsv.CsvFormatError) as e:
                        pwcsv.check_line_ends(data, True)
                    self.assertEqual(str(e.exception), v["refused"])
                    continue
                pwcsv.check_line_ends(data, True)
                self.assertEqual(as_vector(pwcsv.split_records(data, True, v["max"])), v["records"])

    def test_the_jobs_lines_cut_the_same_records(self):
        for v in VECTORS:
            with self.subTest(v["name"]):
                lines, cut, final_newline = job_lines(input_of(v), v["max"])
                more = final_newline or len(lines) > 1
                if "refused" in v:
                    with self.assertRaises(pwcsv.CsvFormatError) as e:
                        transform.check_top(lines[0], cut.get(0, len(lines[0])), more)
                    self.assertEqual(str(e.exception), v["refused"])
                    continue
                transform.check_top(lines[0], cut.get(0, len(lines[0])), more)
                data, long_lines = transform.join_lines(lines, cut, b"", final_newline)
                self.assertLessEqual(len(data), sum(len(ln) + 1 for ln in lines))
                self.assertEqual(as_vector(pwcsv.split_records(data, True, v["max"], long_lines)), v["records"])


class JobBoundsTest(unittest.TestCase):
    """Both ways through a partition (pwvec over whole arrays, and the splitter) give an
    over-long line the same dead letter, even when it has the header's field count."""

    def run_partition(self, lines, cut, vector, max_record_bytes):
        import test_specs
        spec = test_specs.spec()
        header = [c["header"] for c in spec["columns"]]
        out = []
        acc = type("Acc", (), {"add": lambda self, v: out.append(v)})()
        t = transform.make_transform(spec, None, header, None, True, max_record_bytes, acc)
        lines = [",".join(header).encode()] + lines
        cut = {i + 1: n for i, n in cut.items()}
        lengths = [cut.get(i, len(ln)) for i, ln in enumerate(lines)]
        n = len(lines)
        batch = pa.RecordBatch.from_arrays([pa.array([0] * n, pa.int64()), pa.array(lines, pa.binary()), pa.array([999] * n, pa.int64()),
                                            pa.array(lengths, pa.int64())], ["b", "v", "e", "n"])
        saved = transform.vector_partition
        if not vector:
            transform.vector_partition = lambda *a: None  # force the splitting path
        try:
            text = [v for b in t(iter([batch])) for v in b.column(0).to_pylist()]
        finally:
            transform.vector_partition = saved
        return text, out[0], len(header)

    def test_an_over_long_line_is_one_dead_letter_both_ways(self):
        import base64
        m = 2000
        cap = transform.line_cap(m)
        row = lambda k, width: (b"%d," % k) + b",".join([b"x" * width] * 42)  # noqa: E731 (43 fields)
        long_row = row(2, 100)  # 43 fields, over the limit: pwvec must not take it as a row
        endless = row(3, 3000)  # cut by the JVM to `cap` bytes
        lines = [row(1, 1), long_row, endless[:cap], row(4, 1)]
        results = [self.run_partition(lines, {2: len(endless)}, vector, m) for vector in (True, False)]
        self.assertEqual(results[0][0], results[1][0])
        text = results[0][0]
        self.assertEqual([t.split("\t")[2] for t in text[1:-1]], ["K", "R", "R", "K"])
        for t, raw, n in ((text[2], long_row, len(long_row) + 1), (text[3], endless, len(endless) + 1)):
            _, line, _, reason, raw64, detail64 = t.split("\t")
            self.assertEqual(reason, "csv_error")
            self.assertEqual(base64.b64decode(raw64), raw[:m])
            self.assertEqual(base64.b64decode(detail64).decode(), "record longer than %d bytes (%d bytes to its line end; its first %d kept)" % (m, n, m))
        self.assertEqual(text[-1], "#\tend\t999\t5\t4\t0")


if __name__ == "__main__":
    unittest.main()
