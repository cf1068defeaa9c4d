"""The Spark engine's Parquet path. Spark's own Parquet reader hands over the rows with their
`_metadata.row_index` (their place in the file, whatever partition reads them); each value
becomes the text a CSV field would hold, exactly as the inline engine writes it (this is the
port of loader/src/engine/parquet/render.ts's rendererOf, driven by the RenderSpec per
column that the loader writes into the plan, --parquet); then the row goes through the same
rules as a CSV record: simple rows over whole arrays (pwvec), the others one by one (pwnorm).

Spark hands over values in its own types, not as stored: integers widened (unsigned ones
too: UINT_64 as DECIMAL(20,0)), decimals as Arrow decimals, timestamps as microseconds
(INT96 and millisecond ones included; TIMESTAMP(NANOS) as nanoseconds, read as longs with
spark.sql.legacy.parquet.nanosAsLong). The texts are the same because trailing zeros of a
fraction are never written. A file Spark wrote in its hybrid Julian calendar (Spark 2.x, or
LEGACY rebase mode) Spark reads with the same local dates, as the inline engine does (the
RenderSpec's `julian`, applied there by loader/src/engine/parquet/calendar.ts), so the values
arrive here rebased. Columns Spark cannot read at all (TIME, UUID, FLOAT16, INTERVAL,
decimals past 38 digits, duplicate names) are refused by the loader before a job starts. Spark keeps INT96 timestamps to the microsecond, so a sub-
microsecond INT96 fraction is the one value the engines write differently.

A partition is a run of consecutive row indexes (Spark gives each partition the row groups
whose middle lies in its split). Its part file is a one-pass part (transform.py) whose block
is its first row index: "#\\t<first row>", records numbered from 1 within it, then the
trailer "#\\tend\\t<row after its last>\\t<rows>\\t<rows>\\t0". A row's line number is its
row number, as in the inline engine's dead letters.
"""
from decimal import ROUND_HALF_UP, Context, Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


# JavaScript's Date holds ±8.64e15 ms; beyond, every field of a clock is NaN.
_JS_DATE_LIMIT_S = 8_640_000_000_000
_INF = float("inf")


class Clock:
    __slots__ = ("year", "month", "day", "hour", "minute", "second", "fraction")

    def __init__(self, year, month, day, hour, minute, second, fraction):
        self.year, self.month, self.day = year, month, day
        self.hour, self.minute, self.second = hour, minute, second
        self.fraction = fraction


def _pad(n, width=2):
    """String(n).padStart(width, '0'), NaN (None) included."""
    return ("NaN" if n is None else str(n)).rjust(width, "0")


def _civil(days):
    """(year, month, day) of a day count from 1970-01-01, proleptic Gregorian (H. Hinnant's algorithm)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if month <= 2 else 0), month, day


def clock_of(seconds, fraction):
    """render.ts clockOf(): the UTC clock of a second count."""
    if abs(seconds) > _JS_DATE_LIMIT_S:
        return Clock(None, None, None, None, None, None, fraction)
    days, sod = divmod(seconds, 86400)
    y, m, d = _civil(days)
    return Clock(y, m, d, sod // 3600, sod // 60 % 60, sod % 60, fraction)


def fraction_of(rest, digits):
    """render.ts fractionOf(): sub-second digits without trailing zeros ('' for none)."""
    return "" if rest == 0 else str(rest).rjust(digits, "0").rstrip("0")


def write(c, tokens, iso):
    """render.ts write(): the clock in the format's tokens, or ISO when they cannot hold it."""
    frac = "." + c.fraction if c.fraction else ""
    if tokens:
        kinds = {t["kind"] for t in tokens}
        if (((c.second or c.fraction) and "second" not in kinds) or (c.minute and "minute" not in kinds)
                or (c.hour and not kinds & {"hour24", "hour12"})):
            tokens = None
    if not tokens:
        date = "%s-%s-%s" % (_pad(c.year, 4), _pad(c.month), _pad(c.day))
        time = "%s:%s:%s%s" % (_pad(c.hour), _pad(c.minute), _pad(c.second), frac)
        return date if iso == "date" else time if iso == "time" else date + " " + time
    out = []
    for t in tokens:
        k = t["kind"]
        if k == "literal":
            out.append(t["text"])
        elif k == "year":
            out.append(_pad(c.year, 4))
        elif k in ("month", "day"):
            out.append(_pad(getattr(c, k), t["digits"]))
        elif k == "hour24":
            out.append(_pad(c.hour, t["digits"]))
        elif k == "hour12":
            out.append(_pad(None if c.hour is None else 12 if c.hour % 12 == 0 else c.hour % 12, t["digits"]))
        elif k == "minute":
            out.append(_pad(c.minute))
        elif k == "second":
            out.append(_pad(c.second))
        else:
            out.append("AM" if c.hour is not None and c.hour < 12 else "PM")
    return "".join(out) + frac


def js_plain(v):
    """plainNumber(String(v)) of a double: its shortest round-trip digits, never an exponent."""
    if v != v:
        return "NaN"
    if v in (_INF, -_INF):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0:
        return "0"  # String(-0) is "0"
    return format(Decimal(repr(v)).normalize(), "f")


def float32_text(v):
    """render.ts float32Text(): the shortest toPrecision(p) text that reads back as this float32."""
    if v != v or v in (_INF, -_INF):
        return js_plain(v)
    exact = Decimal(v)
    for p in range(1, 10):
        # toPrecision rounds the exact value, ties away from zero.
        f = float(Context(prec=p, rounding=ROUND_HALF_UP).plus(exact))
        if float(np.float32(f)) == v:
            return js_plain(f)
    return js_plain(v)


def decimal_text(d):
    """render.ts decimalText(): every digit, no exponent, no trailing zeros in the fraction
    (12.500 is written 12.5, 12.00 as 12). Arrow's own text has an exponent for small values."""
    s = format(d, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def _by_value(arr, fn):
    """fn over each distinct non-null value of arr, spread back (a string array, nulls kept)."""
    d = pc.dictionary_encode(arr)
    return pc.take(pa.array([fn(v) for v in d.dictionary.to_pylist()], pa.string()), d.indices)


def _clock_text(spec, seconds_fraction):
    tokens = spec.get("tokens")
    iso = spec["iso"]
    return lambda v: write(clock_of(*seconds_fraction(v)), tokens, iso)


def render(arr, spec):
    """One column's values (as Spark hands them over) as the binary texts rendererOf writes; NULL stays NULL."""
    kind = spec["kind"]
    t = arr.type
    if kind == "text":
        out = arr
    elif kind == "integer":
        out = pc.cast(arr, pa.string())
    elif kind == "decimal":
        out = _by_value(arr, decimal_text)
    elif kind == "float":
        out = _by_value(arr, float32_text if spec["float32"] else js_plain)
    elif kind == "boolean":
        yes, no = spec.get("booleans") or ("true", "false")
        out = pc.if_else(arr, yes, no)
    elif kind == "date":
        out = _by_value(pc.cast(arr, pa.int32()), _clock_text(spec, lambda d: (d * 86400, "")))
    elif kind == "timestamp":
        # Spark's timestamps are microseconds; TIMESTAMP(NANOS) comes as a long of nanoseconds.
        per, digits = (1_000_000, 6) if pa.types.is_timestamp(t) else (1_000_000_000, 9)
        out = _by_value(pc.cast(arr, pa.int64()), _clock_text(spec, lambda v: (v // per, fraction_of(v % per, digits))))
    else:
        raise ValueError("a %s column cannot be read through Spark" % kind)
    return pc.cast(out, pa.binary())


def _quoted(s):
    """render.ts csvLine()'s quoting of one field: with a comma, quote, CR or LF it is quoted, its quotes doubled."""
    return '"%s"' % s.replace('"', '""') if any(ch in s for ch in '",\r\n') else s


def csv_line(fields):
    """A row's fields (bytes) as the CSV line a dead letter keeps (row-writer.ts csvLine), as
    bytes; for a row with a field that is not UTF-8, latin1_line's."""
    try:
        return ",".join(_quoted(f.decode("utf-8")) for f in fields).encode("utf-8")
    except UnicodeDecodeError:
        return latin1_line(fields)


def latin1_line(fields):
    """The dead letter's line of a row with a field that is not UTF-8: its fields read as Latin-1 (row-writer.ts reject())."""
    return ",".join(_quoted(f.decode("latin-1")) for f in fields).encode("utf-8")


class ParquetRows:
    """The rows of one batch Spark hands over, as output lines (local ordinal, line, body)."""

    def __init__(self, plan, vec):
        self.plan = plan
        self.width = len(plan["header"])
        self.vec = vec  # None when the header does not map: every row is a bad_header dead letter

    def fields(self, batch):
        """Every field of the file, rendered (the ones the spec does not read are empty, as the inline engine leaves them)."""
        n = batch.num_rows
        empty = pa.array([b""] * n, pa.binary())
        out = [empty] * self.width
        for k, f in enumerate(self.plan["read"]):
            out[f] = pc.fill_null(render(batch.column(k + 1), self.plan["columns"][f]), b"")
        return out

    def bodies(self, batch, bodies):
        """Each row's body ("K\\t…" or "R\\t…"), counted into `bodies` (transform.RecordBodies)."""
        fields = self.fields(batch)
        n = batch.num_rows
        if self.vec is not None:
            taken, vec_bodies, vec_odd = self.vec.normalize_fields(fields)
            bodies.kept += len(vec_bodies)
            bodies.oddities = [a + b for a, b in zip(bodies.oddities, vec_odd)]
            taken = taken.to_numpy(zero_copy_only=False)
        else:
            taken, vec_bodies = np.zeros(n, np.bool_), pa.array([], pa.string())
        others = [None] * n
        rest = np.flatnonzero(~taken)
        if len(rest):
            # Only the rows pwvec did not take become Python values.
            at = pa.array(rest)
            columns = [pc.take(f, at).to_pylist() for f in fields]
            for k, i in enumerate(rest):
                row = [c[k] for c in columns]
                others[i] = bodies.fields_body(csv_line(row), row, latin1_line)
        return pc.replace_with_mask(pa.array(others, pa.string()), pa.array(taken), vec_bodies)


def make_parquet_transform(plan, vec, new_bodies, trailer, out_batch, acc):
    """The mapInArrow function of the Parquet path: batches (row index, the columns read) of
    one partition in, its one-pass part's lines out. new_bodies() makes a transform.RecordBodies;
    its stats go to the job's accumulator `acc`."""
    rows_of = ParquetRows(plan, vec)

    def transform(batches):
        block = None
        expect = 0
        bodies = new_bodies()
        for batch in batches:
            n = batch.num_rows
            if n == 0:
                continue
            index = batch.column(0).to_numpy()
            if block is None:
                block = expect = int(index[0])
                yield pa.RecordBatch.from_pydict({"value": ["#\t%d" % block]})
            if index[0] != expect or index[-1] != expect + n - 1 or (n > 1 and not np.all(np.diff(index) == 1)):
                raise RuntimeError("Spark handed a partition rows %d..%d after row %d: not one run of the file's rows" % (index[0], index[-1], expect - 1))
            local = pc.cast(pa.array(index - block + 1), pa.string())
            text = pc.binary_join_element_wise(local, local, rows_of.bodies(batch, bodies), "\t")
            expect += n
            for k in range(0, n, out_batch):
                yield pa.RecordBatch.from_arrays([text.slice(k, out_batch)], ["value"])
        if block is None:
            return  # an empty partition writes no part
        rows = expect - block
        yield pa.RecordBatch.from_pydict({"value": [trailer(expect, rows, rows, False)]})
        acc.add(bodies.stats({block: [rows, rows, False]}))

    return transform

