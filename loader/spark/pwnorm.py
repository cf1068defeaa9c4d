"""Header mapping, normalization and TSV encoding: a port of core/src/record/{spec,header,
normalize,tsv}.ts driven by the same spec file (core/spec/violation-spec.json), read at
run time. Where JavaScript and Python differ, this follows JavaScript, because the two
engines must produce the same bytes:

- String.prototype.trim() and /\\s/ use JS_WS below (Python's str.strip() would also
  remove \\x1c-\\x1f and \\x85, and would keep U+FEFF);
- string lengths are counted in UTF-16 code units, as JavaScript's s.length does;
- digits and letters are ASCII only.
"""
import json
import operator
import re

JS_WS = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_JS_WS_RUN = re.compile("[" + re.escape(JS_WS) + "]+")
_LETTERS = re.compile(r"[A-Za-z]+\Z")
MAX_KEY = "9223372036854775807"
DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


class HeaderError(Exception):
    """The header cannot be mapped (the message equals core's UserError message)."""


def load_spec(path):
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def header_key(h):
    if h.startswith("\ufeff"):
        h = h[1:]
    return _JS_WS_RUN.sub(" ", h.strip(JS_WS)).lower()


def map_header(spec, header):
    """Port of mapHeader(): index of each spec column's field; raises HeaderError."""
    by_key = {}
    for i, h in enumerate(header):
        k = header_key(h)
        if k in by_key:
            raise HeaderError('header names column "%s" twice (fields %d and %d)' % (h.strip(JS_WS), by_key[k] + 1, i + 1))
        by_key[k] = i
    missing = []
    field_index = []
    for c in spec["columns"]:
        i = by_key.get(header_key(c["header"]))
        if i is None:
            missing.append(c["header"])
        field_index.append(-1 if i is None else i)
    if missing:
        found = ", ".join('"%s"' % h.strip(JS_WS) for h in header[:5])
        raise HeaderError(
            "header lacks %d required column(s): %s (found: %s%s)"
            % (len(missing), ", ".join('"%s"' % m for m in missing), found, ", …" if len(header) > 5 else "")
        )
    known = {header_key(c["header"]) for c in spec["columns"]} | {header_key(h) for h in spec["ignoredHeaders"]}
    unknown = [h for h in header if header_key(h) not in known and h.strip(JS_WS) != ""]
    return field_index, unknown


def utf16_len(s):
    if s.isascii():
        return len(s)
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def is_digits(s):
    # isdigit() alone would accept other scripts' digits and superscripts
    return s.isdigit() and s.isascii()


def _iso_date(y, m, d):
    if y < 1900 or y > 2099 or m < 1 or m > 12 or d < 1:
        return None
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    mx = 29 if (m == 2 and leap) else DAYS[m - 1]
    if d > mx:
        return None
    return "%d-%02d-%02d" % (y, m, d)


def normalize_date(s):
    if len(s) == 10 and s[2] == "/" and s[5] == "/":
        mm, dd, yy = s[0:2], s[3:5], s[6:]
        if not (is_digits(mm) and is_digits(dd) and is_digits(yy)):
            return None
        return _iso_date(int(yy), int(mm), int(dd))
    if len(s) == 8 and is_digits(s):
        return _iso_date(int(s[0:4]), int(s[4:6]), int(s[6:8]))
    return None


def normalize_time(s):
    digits = s
    suffix = ""
    last = s[-1]
    if last in "aApP":
        digits = s[:-1]
        suffix = last.lower()
    if len(digits) != 4 or not is_digits(digits):
        return None
    h = int(digits[0:2])
    m = int(digits[2:])
    if m > 59:
        return None
    if suffix == "":
        if h > 23:
            return None
    else:
        # 12-hour clock; the data also has 00xxA, which means just after midnight.
        if h > 12:
            return None
        if suffix == "a" and h == 12:
            h = 0
        elif suffix == "p" and h < 12:
            h += 12
    return "%02d:%02d:00" % (h, m)


def normalize_key(raw):
    """Canonical decimal form of a summons number, or (None, reason)."""
    s = raw.strip(JS_WS)
    if len(s) == 0:
        return None, "missing_key"
    if not is_digits(s):
        return None, "invalid_key"
    k = s.lstrip("0") or "0"
    if k == "0":
        return None, "invalid_key"
    if len(k) > len(MAX_KEY) or (len(k) == len(MAX_KEY) and k > MAX_KEY):
        return None, "invalid_key"
    return k, None


def _cell_fn(col):
    """A function str -> normalized text (already TSV-ready) or None for an oddity."""
    t = col["type"]
    if t == "string":
        mx = col.get("max")

        def f(s):
            if mx is not None and (len(s) > mx or utf16_len(s) > mx):
                return None
            return s
        return f
    if t == "int":
        lo, hi = col.get("min"), col.get("max")

        def f(s):
            if len(s) > 12 or not is_digits(s):
                return None
            n = int(s)
            if (lo is not None and n < lo) or (hi is not None and n > hi):
                return None
            return str(n)
        return f
    if t == "state":
        return lambda s: s.upper() if len(s) == 2 and s.isascii() and _LETTERS.match(s) else None
    if t == "plate_type":
        return lambda s: s.upper() if len(s) == 3 and s.isascii() and _LETTERS.match(s) else None
    if t == "date":
        return normalize_date
    if t == "time":
        return normalize_time
    if t == "year":
        def f(s):
            if len(s) != 4 or not is_digits(s):
                return None
            y = int(s)
            return str(y) if 1900 <= y <= 2099 else None
        return f
    raise ValueError("unknown column type %r in the spec" % t)


_NEEDS_ESCAPE = re.compile("[\t\n\r\\\\\0]")
_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\", "\0": "\\0"}


def escape_field(s):
    if _NEEDS_ESCAPE.search(s) is None:
        return s
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], s)


STRING = 0
INT = 1
OTHER = 2
# Returned by a cell normalizer for a value that becomes NULL and is counted as an oddity.
# A string, compared by value, not object(): the normalizers travel to Spark's Python
# workers by cloudpickle, which would turn an object() sentinel into a different object.
# No output can equal it: a NUL in text is written escaped ("\\0").
ODD = "\0odd"
# Distinct raw values remembered per column. Most columns repeat a few values (states,
# plate types, makes, dates, times, streets): a dictionary hit replaces the trim, checks
# and escaping. High-cardinality columns just stop adding once full (bounded memory).
CACHE_MAX = 4096


def _make_cell(kind, mx, fn):
    """raw field text -> TSV-ready text, "\\N" for empty, or ODD."""
    if kind == STRING:
        def cell(raw):
            s = raw.strip(JS_WS) if raw else raw
            if not s:
                return "\\N"
            if len(s) > mx or (not s.isascii() and utf16_len(s) > mx):
                return ODD
            return escape_field(s)
    elif kind == INT:
        lo, hi = mx

        def cell(raw):
            s = raw.strip(JS_WS) if raw else raw
            if not s:
                return "\\N"
            # int(s) alone would accept "1_000" and other scripts' digits
            if len(s) <= 12 and s.isdigit() and s.isascii() and lo <= int(s) <= hi:
                return s if s[0] != "0" or len(s) == 1 else str(int(s))
            return ODD
    else:
        def cell(raw):
            s = raw.strip(JS_WS) if raw else raw
            if not s:
                return "\\N"
            v = fn(s)
            return ODD if v is None else v
    return cell


class Normalizer:
    """normalizeRecord() + encodeTsvLine() for one header mapping."""

    def __init__(self, spec, field_index, field_count):
        cols = spec["columns"]
        self.key_index = next(i for i, c in enumerate(cols) if c["type"] == "key")
        self.key_field = field_index[self.key_index]
        self.field_count = field_count
        # Non-key columns in spec order: their spec index, field index, value cache and normalizer.
        self.spec_index = []
        fis = []
        self.caches = []
        self.cells = []
        for i, c in enumerate(cols):
            if i == self.key_index:
                continue
            if c["type"] == "string":
                mx = c.get("max")
                cell = _make_cell(STRING, 1 << 62 if mx is None else mx, None)
            elif c["type"] == "int":
                lo, hi = c.get("min"), c.get("max")
                cell = _make_cell(INT, (-(1 << 62) if lo is None else lo, 1 << 62 if hi is None else hi), None)
            else:
                cell = _make_cell(OTHER, 0, _cell_fn(c))
            self.spec_index.append(i)
            fis.append(field_index[i])
            self.caches.append({})
            self.cells.append(cell)
        # The hot path runs in C where it can: fields picked in spec order by itemgetter,
        # cache lookups in one comprehension; only misses and oddities loop in Python.
        self.pick = operator.itemgetter(*fis)
        self.gets = [c.get for c in self.caches]
        self.ncols = len(cols)

    def normalize(self, fields):
        """(tsv line without newline, [oddity column indexes]) or (None, reason)."""
        if len(fields) != self.field_count:
            return None, "column_count"
        key, reason = normalize_key(fields[self.key_field])
        if key is None:
            return None, reason
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
        odd = []
        j = -1
        try:
            while True:
                j = vals.index(ODD, j + 1)
                vals[j] = "\\N"
                odd.append(self.spec_index[j])
        except ValueError:
            pass
        vals.insert(self.key_index, key)
        return "\t".join(vals), odd
