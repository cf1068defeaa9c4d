"""The normalization of core/src/record/normalize.ts over whole Arrow arrays of lines
(pyarrow.compute kernels, C++), for the lines that need nothing unusual. pwnorm.py, the
line-by-line port, costs about 30 microseconds per row in Python; this costs about one.

A line qualifies ("simple") when it is printable ASCII without a backslash, its fields
are either unquoted (no comma, no quote) or quoted without a quote inside, there are
exactly the header's number of them (an optional CR before the LF aside), and its key is
1 to 18 digits, not all zeros. On such a line a field's text is what the CSV splitter
would give, JavaScript's trim() removes spaces only, lengths are byte counts and nothing
needs TSV escaping: which is what makes the kernels below exact. Every other line (the
header, blank lines, a "" escape, non-ASCII, control characters, rejects) goes to
pwnorm.py, the reference for everything unusual. The parity tests check both against
the inline engine, byte for byte.

The rules come from the spec at run time, as in pwnorm.py.
"""
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL = "\\N"  # encodeTsvLine's NULL
# Printable ASCII (0x20-0x7e) without '"' and '\\': inside quotes, and (also without ',') outside.
_QUOTED = r'[\x20\x21\x23-\x5b\x5d-\x7e]*'
_UNQUOTED = r'[\x20\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]*'
_DAYS = pa.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int64())
_DATE = r'^(?:(?P<m1>[0-9]{2})/(?P<d1>[0-9]{2})/(?P<y1>[0-9]{4})|(?P<y2>[0-9]{4})(?P<m2>[0-9]{2})(?P<d2>[0-9]{2}))$'
_TIME = r'^(?P<h>[0-9]{2})(?P<m>[0-9]{2})(?P<x>[AaPp]?)$'


def line_pattern(field_count):
    """A regex matching a simple line of field_count fields."""
    field = '(?:"%s"|%s)' % (_QUOTED, _UNQUOTED)
    return "^" + ",".join([field] * field_count) + r"\r?$"


def split_fields(text, field_count):
    """The fields of simple lines (a string array), flat: row r's field j at r * field_count + j.
    A quoted field may hold commas, so quoted fields are first replaced by a marker, the line
    split on commas, and the markers replaced by the quoted texts in order."""
    if not pc.any(pc.match_substring(text, '"')).as_py():
        return pc.list_flatten(pc.split_pattern(text, ","))
    flat = pc.list_flatten(pc.split_pattern(pc.replace_substring_regex(text, '"[^"]*"', "\x01"), ","))
    # Splitting on quotes puts each quoted text at an odd position within its row.
    q = pc.split_pattern(text, '"')
    offsets = q.offsets.to_numpy()
    lengths = np.diff(offsets)
    position = np.arange(offsets[-1] - offsets[0]) - np.repeat(offsets[:-1] - offsets[0], lengths)
    quoted = pc.filter(pc.list_flatten(q), pa.array(position % 2 == 1))
    return pc.replace_with_mask(flat, pc.equal(flat, "\x01"), quoted)


def _int(s, ok):
    """s as int64 where ok, 0 elsewhere (a cast of a non-number would raise)."""
    return pc.cast(pc.if_else(ok, s, "0"), pa.int64())


def _between(n, lo, hi):
    return pc.and_(pc.greater_equal(n, lo), pc.less_equal(n, hi))


def _digits(s, lo, hi):
    """lo to hi ASCII digits (ascii_is_decimal is false for "")."""
    n = pc.binary_length(s)
    return pc.and_(pc.ascii_is_decimal(s), _between(n, lo, hi) if lo > 1 else pc.less_equal(n, hi))


def _cell(col, s):
    """(ok, value) arrays of one trimmed field per the column's rule; value is only read
    where ok (and the field not empty)."""
    t = col["type"]
    if t == "string":
        mx = col.get("max")
        return (pc.less_equal(pc.binary_length(s), mx) if mx is not None else pc.is_valid(s)), s
    if t == "int":
        ok = _digits(s, 1, 12)
        n = _int(s, ok)
        if col.get("min") is not None:
            ok = pc.and_(ok, pc.greater_equal(n, col["min"]))
        if col.get("max") is not None:
            ok = pc.and_(ok, pc.less_equal(n, col["max"]))
        return ok, pc.cast(n, pa.string())  # canonical, as String(number) writes it
    if t in ("state", "plate_type"):
        letters = pc.and_(pc.ascii_is_alpha(s), pc.equal(pc.binary_length(s), 2 if t == "state" else 3))
        return letters, pc.ascii_upper(s)
    if t == "date":
        ex = pc.extract_regex(s, _DATE)
        shape = pc.is_valid(ex)

        def part(a, b):  # one of the two alternatives matched; the other group is empty
            return pc.binary_join_element_wise(pc.struct_field(ex, a), pc.struct_field(ex, b), "")
        ys, ms, ds = part("y1", "y2"), part("m1", "m2"), part("d1", "d2")
        y, m, d = _int(ys, shape), _int(ms, shape), _int(ds, shape)
        month_ok = _between(m, 1, 12)
        # Within 1900-2099 a year is leap when divisible by 4, except 1900.
        leap = pc.and_(pc.equal(pc.bit_wise_and(y, 3), 0), pc.not_equal(y, 1900))
        days = pc.add(pc.take(_DAYS, pc.if_else(month_ok, pc.subtract(m, 1), 0)),
                      pc.cast(pc.and_(pc.equal(m, 2), leap), pa.int64()))
        ok = pc.and_(pc.and_(shape, _between(y, 1900, 2099)), pc.and_(month_ok, _between(d, 1, days)))
        # The digits are kept as written: "%d-%02d-%02d" of them gives the same text.
        return ok, pc.binary_join_element_wise(ys, ms, ds, "-")
    if t == "time":
        ex = pc.extract_regex(s, _TIME)
        shape = pc.is_valid(ex)
        hs, ms, x = pc.struct_field(ex, "h"), pc.struct_field(ex, "m"), pc.ascii_lower(pc.struct_field(ex, "x"))
        h, m = _int(hs, shape), _int(ms, shape)
        twelve = pc.not_equal(x, "")
        ok = pc.and_(pc.and_(shape, pc.less_equal(m, 59)), pc.less_equal(h, pc.if_else(twelve, 12, 23)))
        # 12-hour clock; the data also has 00xxA, which means just after midnight.
        hour = pc.if_else(pc.and_(pc.equal(x, "a"), pc.equal(h, 12)), 0,
                          pc.if_else(pc.and_(pc.equal(x, "p"), pc.less(h, 12)), pc.add(h, 12), h))
        return ok, pc.binary_join_element_wise(pc.utf8_lpad(pc.cast(hour, pa.string()), 2, "0"), ms, "00", ":")
    if t == "year":
        ok = _digits(s, 4, 4)
        return pc.and_(ok, _between(_int(s, ok), 1900, 2099)), s
    raise ValueError("unknown column type %r in the spec" % t)


class VectorNormalizer:
    """normalize() + encodeTsvLine() of the simple lines of an Arrow array, for one header."""

    def __init__(self, spec, field_index, field_count):
        self.cols = spec["columns"]
        self.key_index = next(i for i, c in enumerate(self.cols) if c["type"] == "key")
        self.field_index = field_index
        self.field_count = field_count
        self.pattern = line_pattern(field_count)

    def normalize(self, lines, eligible=None):
        """lines: a binary array; eligible: a boolean array, False for lines not to take
        (over the record limit). Returns (simple, bodies, odd_counts): a boolean array
        (which lines were handled), the output text "K \\t oddity indexes \\t TSV row" of
        each of them, in order, and per spec column their number of oddities."""
        simple = pc.fill_null(pc.match_substring_regex(lines, self.pattern), False)
        if eligible is not None:
            simple = pc.and_(simple, eligible)
        n = pc.sum(simple).as_py() or 0
        if n == 0:
            return simple, pa.array([], pa.string()), [0] * len(self.cols)
        text = pc.utf8_rtrim(pc.cast(pc.filter(lines, simple), pa.string()), "\r")
        flat = split_fields(text, self.field_count)
        rows = np.arange(n) * self.field_count

        def field(j):
            return pc.utf8_trim(pc.take(flat, pa.array(rows + j)), " ")

        key = field(self.field_index[self.key_index])
        key_text = pc.utf8_ltrim(key, "0")
        key_ok = pc.and_(_digits(key, 1, 18), pc.not_equal(key_text, ""))
        values = []
        masks = np.zeros(n, np.uint64)  # bit i: column i was odd
        key_rows = key_ok.to_numpy(zero_copy_only=False)
        odd_counts = [0] * len(self.cols)
        for i, c in enumerate(self.cols):
            if i == self.key_index:
                values.append(key_text)
                continue
            s = field(self.field_index[i])
            present = pc.greater(pc.binary_length(s), 0)
            ok, v = _cell(c, s)
            ok = pc.fill_null(ok, False)  # a rule's parts are NULL where its shape did not match
            values.append(pc.if_else(pc.and_(present, ok), v, NULL))
            odd = pc.and_(present, pc.invert(ok)).to_numpy(zero_copy_only=False)
            odd_counts[i] = int(np.count_nonzero(odd & key_rows))
            masks |= odd.astype(np.uint64) << np.uint64(i)
        # Rows repeat a few oddity patterns: each distinct one is spelled once.
        patterns, which = np.unique(masks, return_inverse=True)
        spelled = pa.array([",".join(str(i) for i in range(len(self.cols)) if int(p) >> i & 1) for p in patterns], pa.string())
        odd_list = pc.take(spelled, pa.array(which))
        bodies = pc.binary_join_element_wise(pa.scalar("K"), odd_list, pc.binary_join_element_wise(*values, "\t"), "\t")
        # A line with a key that is not plain digits is the Python port's to reject.
        return pc.replace_with_mask(simple, simple, key_ok), pc.filter(bodies, key_ok), odd_counts
