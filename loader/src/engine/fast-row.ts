// The inline engine's fast path: one pure-ASCII record, straight from its field bytes to
// its TSV line in the batch buffer — no string per field, no row array, no line string.
// It applies the dataset's compiled column rules (core's RowRules.columns): integers,
// decimals, dates and times through core's byte-level rules (the very functions the
// reference calls), strings and fixed-length patterns byte by byte, booleans, enums and
// other patterns through the column's reference check on the field's text. It must give
// exactly the reference's (RowRules.normalizeInto) bytes, reject reasons and oddity counts:
// loader/test/fast-row*.test.ts prove it on the real sample, generated rows, fuzzed fields
// and random specs.
import {
  CASE_UPPER as CORE_CASE_UPPER,
  CASE_LOWER as CORE_CASE_LOWER,
  KIND_DECIMAL as CORE_KIND_DECIMAL,
  KIND_INTEGER as CORE_KIND_INTEGER,
  KIND_LOOKUP as CORE_KIND_LOOKUP,
  KIND_PATTERN as CORE_KIND_PATTERN,
  KIND_STRING as CORE_KIND_STRING,
  KIND_TEMPORAL as CORE_KIND_TEMPORAL,
  writeDecimal as coreWriteDecimal,
  writeInteger as coreWriteInteger,
  writeTemporal as coreWriteTemporal,
  escapeField as coreEscapeField,
  encodeTsvLine,
  type ByteSink,
  type ColumnRule,
  type GrowableSink,
  type HeaderMap,
  type OddityCounter,
  type RejectReason,
  type RowRules,
  type Value,
} from '@pipewarden/core';
import type { CsvRecord } from './csv-records';

// Local copies: compiled to CommonJS, an imported binding is a getter call (through
// core's `export *` chain) on every use — measured: 60% of this path's time.
const CASE_UPPER: number = CORE_CASE_UPPER;
const CASE_LOWER: number = CORE_CASE_LOWER;
const KIND_STRING: number = CORE_KIND_STRING;
const KIND_INTEGER: number = CORE_KIND_INTEGER;
const KIND_DECIMAL: number = CORE_KIND_DECIMAL;
const KIND_TEMPORAL: number = CORE_KIND_TEMPORAL;
const KIND_PATTERN: number = CORE_KIND_PATTERN;
const KIND_LOOKUP: number = CORE_KIND_LOOKUP;
const writeInteger = coreWriteInteger;
const writeDecimal = coreWriteDecimal;
const writeTemporal = coreWriteTemporal;
const escapeField = coreEscapeField;

const TAB = 9;
const LF = 10;
const CR = 13;
const BACKSLASH = 92;
const ZERO = 48;
const NUL = 0;

/** Writes one row; grows its buffer on demand. */
export type RowWriter = ByteSink;

/** JS String#trim's whitespace, restricted to ASCII (the fast path only sees ASCII). */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function putNull(w: RowWriter): void {
  w.buf[w.len++] = BACKSLASH;
  w.buf[w.len++] = 78; // N
}

/** Copy bytes, escaping what LOAD DATA's default format escapes (as encodeTsvLine does), changing ASCII case on request. */
function putText(w: RowWriter, b: Buffer, s: number, e: number, caseMode: number): void {
  const buf = w.buf;
  let o = w.len;
  for (let i = s; i < e; i++) {
    let c = b[i];
    if (c === TAB || c === LF || c === CR || c === BACKSLASH || c === NUL) {
      buf[o++] = BACKSLASH;
      c = c === TAB ? 116 : c === LF ? 110 : c === CR ? 114 : c === NUL ? ZERO : BACKSLASH;
    } else if (caseMode === CASE_UPPER) {
      if (c >= 97 && c <= 122) c -= 32;
    } else if (caseMode === CASE_LOWER) {
      if (c >= 65 && c <= 90) c += 32;
    }
    buf[o++] = c;
  }
  w.len = o;
}

/** Write a value the column's reference check returned (any text: escaped as the TSV escapes it, UTF-8). */
function putString(w: RowWriter, v: string): void {
  w.len += w.buf.write(escapeField(v), w.len, 'utf8');
}

function matchesFixed(b: Buffer, s: number, e: number, tables: readonly Uint8Array[]): boolean {
  if (e - s !== tables.length) return false;
  for (let i = 0; i < tables.length; i++) {
    const c = b[s + i];
    if (c > 127 || tables[i][c] === 0) return false;
  }
  return true;
}

/** True when b[s..e) equals one of the column's (ASCII) NULL spellings. */
function isNullSpelling(b: Buffer, s: number, e: number, spellings: readonly Buffer[]): boolean {
  const n = e - s;
  next: for (let k = 0; k < spellings.length; k++) {
    const v = spellings[k];
    if (v.length !== n) continue;
    for (let i = 0; i < n; i++) if (b[s + i] !== v[i]) continue next;
    return true;
  }
  return false;
}

/** The column's reference check on the field's text (ASCII: latin1 is exact), its value written. */
function viaCheck(w: RowWriter, rule: ColumnRule, b: Buffer, s: number, e: number): boolean {
  const v = rule.check(b.toString('latin1', s, e));
  if (v === undefined) return false;
  putString(w, v);
  return true;
}

/**
 * Write a non-empty, trimmed field b[s..e) by its column's rule; false when the rule refuses
 * it (nothing written then).
 */
function writeValue(w: RowWriter, rule: ColumnRule, b: Buffer, s: number, e: number): boolean {
  switch (rule.kind) {
    case KIND_STRING: {
      const len = e - s;
      const ok = len >= rule.minLength && len <= rule.maxLength;
      if (ok) putText(w, b, s, e, 0);
      return ok;
    }
    case KIND_INTEGER:
      return writeInteger(b, s, e, rule.integer!, w);
    case KIND_DECIMAL:
      return writeDecimal(b, s, e, rule.decimal!, w);
    case KIND_TEMPORAL:
      return writeTemporal(b, s, e, rule.temporal!, w);
    case KIND_PATTERN:
      if (rule.fixedPattern !== null) {
        // ASCII case changes keep the length.
        const ok = matchesFixed(b, s, e, rule.fixedPattern) && e - s >= rule.minLength && e - s <= rule.maxLength;
        if (ok) putText(w, b, s, e, rule.caseMode);
        return ok;
      }
      return viaCheck(w, rule, b, s, e); // any other pattern: the column's RegExp on the field's text
    case KIND_LOOKUP:
    default:
      return viaCheck(w, rule, b, s, e);
  }
}

/** The fast path of one dataset's rules. */
export class FastRows {
  private readonly cols: readonly ColumnRule[];
  private readonly ncols: number;
  private readonly growth: number;
  private readonly keyIndexes: readonly number[];
  /** Per column: its position among the key columns, or -1. */
  private readonly keySlot: Int32Array;
  /** Start and end offsets (in the row buffer) of each key column's written text. */
  private readonly keyPos: Int32Array;
  private readonly odd: Int32Array;
  private readonly keyEncoding: 'latin1' | 'utf8';
  /** row()'s key out-parameter, for record(). */
  private readonly key: string[] = [''];

  constructor(readonly rules: RowRules) {
    this.cols = rules.columns;
    this.ncols = this.cols.length;
    this.growth = this.cols.reduce((n, c) => n + c.growth, 0);
    this.keyIndexes = rules.keyIndexes;
    this.keySlot = new Int32Array(this.ncols).fill(-1);
    rules.keyIndexes.forEach((c, k) => (this.keySlot[c] = k));
    this.keyPos = new Int32Array(rules.keyIndexes.length * 2);
    this.odd = new Int32Array(this.ncols);
    this.keyEncoding = rules.nonAsciiOutput ? 'utf8' : 'latin1';
  }

  /**
   * One record, by the path it can take: the fast path (row) for an ASCII record without
   * "" escapes, else the reference (RowRules.normalizeInto, `values` its reused scratch)
   * and one encoded line. Kept: the row is appended to `w` and its key text to `keys`;
   * else why not (nothing written).
   */
  record(r: CsvRecord, map: HeaderMap, oddities: OddityCounter, w: GrowableSink, keys: string[], values: Value[]): RejectReason | null {
    if (r.ascii && !r.hasEscapes) {
      const reason = this.row(r.source, r.ranges, map, oddities, w, this.key);
      if (reason === null) keys.push(this.key[0]);
      return reason;
    }
    const rules = this.rules;
    const reason = rules.normalizeInto(r.fields, map, oddities, values);
    if (reason !== null) return reason;
    const line = encodeTsvLine(values);
    // Keyless: the key text is the line itself (without its newline), encoded once.
    keys.push(this.keyIndexes.length === 0 ? line.slice(0, -1) : rules.keyOfValues(values));
    w.write(line);
    return null;
  }

  /**
   * Normalize an ASCII record whose fields have no "" escapes into `w`, or return why the
   * row cannot be kept (nothing written then). `keyOut[0]` receives the row's key text.
   */
  row(b: Buffer, ranges: ArrayLike<number>, map: HeaderMap, oddities: OddityCounter, w: RowWriter, keyOut: string[]): RejectReason | null {
    if (ranges.length >> 1 !== map.fieldCount) return 'column_count';
    const fi = map.fieldIndex;
    const cols = this.cols;
    const ncols = this.ncols;
    const keySlot = this.keySlot;
    const keyPos = this.keyPos;
    // Worst case: every byte escaped (2x), each column's growth (dates 8 → 10, padded decimals), separators and \N.
    let need = 0;
    for (let i = 0; i < ranges.length; i += 2) need += ranges[i + 1] - ranges[i];
    w.ensure(need * 2 + ncols * 4 + this.growth + 1);
    const start = w.len;
    let nOdd = 0;
    for (let col = 0; col < ncols; col++) {
      if (col > 0) w.buf[w.len++] = TAB;
      const f = fi[col];
      const rule = cols[col];
      const at = w.len;
      if (f < 0) {
        putNull(w);
        continue;
      }
      let s = ranges[f * 2];
      let e = ranges[f * 2 + 1];
      while (s < e && isSpace(b[s])) s++;
      while (e > s && isSpace(b[e - 1])) e--;
      // Empty or a NULL spelling: the same outcome (nullBytes is null for most columns: one test).
      if (s === e || (rule.nullBytes !== null && isNullSpelling(b, s, e, rule.nullBytes))) {
        if (rule.required) {
          w.len = start;
          return rule.key ? 'missing_key' : 'missing_value';
        }
        putNull(w);
        continue;
      }
      const ok = writeValue(w, rule, b, s, e);
      if (!ok) {
        if (rule.required) {
          w.len = start;
          return rule.key ? 'invalid_key' : 'invalid_value';
        }
        putNull(w);
        this.odd[nOdd++] = col;
      } else if (keySlot[col] >= 0) {
        keyPos[keySlot[col] * 2] = at;
        keyPos[keySlot[col] * 2 + 1] = w.len;
      }
    }
    const counts = oddities.counts;
    for (let k = 0; k < nOdd; k++) counts[this.odd[k]]++;
    keyOut[0] = this.keyText(w.buf, start, w.len);
    w.buf[w.len++] = LF;
    return null;
  }

  /** The row's key text: its key columns' written text (tab-joined), or the whole row (`start`..`end`) when keyless. */
  private keyText(buf: Buffer, start: number, end: number): string {
    const nkeys = this.keyIndexes.length;
    const keyPos = this.keyPos;
    if (nkeys === 1) return buf.toString(this.keyEncoding, keyPos[0], keyPos[1]);
    if (nkeys === 0) return buf.toString(this.keyEncoding, start, end);
    let k = buf.toString(this.keyEncoding, keyPos[0], keyPos[1]);
    for (let i = 1; i < nkeys; i++) k += '\t' + buf.toString(this.keyEncoding, keyPos[i * 2], keyPos[i * 2 + 1]);
    return k;
  }
}
