"""The dataset spec's date and time formats: a port of core/src/dataset/formats.ts (the
token language) and of the temporal rule of core/src/record/scan.ts (how a value is read
with the formats, checked and written). Both engines must write the same bytes.

    YYYY        4-digit year
    MM DD       2-digit month, day          M D    1 or 2 digits
    HH          2-digit hour, 00-23         H      1 or 2 digits
    hh          2-digit hour, 00-12         h      1 or 2 digits   (12-hour clock: needs A)
    mm ss       2-digit minute, second
    A           AM/PM marker: a or p in any case, optionally followed by m or M
    anything else stands for itself

The spec was validated on the TypeScript side (formatProblem): this module does not
repeat its checks. A value is read left to right without backtracking: a 1-or-2-digit
token takes two digits when two are there, the marker takes its 'm' when one follows.
Each format becomes a regular expression that reads exactly so (possessive quantifiers,
Python 3.11+), which is faster in CPython than a character loop.
"""
import re

# (token, kind, digits), longest first per letter, as formats.ts lists them.
TOKENS = [
    ("YYYY", "year", 4),
    ("MM", "month", 2),
    ("M", "month", 1),
    ("DD", "day", 2),
    ("D", "day", 1),
    ("HH", "hour24", 2),
    ("H", "hour24", 1),
    ("hh", "hour12", 2),
    ("h", "hour12", 1),
    ("mm", "minute", 2),
    ("ss", "second", 2),
    ("A", "ampm", 0),
]
_BY_TEXT = {t: (k, d) for t, k, d in TOKENS}
_TOKEN_LETTERS = set("YMDHhmsA")


def parse_format(fmt):
    """The tokens of a format string: [(kind, digits or literal text)], as parseFormat()."""
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c not in _TOKEN_LETTERS:
            if out and out[-1][0] == "literal":
                out[-1] = ("literal", out[-1][1] + c)
            else:
                out.append(("literal", c))
            i += 1
            continue
        run = 1
        while i + run < len(fmt) and fmt[i + run] == c:
            run += 1
        token = _BY_TEXT.get(c * run)
        if token is None:
            raise ValueError('"%s" is not a format token' % (c * run))
        out.append(token)
        i += run
    return out


_SLOT = {"year": 0, "month": 1, "day": 2, "hour24": 3, "hour12": 3, "minute": 4, "second": 5}


def compile_format(fmt):
    """(regex, slots, twelve_hour, marker group): group k + 1 of the regex holds the number
    of slots[k] (0 year … 5 second); the marker's letter is in group `marker` (0: none)."""
    regex = []
    slots = []
    marker = 0
    twelve = False
    for kind, arg in parse_format(fmt):
        if kind == "literal":
            regex.append(re.escape(arg))
            continue
        if kind == "ampm":
            regex.append("([AaPp])[Mm]?+")
            marker = len(slots) + 1
            slots.append(-1)
            continue
        if kind == "year":
            regex.append("([0-9]{4})")
        elif arg == 1:
            regex.append("([0-9][0-9]?+)")
        else:
            regex.append("([0-9]{2})")
        twelve = twelve or kind == "hour12"
        slots.append(_SLOT[kind])
    return re.compile("".join(regex)), slots, twelve, marker


DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def _window_number(text):
    return int("".join(ch for ch in text if ch.isdigit() and ch.isascii()))


class TemporalRule:
    """A date, time or datetime column's rule: value(s) -> written text or None."""

    def __init__(self, col):
        self.kind = col["type"]
        self.formats = [compile_format(f) for f in col["formats"]]
        self.min = 0 if self.kind == "time" else _window_number(col["min"])
        self.max = 0 if self.kind == "time" else _window_number(col["max"])

    def value(self, s):
        """The canonical text of trimmed, non-empty s, or None when no format gives a real
        date/time inside the window (the first format that does wins)."""
        kind = self.kind
        for regex, slots, twelve, marker in self.formats:
            m = regex.fullmatch(s)
            if m is None:
                continue
            p = [0, 0, 0, 0, 0, 0]
            for slot, text in zip(slots, m.groups()):
                if slot >= 0:
                    p[slot] = int(text)
            if kind != "date":
                h = p[3]
                if twelve:
                    if h > 12:
                        continue
                    letter = m.group(marker).lower()  # a 12-hour clock always has its marker
                    if letter == "a" and h == 12:
                        h = 0
                    elif letter == "p" and 1 <= h <= 11:
                        h += 12
                    p[3] = h
                elif h > 23:
                    continue
                if p[4] > 59 or p[5] > 59:
                    continue
            if kind != "time":
                y, mo, d = p[0], p[1], p[2]
                if mo < 1 or mo > 12 or d < 1:
                    continue
                leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
                if d > (29 if mo == 2 and leap else DAYS[mo - 1]):
                    continue
                date = y * 10000 + mo * 100 + d
                n = date if kind == "date" else date * 1000000 + p[3] * 10000 + p[4] * 100 + p[5]
                if n < self.min or n > self.max:
                    continue
                if kind == "date":
                    return "%04d-%02d-%02d" % (y, mo, d)
                return "%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, p[3], p[4], p[5])
            return "%02d:%02d:%02d" % (p[3], p[4], p[5])
        return None
