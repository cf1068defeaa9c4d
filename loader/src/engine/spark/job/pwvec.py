"""The normalization of pwnorm.py (core's normalizeWith) over whole Arrow arrays of lines,
for the lines that need nothing unusual. pwnorm.py, the line-by-line port, costs tens of
microseconds per row in Python; this costs a few.

A line qualifies ("simple") when it is printable ASCII without a backslash, its fields
are either unquoted (no comma, no quote) or quoted without a quote inside, there are
exactly the header's number of them (an optional CR before the LF aside), and every
required (and key) column holds a valid value. On such a line a field's text is what the
CSV splitter would give, JavaScript's trim() removes spaces only, lengths are byte counts
and nothing needs TSV escaping. Every other line (the header, blank lines, a "" escape,
non-ASCII, control characters, rejects) goes to pwnorm.py, the reference for everything
unusual. The parity tests check both against the inline engine, byte for byte.

How a column is computed:
- string and integer: pyarrow.compute kernels (C++), exact on simple lines (an integer
  with more than 18 digits falls to the rule below);
- every other type (decimal, boolean, date, time, datetime, enum, pattern): the column is
  dictionary-encoded and pwnorm's own rule runs once per DISTINCT value, then the results
  are spread back with take(). Exact by construction (the same function), and cheap
  because such columns repeat a few values per partition (dates, times, codes, flags).
"""
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import pwnorm

NULL = pwnorm.NULL
# Printable ASCII (0x20-0x7e) without '"' and '\\': inside quotes, and (also without ',') outside.
_QUOTED = r'[\x20\x21\x23-\x5b\x5d-\x7e]*'
_UNQUOTED = r'[\x20\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]*'
# A field given on its own (not split from a line): printable ASCII without a backslash.
SIMPLE_FIELD = r'^[\x20-\x5b\x5d-\x7e]*$'
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


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


def by_value(fn, s):
    """(ok, value) of fn (pwnorm's rule: text -> written text or ODD) over array s, called
    once per distinct value. Empty values give ok False (the caller reads them as NULL)."""
    d = pc.dictionary_encode(s)
    if isinstance(d, pa.ChunkedArray):
        d = d.combine_chunks()
    results = [fn(v) if v else pwnorm.ODD for v in d.dictionary.to_pylist()]
    ok = pa.array([r != pwnorm.ODD for r in results], pa.bool_())
    written = pa.array([None if r == pwnorm.ODD else r for r in results], pa.string())
    return pc.take(ok, d.indices), pc.take(written, d.indices)


def _clamp(n):
    return max(_INT64_MIN, min(_INT64_MAX, n))


def _cell(col, s):
    """(ok, value) arrays of one trimmed field per the column's rule; value is only read
    where ok (and the field not empty)."""
    t = col["type"]
    if t == "string":
        n = pc.binary_length(s)  # ASCII: bytes are UTF-16 units
        return pc.and_(pc.greater_equal(n, col["minLength"]), pc.less_equal(n, col["maxLength"])), s
    if t == "integer":
        # Optional '-', then ASCII digits (simple lines are ASCII: ascii_is_decimal is [0-9]+).
        neg = pc.starts_with(s, "-")
        digits = pc.if_else(neg, pc.utf8_slice_codeunits(s, 1), s) if pc.any(neg).as_py() else s
        number = pc.ascii_is_decimal(digits)  # false for ""
        length = pc.binary_length(digits)
        short = pc.and_(number, pc.less_equal(length, 18))
        n = pc.cast(pc.if_else(short, s, "0"), pa.int64())
        ok = pc.and_(short, pc.and_(pc.greater_equal(n, _clamp(int(col["min"]))), pc.less_equal(n, _clamp(int(col["max"])))))
        value = pc.cast(n, pa.string())  # canonical: no leading zeros, "-0" is "0"
        # Longer digit strings (leading zeros, or beyond int64) take the reference rule.
        long_ = pc.and_(number, pc.greater(length, 18))
        if pc.any(long_).as_py():
            long_ok, long_value = by_value(pwnorm.integer_fn(col), pc.if_else(long_, s, ""))
            ok = pc.if_else(long_, long_ok, ok)
            value = pc.if_else(long_, long_value, value)
        return ok, value
    return by_value(pwnorm.value_fn(col), s)


def _distinct_rows(bits):
    """(distinct rows, index of each row's distinct row) of a boolean matrix. Rows are packed
    into 64-bit words first: np.unique over one word per row is a plain sort, where
    np.unique(axis=0) sorts rows lexicographically, many times slower."""
    n, ncols = bits.shape
    words = (ncols + 63) // 64
    packed = np.zeros((n, words * 8), np.uint8)
    packed[:, : (ncols + 7) // 8] = np.packbits(bits, axis=1)
    keys = packed.view(np.uint64) if words > 1 else packed.view(np.uint64).reshape(-1)
    if words > 1:
        keys = keys.view(np.dtype((np.void, words * 8))).reshape(-1)
    distinct, which = np.unique(keys, return_index=False, return_inverse=True)
    first = np.zeros(len(distinct), np.int64)
    first[which[::-1]] = np.arange(n)[::-1]  # a row of each distinct value
    return bits[first], np.asarray(which).reshape(-1)


class VectorNormalizer:
    """normalize() + encodeTsvLine() of the simple lines of an Arrow array, for one header."""

    def __init__(self, spec, hmap):
        self.cols = spec["columns"]
        self.field_index = hmap.field_index
        self.field_count = hmap.field_count
        self.pattern = line_pattern(hmap.field_count)

    def normalize(self, lines, eligible=None):
        """lines: a binary array; eligible: a boolean array, False for lines not to take
        (over the record limit). Returns (taken, bodies, odd_counts): a boolean array
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
        return self._bodies(simple, n, lambda j: pc.utf8_trim(pc.take(flat, pa.array(rows + j)), " "))

    def normalize_fields(self, fields):
        """normalize() of rows given as their fields (binary arrays, one per header field: a
        Parquet row's values as text), without a CSV line to split: a row is simple when
        every field the spec reads is printable ASCII without a backslash."""
        read = sorted({j for j in self.field_index if j >= 0})
        simple = None
        for j in read:
            ok = pc.fill_null(pc.match_substring_regex(fields[j], SIMPLE_FIELD), False)
            simple = ok if simple is None else pc.and_(simple, ok)
        if simple is None:  # the spec reads no field of this file
            simple = pa.array([True] * len(fields[0]))
        n = pc.sum(simple).as_py() or 0
        if n == 0:
            return simple, pa.array([], pa.string()), [0] * len(self.cols)
        return self._bodies(simple, n, lambda j: pc.utf8_trim(pc.cast(pc.filter(fields[j], simple), pa.string()), " "))

    def _bodies(self, simple, n, field):
        """The output of the n simple rows, field(j) giving field j of each, trimmed."""
        ncols = len(self.cols)
        values = []
        odd = np.zeros((n, ncols), np.bool_)
        kept = np.ones(n, np.bool_)  # no required column failed
        for i, c in enumerate(self.cols):
            if self.field_index[i] < 0:
                values.append(pa.array([NULL] * n, pa.string()))  # a column the file lacks
                continue
            s = field(self.field_index[i])
            present = pc.greater(pc.binary_length(s), 0)
            nulls = pwnorm.null_spellings(c)
            if nulls:
                # A NULL spelling is read exactly like an empty field (compared trimmed, case-sensitively).
                present = pc.and_(present, pc.invert(pc.is_in(s, value_set=pa.array(sorted(nulls), pa.string()))))
            ok, v = _cell(c, s)
            ok = pc.fill_null(ok, False)
            good = pc.and_(present, ok)
            values.append(pc.if_else(good, v, NULL))
            if c["required"]:
                # Missing or invalid: the row is pwnorm's to reject (with its reason).
                kept &= good.to_numpy(zero_copy_only=False)
            else:
                odd[:, i] = pc.and_(present, pc.invert(ok)).to_numpy(zero_copy_only=False)
        odd &= kept[:, None]
        odd_counts = [int(x) for x in odd.sum(axis=0)]
        # Rows repeat a few oddity patterns: each distinct one is spelled once.
        patterns, which = _distinct_rows(odd)
        spelled = pa.array([",".join(map(str, np.flatnonzero(p))) for p in patterns], pa.string())
        odd_list = pc.take(spelled, pa.array(which))
        bodies = pc.binary_join_element_wise(pa.scalar("K"), odd_list, pc.binary_join_element_wise(*values, "\t"), "\t")
        keep = pa.array(kept)
        return pc.replace_with_mask(simple, simple, keep), pc.filter(bodies, keep), odd_counts
