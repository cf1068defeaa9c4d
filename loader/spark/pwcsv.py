"""CSV record splitting with exactly the semantics of loader/src/engine/csv-records.ts.

The inline engine's splitter (RFC 4180: comma, double quotes, "" escapes, CRLF or LF,
quoted fields may span lines; a malformed record becomes one error record covering its
first line and parsing resumes at the next line) is ported here byte for byte, so both
engines cut the same records at the same line numbers. It works on bytes: decoding,
UTF-8 validation and normalization happen later, per record.

The common case, a line with no double quote at all, takes a fast path made of
bytes.find/split calls; only lines with quotes go through the field-by-field port.
"""

LF = 10
CR = 13
QUOTE = 34
COMMA = 44

# csv-records.ts: "A record longer than this is malformed (an unclosed quote): resync at the next line."
MAX_RECORD_BYTES = 32 << 20

ERR_UNCLOSED = "unclosed quoted field"
ERR_AFTER_QUOTE = "characters after a closing quote"


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


def split_records(buf, eof, max_record_bytes=MAX_RECORD_BYTES):
    """Records of `buf` in order, as (Record, line offset of its first line from the start
    of buf). When eof is False, a record the bytes end inside is not returned: the caller
    finds where it starts in `.tail` (byte offset, line offset) of the returned object."""
    return _Splitter(buf, eof, max_record_bytes)


class _Splitter:
    def __init__(self, buf, eof, max_record_bytes):
        self.buf = buf
        self.eof = eof
        self.max = max_record_bytes
        self.tail = None  # (byte offset, line offset) of an unfinished last record

    def __iter__(self):
        buf = self.buf
        n = len(buf)
        pos = 0
        line = 0
        while pos < n:
            r = parse_one(buf, pos, self.eof, self.max)
            if r is None:
                self.tail = (pos, line)
                return
            rec, nxt = r
            yield rec, line
            line += rec.lines
            pos = nxt
