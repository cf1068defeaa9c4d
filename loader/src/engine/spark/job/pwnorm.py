"""Header mapping, normalization and TSV encoding for ANY dataset: a port of
core/src/record/{header,normalize,scan,tsv}.ts driven by the resolved dataset spec (the
JSON the loader writes beside the job's output: JSON.stringify(datasetOf(config))), read
at run time. Nothing about a dataset is written here: every rule, bound, window and
format comes from the spec's 9 column types (core/src/dataset/types.ts).

Where JavaScript and Python differ, this follows JavaScript, because the two engines must
produce the same bytes:

- String.prototype.trim() and /\\s/ use JS_WS below (Python's str.strip() would also
  remove \\x1c-\\x1f and \\x85, and would keep U+FEFF);
- string lengths are counted in UTF-16 code units, as JavaScript's s.length does;
- digits are ASCII only; a pattern is matched with re.ASCII (the spec's patterns are
  written for both engines: explicit classes, no lookbehind, no \\p).
"""
import json
import operator
import re
from decimal import Decimal

import pwformat

JS_WS = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_JS_WS_RUN = re.compile("[" + re.escape(JS_WS) + "]+")


class HeaderError(Exception):
    """The header cannot be mapped (the message equals core's UserError message)."""


def load_spec(path):
    """The resolved spec (core's ResolvedSpec as JSON)."""
    with open(path, "r", encoding="utf-8") as f:
        spec = json.load(f)
    if spec.get("specVersion") != 1 or not isinstance(spec.get("columns"), list):
        raise ValueError("%s is not a resolved dataset spec (specVersion 1 with columns)" % path)
    return spec


def js_trim(s):
    return s.strip(JS_WS)


def header_key(h):
    """core's headerKey(): BOM removed, trimmed, inner whitespace collapsed, lower case."""
    if h.startswith("\ufeff"):
        h = h[1:]
    return _JS_WS_RUN.sub(" ", h.strip(JS_WS)).lower()


def utf16_len(s):
    if s.isascii():
        return len(s)
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def utf16_prefix(s, n):
    """s.slice(0, n) as JavaScript counts (UTF-16 units; a cut surrogate pair is dropped
    whole here, where JavaScript keeps a lone surrogate that becomes U+FFFD in UTF-8)."""
    if utf16_len(s) <= n:
        return s
    out = []
    units = 0
    for ch in s:
        u = 2 if ord(ch) > 0xFFFF else 1
        if units + u > n:
            if u == 2 and units < n:
                out.append("\ufffd")
            break
        out.append(ch)
        units += u
    return "".join(out)


def _names(names):
    return ", ".join('"%s"' % n for n in names)


class HeaderMap:
    """core's HeaderMap: per spec column its field index (-1: absent, NULL), the header's
    field count, the absent optional columns' names and the unknown header names."""

    __slots__ = ("field_index", "field_count", "absent", "unknown")

    def __init__(self, field_index, field_count, absent, unknown):
        self.field_index = field_index
        self.field_count = field_count
        self.absent = absent
        self.unknown = unknown


def map_header(spec, header):
    """Port of mapSpecHeader() (core/src/record/header.ts); raises HeaderError."""
    by_key = {}
    repeated = set()
    for i, h in enumerate(header):
        k = header_key(h)
        if k in by_key:
            repeated.add(k)
        else:
            by_key[k] = i
    used = set()
    missing = []
    absent = []
    field_index = []
    for c in spec["columns"]:
        found = [k for k in map(header_key, [c["header"]] + list(c["aliases"])) if k in by_key]
        used.update(found)
        if len(found) > 1 or (len(found) == 1 and found[0] in repeated):
            names = [js_trim(h) for h in header if header_key(h) in found]
            raise HeaderError('header names column "%s" more than once (%s)' % (c["name"], _names(names)))
        if not found:
            if c["required"]:
                missing.append(c["header"])
            else:
                absent.append(c["name"])
            field_index.append(-1)
            continue
        field_index.append(by_key[found[0]])
    if missing:
        shown = [js_trim(h) for h in header[:5]]
        raise HeaderError("header lacks %d required column(s): %s (found: %s%s)"
                          % (len(missing), _names(missing), _names(shown), ", …" if len(header) > 5 else ""))
    known = {header_key(h) for h in spec["knownExtras"]}
    unknown = []
    for h in header:
        k = header_key(h)
        if k != "" and k not in used and k not in known:
            unknown.append(h)
    if unknown and spec["extraColumns"] == "reject":
        raise HeaderError("header has column(s) the dataset %s does not know: %s (the spec says extraColumns: reject)"
                          % (spec["name"], _names(js_trim(h) for h in unknown)))
    return HeaderMap(field_index, len(header), absent, unknown)


_NEEDS_ESCAPE = re.compile("[\t\n\r\\\\\0]")
_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\", "\0": "\\0"}


def escape_field(s):
    if _NEEDS_ESCAPE.search(s) is None:
        return s
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], s)


# What a value function returns for an invalid value (NULL and an oddity, or a reject when
# the column is required). A string, compared by value, not object(): the functions travel
# to Spark's Python workers by cloudpickle, which would turn an object() sentinel into a
# different object. No written value can equal it: a NUL in text is written escaped ("\\0").
ODD = "\0odd"
NULL = "\\N"  # encodeTsvLine's NULL: also what an empty field gives

_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"(-?)([0-9]*)(?:\.([0-9]*))?")
# More digits than any BIGINT bound has (20): out of every column's range.
_MAX_INT_DIGITS = 20


def integer_fn(col):
    """scan.ts writeInteger(): optional '-', ASCII digits, leading zeros dropped, '-0' is 0,
    within [min, max] exactly (Python's ints are exact at any size)."""
    lo, hi = int(col["min"]), int(col["max"])

    def f(s):
        if _INTEGER.fullmatch(s) is None:
            return ODD
        digits = s.lstrip("-").lstrip("0") or "0"
        if len(digits) > _MAX_INT_DIGITS:
            return ODD
        n = int(digits)
        if s[0] == "-":
            n = -n
        return str(n) if lo <= n <= hi else ODD
    return f


def decimal_fn(col):
    """scan.ts writeDecimal(): at most precision - scale integer digits (leading zeros not
    counted) and at most scale fraction digits as written (never rounded); within the
    bounds; written with exactly scale fraction digits, no '-' on zero."""
    scale = col["scale"]
    int_digits = col["precision"] - scale
    lo = Decimal(col["min"]) if col.get("min") is not None else None
    hi = Decimal(col["max"]) if col.get("max") is not None else None

    def f(s):
        m = _DECIMAL.fullmatch(s)
        if m is None:
            return ODD
        whole = m.group(2).lstrip("0")
        frac = m.group(3) or ""
        if not m.group(2) and not frac:
            return ODD  # no digit at all
        if len(whole) > int_digits or len(frac) > scale:
            return ODD
        neg = m.group(1) == "-" and (whole != "" or frac.strip("0") != "")
        if lo is not None or hi is not None:
            v = Decimal(("-" if neg else "") + (whole or "0") + "." + (frac or "0"))
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                return ODD
        out = ("-" if neg else "") + (whole or "0")
        return out + "." + frac.ljust(scale, "0") if scale > 0 else out
    return f


def value_fn(col):
    """The column's rule: trimmed, non-empty text -> its written (TSV-escaped) text, or ODD."""
    t = col["type"]
    if t == "string":
        lo, hi = col["minLength"], col["maxLength"]

        def f(s):
            n = len(s) if s.isascii() else utf16_len(s)
            return escape_field(s) if lo <= n <= hi else ODD
        return f
    if t == "integer":
        return integer_fn(col)
    if t == "decimal":
        return decimal_fn(col)
    if t in ("date", "time", "datetime"):
        rule = pwformat.TemporalRule(col)

        def f(s):
            v = rule.value(s)
            return ODD if v is None else v
        return f
    if t == "boolean":
        values = {v: "1" for v in col["trueValues"]}
        values.update({v: "0" for v in col["falseValues"]})
        return lambda s: values.get(s.lower(), ODD)
    if t == "enum":
        if col["caseSensitive"]:
            values = {v: escape_field(v) for v in col["values"]}
            return lambda s: values.get(s, ODD)
        values = {v.lower(): escape_field(v) for v in col["values"]}
        return lambda s: values.get(s.lower(), ODD)
    if t == "pattern":
        regex = re.compile("(?:%s)" % col["pattern"], re.ASCII)
        case = col["case"]
        lo, hi = col["minLength"], col["maxLength"]

        def f(s):
            if regex.fullmatch(s) is None:
                return ODD
            v = s.upper() if case == "upper" else s.lower() if case == "lower" else s
            return escape_field(v) if lo <= utf16_len(v) <= hi else ODD
        return f
    raise ValueError("unknown column type %r in the spec" % t)


# Distinct raw values remembered per column. Most columns repeat a few values (states,
# plate types, makes, dates, times, streets): a dictionary hit replaces the trim, checks
# and escaping. High-cardinality columns just stop adding once full (bounded memory).
CACHE_MAX = 4096


def null_spellings(col):
    """The column's NULL spellings (core's ResolvedColumn.nullValues, resolved: the column's
    own list or the dataset's): compared case-sensitively with the trimmed value."""
    return frozenset(col["nullValues"])


def _make_cell(fn, nulls=frozenset()):
    """raw field text -> written text, NULL for empty or a NULL spelling, or ODD."""
    if not nulls:
        def cell(raw):
            s = raw.strip(JS_WS) if raw else raw
            if not s:
                return NULL
            return fn(s)
        return cell

    def cell_with_nulls(raw):
        s = raw.strip(JS_WS) if raw else raw
        if not s or s in nulls:
            return NULL
        return fn(s)
    return cell_with_nulls


def reject_reason(col, value):
    """Why a required column's value rejects its row (NULL or ODD), as normalizeWith() says."""
    if value == NULL:
        return "missing_key" if col["key"] else "missing_value"
    return "invalid_key" if col["key"] else "invalid_value"


class Normalizer:
    """normalizeWith() + encodeTsvLine() for one header mapping (a HeaderMap)."""

    def __init__(self, spec, hmap):
        cols = spec["columns"]
        self.cols = cols
        self.field_count = hmap.field_count
        # A column the file lacks reads an empty field appended to the record: NULL.
        self.pad = any(i < 0 for i in hmap.field_index)
        fis = [hmap.field_count if i < 0 else i for i in hmap.field_index]
        self.caches = [{} for _ in cols]
        self.cells = [_make_cell(value_fn(c), null_spellings(c)) for c in cols]
        # Required columns in spec order: the first that fails decides the reject reason.
        self.required = [j for j, c in enumerate(cols) if c["required"]]
        # The hot path runs in C where it can: fields picked in spec order by itemgetter,
        # cache lookups in one comprehension; only misses and oddities loop in Python.
        if len(fis) == 1:
            only = fis[0]
            self.pick = lambda fields: (fields[only],)
        else:
            self.pick = operator.itemgetter(*fis)
        self.gets = [c.get for c in self.caches]
        self.ncols = len(cols)

    def normalize(self, fields):
        """(tsv line without newline, [oddity column indexes]) or (None, reason)."""
        if len(fields) != self.field_count:
            return None, "column_count"
        if self.pad:
            fields = list(fields)
            fields.append("")
        raws = self.pick(fields)
        vals = [g(r) for g, r in zip(self.gets, raws)]
        # list.index() finds the misses (None) and the oddities in C, one call per hit.
        j = -1
        try:
            while True:
                j = vals.index(None, j + 1)
                v = vals[j] = self.cells[j](raws[j])
                cache = self.caches[j]
                if len(cache) < CACHE_MAX:
                    cache[raws[j]] = v
        except ValueError:
            pass
        for j in self.required:
            v = vals[j]
            if v == NULL or v == ODD:
                return None, reject_reason(self.cols[j], v)
        odd = []
        j = -1
        try:
            while True:
                j = vals.index(ODD, j + 1)
                vals[j] = NULL
                odd.append(j)
        except ValueError:
            pass
        return "\t".join(vals), odd
