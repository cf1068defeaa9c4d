// A streaming CSV record splitter over bytes (RFC 4180: comma, double quotes, "" escapes,
// CRLF or LF, quoted fields may span lines). Written for this loader rather than taken
// from csv-parse for two reasons it needs and csv-parse does not give: exact byte offsets
// and line numbers per record (checkpoints resume inside an object with a ranged read),
// and recovery from a malformed record at the next line, so one unbalanced quote costs
// one dead letter instead of the rest of the file. It is also about 3x faster.
//
// Memory is bounded whatever the input: a record longer than `maxRecordBytes` (an unclosed
// quote, a binary blob, a line that never ends) becomes one error record covering its
// bytes up to the next line end, of which only a prefix is kept; the rest is read and
// dropped. Objects whose lines end in a lone CR (classic Mac OS) are refused at their top:
// read by LF they would be one record, and silently reinterpreting them would part from the
// Spark job's splitter (./spark/job/pwcsv.py), which ports this file byte for byte.

import { isAscii, isUtf8 } from 'node:buffer';

// Buffer#toString(enc, start, end) validates its arguments on every call; decoding calls
// the native slices directly (same result, measured faster).
type NativeSlicer = { utf8Slice(start: number, end: number): string; latin1Slice(start: number, end: number): string };

export class CsvRecord {
  /** Set when every byte of the record is known to be valid UTF-8 (checked per chunk). */
  utf8Checked = false;
  private decoded?: string[];
  constructor(
    /**
     * Field byte ranges in the reader's buffer: [start0, end0, start1, end1, …]. A quoted
     * field with "" escapes has its start stored as -(start + 1). A view into the reader's
     * range slab (see CsvRecordReader.slab).
     */
    readonly ranges: Int32Array,
    /** Absolute byte offset of the record's first byte, and just past its terminator. */
    readonly startByte: number,
    readonly endByte: number,
    /** 1-based line number where the record starts, and of the line after it. */
    readonly line: number,
    readonly nextLine: number,
    /** The reader's buffer: valid until the next push(). */
    readonly source: Buffer,
    private readonly rawStart: number,
    private readonly rawEnd: number,
    /** The region holding the record is pure ASCII. */
    readonly ascii: boolean,
    /** Set when the record could not be parsed. */
    readonly error?: string,
  ) {}

  get fieldCount(): number {
    return this.ranges.length >> 1;
  }

  /** True when some quoted field has "" escapes (its bytes are not its value). */
  get hasEscapes(): boolean {
    for (let i = 0; i < this.ranges.length; i += 2) if (this.ranges[i] < 0) return true;
    return false;
  }

  /** The fields as strings, decoded on first use (the fast row path never needs them). */
  get fields(): string[] {
    if (this.decoded) return this.decoded;
    const src = this.source as unknown as NativeSlicer;
    const out = new Array<string>(this.ranges.length >> 1);
    for (let i = 0, f = 0; i < this.ranges.length; i += 2, f++) {
      let s = this.ranges[i];
      const escaped = s < 0;
      if (escaped) s = -s - 1;
      const v = this.ascii ? src.latin1Slice(s, this.ranges[i + 1]) : src.utf8Slice(s, this.ranges[i + 1]);
      out[f] = escaped ? v.replace(/""/g, '"') : v;
    }
    this.decoded = out;
    return out;
  }

  /**
   * The record's bytes without terminator: a view into the reader's buffer, valid until
   * the next push(); copy to keep. Made on demand (dead letters, UTF-8 checks).
   */
  get raw(): Buffer {
    return this.source.subarray(this.rawStart, this.rawEnd);
  }
}

/** The input is not CSV this splitter can cut (the message says why). */
export class CsvFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvFormatError';
  }
}

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;
/** closingQuote(): the buffer ends inside the quoted field. */
const UNCLOSED = -1;
/** closingQuote(): a quote ends the buffer; what follows it decides. */
const AWAIT_BYTES = -2;

export interface CsvRecordReaderOptions {
  /** Absolute offset of the first byte pushed (for resumed ranged reads). */
  startByte?: number;
  /** Line number of the first byte pushed. */
  startLine?: number;
  /** A record longer than this is malformed (an unclosed quote, no line end): resync at the next line. */
  maxRecordBytes?: number;
}

/** A record without fields (error records). */
const NO_RANGES = new Int32Array(0);
/**
 * Int32 slots per range slab: 256 KB, the ranges of about 640 NYC records. A new slab starts
 * when one is full; records keep views of theirs.
 */
const SLAB_SLOTS = 1 << 16;

/** Bytes of an over-long record kept for its dead letter (the rest is dropped unread). */
const TOO_LONG_PREFIX = 64 << 10;
/** How far into an object its first line end is looked for before the lone-CR verdict. */
const LINE_END_PROBE = 64 << 10;

/** An over-long record being dropped up to its line end. */
interface Skipping {
  startByte: number;
  line: number;
  prefix: Buffer;
  bytes: number;
}

export class CsvRecordReader {
  private buf: Buffer = Buffer.alloc(0);
  /** Absolute offset of buf[0]. */
  private base: number;
  private line: number;
  private readonly maxRecordBytes: number;
  private first = true;
  /** The object's line ends are still to be checked (reading from its top). */
  private probeLineEnds: boolean;
  /**
   * Chunks without a line end received while a record is incomplete: held unparsed, since
   * no record can complete before a line end (or the end of input). Parsing the buffer again
   * on every chunk would make a long record cost quadratic time.
   */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private skipping?: Skipping;

  constructor(opts: CsvRecordReaderOptions = {}) {
    this.base = opts.startByte ?? 0;
    this.line = opts.startLine ?? 1;
    this.maxRecordBytes = opts.maxRecordBytes ?? 32 << 20;
    this.first = this.base === 0;
    this.probeLineEnds = this.base === 0;
  }

  /** Feed bytes; returns the records completed so far. */
  push(chunk: Buffer): CsvRecord[] {
    const out: CsvRecord[] = [];
    if (this.skipping) {
      const lf = chunk.indexOf(LF);
      if (lf < 0) {
        this.skipping.bytes += chunk.length;
        this.base += chunk.length;
        return out;
      }
      this.skipping.bytes += lf + 1;
      this.base += lf + 1;
      out.push(this.endSkipping());
      chunk = chunk.subarray(lf + 1);
      if (chunk.length === 0) return out;
    }
    const pending = this.buf.length + this.heldBytes + chunk.length;
    if (this.buf.length > 0 && !this.probeLineEnds && pending <= this.maxRecordBytes && chunk.indexOf(LF) < 0) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      return out;
    }
    this.buf = this.buf.length === 0 && this.held.length === 0 ? chunk : Buffer.concat([this.buf, ...this.held, chunk]);
    this.held = [];
    this.heldBytes = 0;
    if (this.first && this.buf.length >= 3) {
      // A UTF-8 BOM at the very start of the object is not data.
      if (this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) {
        this.buf = this.buf.subarray(3);
        this.base += 3;
      }
      this.first = false;
    }
    for (const r of this.drain(false)) out.push(r);
    return out;
  }

  /** End of input: returns the last records (a final record without a terminator included). */
  end(): CsvRecord[] {
    this.first = false;
    if (this.skipping) return [this.endSkipping()];
    if (this.held.length > 0) {
      this.buf = Buffer.concat([this.buf, ...this.held]);
      this.held = [];
      this.heldBytes = 0;
    }
    return this.drain(true);
  }

  /**
   * At the top of an object: refuse lone-CR line ends, exactly as pwcsv.check_line_ends
   * does: no LF in the first LINE_END_PROBE bytes and a CR among them that cannot be the
   * first half of a CRLF. Decided on those bytes only (or the whole object when shorter),
   * so the verdict does not depend on the read sizes. Returns false while undecided.
   */
  private checkLineEnds(buf: Buffer, eof: boolean): boolean {
    const probe = buf.subarray(0, LINE_END_PROBE);
    if (probe.indexOf(LF) >= 0) return true;
    if (!eof && buf.length < LINE_END_PROBE) return false;
    const whole = eof && buf.length < LINE_END_PROBE;
    const cr = probe.indexOf(CR);
    if (cr >= 0 && (cr + 1 < probe.length || whole)) {
      throw new CsvFormatError(`its lines end in a lone CR (classic Mac OS line ends; no LF in its first ${probe.length} bytes)`);
    }
    return true;
  }

  /** The record at `start` is longer than the limit and its line end is not here yet: drop it as it comes. */
  private startSkipping(buf: Buffer, start: number, end = buf.length): void {
    const prefix = Buffer.from(buf.subarray(start, start + Math.min(TOO_LONG_PREFIX, this.maxRecordBytes)));
    this.skipping = { startByte: this.base + start, line: this.line, prefix, bytes: end - start };
  }

  private endSkipping(): CsvRecord {
    const s = this.skipping!;
    this.skipping = undefined;
    this.line = s.line + 1;
    // s.bytes includes the LF; the prefix (shorter than the limit) never reaches it.
    const why = `record longer than ${this.maxRecordBytes} bytes (${s.bytes} bytes to its line end; its first ${s.prefix.length} kept)`;
    return new CsvRecord(NO_RANGES, s.startByte, s.startByte + s.bytes, s.line, this.line, s.prefix, 0, s.prefix.length, isAscii(s.prefix), why);
  }

  /** The buffer being drained is pure ASCII: fields decode as one-byte strings, faster. */
  private ascii = false;

  private drain(eof: boolean): CsvRecord[] {
    const out: CsvRecord[] = [];
    let pos = 0;
    const buf = this.buf;
    if (this.probeLineEnds) {
      if (!this.checkLineEnds(buf, eof)) return out;
      this.probeLineEnds = false;
    }
    this.ascii = isAscii(buf);
    for (;;) {
      while (pos < buf.length) {
        // A record is judged on its first maxRecordBytes + 1 bytes only, as if the bytes had
        // come one at a time: whether a record is over-long must not depend on where the
        // reads happened to end (a re-read with other chunks must cut the same records).
        const window = buf.length - pos > this.maxRecordBytes + 1 ? buf.subarray(0, pos + this.maxRecordBytes + 1) : buf;
        const r = this.parseOne(window, pos, eof && window === buf);
        if (r === null) break;
        out.push(r.record);
        pos = r.next;
      }
      if (eof || buf.length - pos <= this.maxRecordBytes) break;
      // The record at pos is too long, whatever its quoting: one error record to its line end.
      const lf = buf.indexOf(LF, pos);
      if (lf < 0) {
        this.startSkipping(buf, pos);
        pos = buf.length;
        break;
      }
      if (lf > pos + this.maxRecordBytes) {
        // Its line end lies past the limit: the same record as when the line arrives in
        // pieces and is dropped while read.
        this.startSkipping(buf, pos, lf + 1);
        out.push(this.endSkipping());
        pos = lf + 1;
        continue;
      }
      const r = this.malformed(buf, pos, `record longer than ${this.maxRecordBytes} bytes`, false)!;
      out.push(r.record);
      pos = r.next;
    }
    // One native check for the whole region instead of one per record; records of a region
    // that fails (or splits a character at its end) are checked one by one by the engine.
    if (out.length > 0 && (this.ascii || isUtf8(buf.subarray(0, pos)))) for (const r of out) r.utf8Checked = true;
    this.buf = pos >= buf.length ? Buffer.alloc(0) : buf.subarray(pos);
    this.base += pos;
    return out;
  }

  /**
   * Parse one record starting at `start`. Returns null when more bytes are needed.
   * Empty lines are records with one empty field (the caller treats them as blank).
   */
  private parseOne(buf: Buffer, start: number, eof: boolean): { record: CsvRecord; next: number } | null {
    // The record's ranges go to the slab from slabAt; a record that needs more bytes (null)
    // or is malformed gives back the slots it took.
    this.recordAt = this.slabAt;
    const r = this.cutRecord(buf, start, eof);
    if (r === null || r.record.ranges === NO_RANGES) this.slabAt = this.recordAt;
    return r;
  }

  private cutRecord(buf: Buffer, start: number, eof: boolean): { record: CsvRecord; next: number } | null {
    let i = start;
    let newlinesInside = 0;
    const n = buf.length;
    for (;;) {
      // one field
      if (i < n && buf[i] === QUOTE) {
        const closed = this.closingQuote(buf, i, eof);
        if (closed === AWAIT_BYTES) return null;
        if (closed === UNCLOSED) {
          if (!eof && n - start <= this.maxRecordBytes) return null;
          return this.malformed(buf, start, 'unclosed quoted field', eof);
        }
        this.range(this.quotedEscapes ? -(i + 1) - 1 : i + 1, closed);
        newlinesInside += this.quotedLfs;
        i = closed + 1;
        if (i >= n) {
          if (!eof) return null;
          return this.finish(buf, start, i, i, newlinesInside);
        }
        const c = buf[i];
        if (c === COMMA) {
          i++;
          continue;
        }
        if (c === LF) return this.finish(buf, start, i, i + 1, newlinesInside);
        if (c === CR && i + 1 < n && buf[i + 1] === LF) return this.finish(buf, start, i, i + 2, newlinesInside);
        if (c === CR && i + 1 >= n && !eof) return null;
        return this.malformed(buf, start, 'characters after a closing quote', eof);
      }
      // unquoted field: up to the next comma or line end
      let j = i;
      while (j < n) {
        const c = buf[j];
        if (c === COMMA || c === LF) break;
        j++;
      }
      if (j >= n && !eof) return null;
      let end = j;
      if (end > i && buf[end - 1] === CR && (j >= n || buf[j] === LF)) end--;
      this.range(i, end);
      if (j >= n) return this.finish(buf, start, end, j, newlinesInside);
      if (buf[j] === COMMA) {
        i = j + 1;
        continue;
      }
      return this.finish(buf, start, end, j + 1, newlinesInside);
    }
  }

  /**
   * Field ranges of the records being cut, in slabs: an array per record, grown push by push
   * (before), cost about 1.4 KB of garbage per NYC row, 72% of the loader's allocations,
   * and the young generation's churn promoted much of it to the old space.
   */
  private slab = new Int32Array(SLAB_SLOTS);
  private slabAt = 0;
  /** Where the ranges of the record being parsed start in the slab. */
  private recordAt = 0;

  /** One field's range, for the record being parsed. */
  private range(start: number, end: number): void {
    if (this.slabAt + 2 > this.slab.length) {
      // A new slab (the full one stays with the records that view it), the record's ranges so far moved to its top.
      const next = new Int32Array(Math.max(SLAB_SLOTS, 2 * (this.slabAt - this.recordAt + 2)));
      next.set(this.slab.subarray(this.recordAt, this.slabAt));
      this.slabAt -= this.recordAt;
      this.recordAt = 0;
      this.slab = next;
    }
    this.slab[this.slabAt++] = start;
    this.slab[this.slabAt++] = end;
  }

  /** Set by closingQuote(): the field has "" escapes, and how many line ends it holds. */
  private quotedEscapes = false;
  private quotedLfs = 0;

  /**
   * The closing quote of the quoted field opening at `open`: its index, UNCLOSED when the
   * buffer ends inside the field, AWAIT_BYTES when the byte after a quote at the buffer's
   * end is still to come ("" or the end?). Sets quotedEscapes and quotedLfs.
   */
  private closingQuote(buf: Buffer, open: number, eof: boolean): number {
    const n = buf.length;
    let j = open + 1;
    let escapes = false;
    let lfs = 0;
    let closed = UNCLOSED;
    while (j < n) {
      const c = buf[j];
      if (c === QUOTE) {
        if (j + 1 < n && buf[j + 1] === QUOTE) {
          escapes = true;
          j += 2;
          continue;
        }
        if (j + 1 >= n && !eof) return AWAIT_BYTES; // need to see what follows the quote
        closed = j;
        break;
      }
      if (c === LF) lfs++;
      j++;
    }
    this.quotedEscapes = escapes;
    this.quotedLfs = lfs;
    return closed;
  }

  private finish(buf: Buffer, start: number, contentEnd: number, next: number, newlinesInside: number): { record: CsvRecord; next: number } {
    const ranges = this.slab.subarray(this.recordAt, this.slabAt);
    const line = this.line;
    this.line += 1 + newlinesInside;
    return { record: new CsvRecord(ranges, this.base + start, this.base + next, line, this.line, buf, start, contentEnd, this.ascii), next };
  }

  /** A malformed record: everything up to the end of its first line becomes one error record. */
  private malformed(buf: Buffer, start: number, why: string, eof: boolean): { record: CsvRecord; next: number } | null {
    const lf = buf.indexOf(LF, start);
    if (lf < 0 && !eof) return null;
    const next = lf < 0 ? buf.length : lf + 1;
    let contentEnd = lf < 0 ? buf.length : lf;
    if (contentEnd > start && buf[contentEnd - 1] === CR) contentEnd--;
    const record = new CsvRecord(NO_RANGES, this.base + start, this.base + next, this.line, this.line + 1, buf, start, contentEnd, this.ascii, why);
    this.line += 1;
    return { record, next };
  }

  /** Bytes held waiting for the rest of a record. */
  get pending(): number {
    return this.buf.length + this.heldBytes + (this.skipping?.prefix.length ?? 0);
  }
}
