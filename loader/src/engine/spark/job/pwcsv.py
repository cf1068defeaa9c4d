"""CSV record splitting with exactly the semantics of loader/src/engine/csv-records.ts.

The inline engine's splitter (RFC 4180: comma, double quotes, "" escapes, CRLF or LF,
quoted fields may span lines; a malformed record becomes one error record covering its
first line and parsing resumes at the next line) is ported here byte for byte, so both
engines cut the same records at the same line numbers. It works on bytes: decoding,
UTF-8 validation and normalization happen later, per record.

The common case, a line with no double quote at all, takes a fast path made of
bytes.find/split calls; only lines with quotes go through the field-by-field port.

Every record is bounded, as in the inline splitter: a record not complete within
max_record_bytes (an unclosed quote, a binary blob, a line that never ends) is one
csv_error record, and the bytes it is cut on never exceed the limit plus one (see
parse_bounded). The inline splitter reads in chunks and decides when the bytes it holds
pass the limit; this port decides at exactly the limit, which is what the inline splitter
does for every record that does not end within one read chunk past the limit. Objects
whose lines end in a lone CR are refused (check_line_ends).
"""

LF = 10
CR = 13
QUOTE = 34
COMMA = 44

# csv-records.ts: "A record longer than this is malformed (an unclosed quote, no line end):
# resync at the next line."
MAX_RECORD_BYTES = 32 << 20
# csv-records.ts TOO_LONG_PREFIX: bytes of an over-long record kept for its dead letter.
TOO_LONG_PREFIX = 64 << 10
# csv-records.ts LINE_END_PROBE: how far into an object its first line end is looked for.
LINE_END_PROBE = 64 << 10

ERR_UNCLOSED = "unclosed quoted field"
ERR_AFTER_QUOTE = "characters after a closing quote"


def err_too_long(max_record_bytes):
    return "record longer than %d bytes" % max_record_bytes


class CsvFormatError(ValueError):
    """The input is not CSV this splitter can cut (the message says why, in the inline
    splitter's words)."""


def check_line_ends(head, eof):
    """Refuse lone-CR line ends (classic Mac OS), as csv-records.ts checkLineEnds() does at
    the top of an object: no LF in its first LINE_END_PROBE bytes (BOM removed) and a CR
    among them that cannot be the first half of a CRLF. `head` is the object's first bytes,
    at least LINE_END_PROBE of them unless `eof` (then it is the whole object)."""
    probe = head[:LINE_END_PROBE]
    if b"\n" in probe:
        return
    whole = eof and len(head) < LINE_END_PROBE
    cr = probe.find(b"\r")
    if cr >= 0 and (cr + 1 < len(probe) or whole):
        raise CsvFormatError("its lines end in a lone CR (classic Mac OS line ends; no LF in its first %d bytes)" % len(probe))


class Record:
    """One record: fields (bytes, [] for an error record), raw bytes without terminator,
    lines it spans (1 + newlines inside quoted fields), and an error message or None."""

    __slots__ = ("fields", "raw", "lines", "error")

    def __init__(self, fields, raw, lines, error=None):
        self.fields = fields
        self.raw = raw
        self.lines = lines
        self.error = error

    def is_blank(self):
        # inline.ts isBlank(): one empty field (an empty line, "\r" alone, or "")
        return len(self.fields) == 1 and len(self.fields[0]) == 0


def _malformed(buf, start, why, eof):
    n = len(buf)
    lf = buf.find(b"\n", start)
    if lf < 0 and not eof:
        return None
    nxt = n if lf < 0 else lf + 1
    content_end = n if lf < 0 else lf
    if content_end > start and buf[content_end - 1] == CR:
        content_end -= 1
    return Record([], buf[start:content_end], 1, why), nxt


def parse_one(buf, start, eof, max_record_bytes=MAX_RECORD_BYTES):
    """Parse the record starting at `start`: (Record, next offset), or None when the bytes
    end before the record does and more may follow (eof False)."""
    n = len(buf)
    # Fast path: a line without any double quote is plain comma-separated fields.
    if start >= n or buf[start] != QUOTE:
        nl = buf.find(b"\n", start)
        end = n if nl < 0 else nl
        if buf.find(b'"', start, end) < 0:
            if nl < 0 and not eof:
                return None
            content_end = end
            if content_end > start and buf[content_end - 1] == CR:
                content_end -= 1
            line = buf[start:content_end]
            return Record(line.split(b","), line, 1), (n if nl < 0 else nl + 1)
    fields = []
    i = start
    newlines_inside = 0
    while True:
        if i < n and buf[i] == QUOTE:
            j = i + 1
            has_escapes = False
            closed = -1
            seen_lf = 0
            while True:
                q = buf.find(b'"', j)
                if q < 0:
                    seen_lf += buf.count(b"\n", j, n)
                    j = n
                    break
                seen_lf += buf.count(b"\n", j, q)
                if q + 1 < n and buf[q + 1] == QUOTE:
                    has_escapes = True
                    j = q + 2
                    continue
                if q + 1 >= n and not eof:
                    return None  # need to see what follows the quote
                closed = q
                break
            if closed < 0:
                if not eof and j - start <= max_record_bytes:
                    return None
                return _malformed(buf, start, ERR_UNCLOSED, eof)
            newlines_inside += seen_lf
            text = buf[i + 1:closed]
            if has_escapes:
                text = text.replace(b'""', b'"')
            fields.append(text)
            i = closed + 1
            if i >= n:
                if not eof:
                    return None
                return Record(fields, buf[start:i], 1 + newlines_inside), i
            c = buf[i]
            if c == COMMA:
                i += 1
                continue
            if c == LF:
                return Record(fields, buf[start:i], 1 + newlines_inside), i + 1
            if c == CR and i + 1 < n and buf[i + 1] == LF:
                return Record(fields, buf[start:i], 1 + newlines_inside), i + 2
            if c == CR and i + 1 >= n and not eof:
                return None
            return _malformed(buf, start, ERR_AFTER_QUOTE, eof)
        # A run of unquoted fields: each ends at a comma or the line end, and a quote
        # inside one is literal, so the run lasts until a comma followed by a quote (the
        # next quoted field) or the end of the line, and splits on commas in one call.
        nl = buf.find(b"\n", i)
        stop = n if nl < 0 else nl
        q = buf.find(b',"', i, stop)
        if q >= 0:
            fields.extend(buf[i:q].split(b","))
            i = q + 1
            continue
        if nl < 0 and not eof:
            return None
        end = stop
        if end > i and buf[end - 1] == CR:
            end -= 1
        fields.extend(buf[i:end].split(b","))
        if nl < 0:
            return Record(fields, buf[start:end], 1 + newlines_inside), stop
        return Record(fields, buf[start:end], 1 + newlines_inside), nl + 1


def parse_bounded(buf, start, eof, max_record_bytes=MAX_RECORD_BYTES, long_lines=None):
    """parse_one() with the record limit of csv-records.ts: a record is cut from at most its
    first max_record_bytes + 1 bytes; one that is not complete within them is
    - when a line end lies within them: one csv_error record covering its first line;
    - else one csv_error record for its whole line (to its LF, or the end of the input),
      keeping its first min(TOO_LONG_PREFIX, limit) bytes; the detail says how long it was.
    `long_lines` maps the offset in buf of a line the caller holds only the start of (at
    least the limit + 1 bytes, then its LF) to the line's true length."""
    n = len(buf)
    r = parse_one(buf, start, eof, max_record_bytes)
    if n - start <= max_record_bytes:
        return r
    if r is not None and r[0].error is None:
        nxt = r[1]
        if nxt - start <= max_record_bytes + (1 if buf[nxt - 1] == LF else 0):
            return r  # complete within the limit (its LF may be the byte after it)
    if long_lines is None or start not in long_lines:
        # What the inline splitter sees when the bytes it holds first pass the limit.
        w = parse_one(buf[start:start + max_record_bytes + 1], 0, False, max_record_bytes)
        if w is not None:
            return w[0], start + w[1]
        if buf.find(b"\n", start, start + max_record_bytes + 1) >= 0:
            return _malformed(buf, start, err_too_long(max_record_bytes), False)
    lf = buf.find(b"\n", start + max_record_bytes + 1)
    if lf < 0 and not eof:
        return None
    nxt = n if lf < 0 else lf + 1
    line_bytes = (long_lines[start] + (1 if lf >= 0 else 0)) if long_lines and start in long_lines else nxt - start
    raw = buf[start:start + min(TOO_LONG_PREFIX, max_record_bytes)]
    why = "%s (%d bytes to its line end; its first %d kept)" % (err_too_long(max_record_bytes), line_bytes, len(raw))
    return Record([], raw, 1, why), nxt


def split_records(buf, eof, max_record_bytes=MAX_RECORD_BYTES, long_lines=None):
    """Records of `buf` in order, as (Record, line offset of its first line from the start
    of buf), each bounded (parse_bounded; long_lines as there). When eof is False, a record
    the bytes end inside is not returned: the caller finds where it starts in `.tail` (byte
    offset, line offset) of the returned object; it is at most max_record_bytes long."""
    return _Splitter(buf, eof, max_record_bytes, long_lines)


class _Splitter:
    def __init__(self, buf, eof, max_record_bytes, long_lines):
        self.buf = buf
        self.eof = eof
        self.max = max_record_bytes
        self.long_lines = long_lines
        self.tail = None  # (byte offset, line offset) of an unfinished last record

    def __iter__(self):
        buf = self.buf
        n = len(buf)
        pos = 0
        line = 0
        while pos < n:
            r = parse_bounded(buf, pos, self.eof, self.max, self.long_lines)
            if r is None:
                self.tail = (pos, line)
                return
            rec, nxt = r
            yield rec, line
            line += rec.lines
            pos = nxt
