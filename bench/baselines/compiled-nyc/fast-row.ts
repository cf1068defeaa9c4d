// FROZEN BASELINE: the pre-issue-15 compiled NYC rules (core/src/record/{spec,header,normalize,tsv}.ts
// and loader/src/engine/fast-row.ts as of commit e6b18a5), kept only so bench/rules.ts can
// measure the generic, spec-driven rules against them. Not used by pipewarden itself; do not
// fix or extend: it must stay what the old code was.
// The inline engine's fast path: one pure-ASCII record, straight from its field bytes to
// its TSV line in the batch buffer — no string per field, no row array, no line string.
// It applies exactly the rules of core's normalizeInto (the reference: used for every
// record this path declines, by the Spark parity tests and by the unit tests), and
// loader/test/fast-row.test.ts proves both give the same bytes and the same oddity
// counts on the real sample, generated data and fuzzed fields.
import { COLUMNS, KEY_INDEX, type ColumnSpec, type RejectReason } from './spec';
import type { HeaderMap } from './header';
import type { OddityCounter } from './normalize';

const TAB = 9;
const LF = 10;
const CR = 13;
const BACKSLASH = 92;
const SLASH = 47;
const COLON = 58;
const DASH = 45;
const ZERO = 48;
const NUL = 0;

const enum Kind {
  Key,
  Str,
  State,
  PlateType,
  Int,
  Date,
  Time,
  Year,
}

const KINDS: Record<ColumnSpec['type'], Kind> = { key: Kind.Key, string: Kind.Str, state: Kind.State, plate_type: Kind.PlateType, int: Kind.Int, date: Kind.Date, time: Kind.Time, year: Kind.Year };
const COLS = COLUMNS.map((c) => ({ kind: KINDS[c.type], max: c.max ?? Infinity, min: c.min ?? -Infinity, maxLen: c.max ?? Infinity }));
const NCOLS = COLS.length;
const KEY = KEY_INDEX;
const MAX_KEY = '9223372036854775807';
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** JS String#trim's whitespace, restricted to ASCII (the fast path only sees ASCII). */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  const l = c | 0x20;
  return l >= 97 && l <= 122;
}

function digits(b: Buffer, s: number, e: number): number {
  let n = 0;
  for (let i = s; i < e; i++) n = n * 10 + (b[i] - ZERO);
  return n;
}

function allDigits(b: Buffer, s: number, e: number): boolean {
  if (e <= s) return false;
  for (let i = s; i < e; i++) if (!isDigit(b[i])) return false;
  return true;
}

function validDate(y: number, m: number, d: number): boolean {
  if (y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS[m - 1]);
}

/** Writes one row; grows its buffer on demand. */
export interface RowWriter {
  buf: Buffer;
  len: number;
  ensure(bytes: number): void;
}

function put2(w: RowWriter, n: number): void {
  w.buf[w.len++] = ZERO + ((n / 10) | 0);
  w.buf[w.len++] = ZERO + (n % 10);
}

function putInt(w: RowWriter, n: number): void {
  w.len += w.buf.write(String(n), w.len, 'latin1');
}

function putNull(w: RowWriter): void {
  w.buf[w.len++] = BACKSLASH;
  w.buf[w.len++] = 78; // N
}

/** Copy bytes, escaping what LOAD DATA's default format escapes (as encodeTsvLine does). */
function putText(w: RowWriter, b: Buffer, s: number, e: number, upper: boolean): void {
  for (let i = s; i < e; i++) {
    let c = b[i];
    if (c === TAB || c === LF || c === CR || c === BACKSLASH || c === NUL) {
      w.buf[w.len++] = BACKSLASH;
      c = c === TAB ? 116 : c === LF ? 110 : c === CR ? 114 : c === NUL ? ZERO : BACKSLASH;
    } else if (upper && c >= 97 && c <= 122) c -= 32;
    w.buf[w.len++] = c;
  }
}

/**
 * Normalize an ASCII record whose fields have no "" escapes into `w`, or return why the
 * row cannot be kept (nothing written then). `keyOut[0]` receives the key.
 */
export function fastRow(b: Buffer, ranges: ArrayLike<number>, map: HeaderMap, odd: OddityCounter, w: RowWriter, keyOut: string[]): RejectReason | null {
  if (ranges.length >> 1 !== map.fieldCount) return 'column_count';
  const fi = map.fieldIndex;
  // The key first: a row without one writes nothing.
  let ks = ranges[fi[KEY] * 2];
  let ke = ranges[fi[KEY] * 2 + 1];
  while (ks < ke && isSpace(b[ks])) ks++;
  while (ke > ks && isSpace(b[ke - 1])) ke--;
  if (ks === ke) return 'missing_key';
  if (!allDigits(b, ks, ke)) return 'invalid_key';
  while (ks < ke - 1 && b[ks] === ZERO) ks++;
  if (ke - ks === 1 && b[ks] === ZERO) return 'invalid_key';
  if (ke - ks > MAX_KEY.length) return 'invalid_key';
  const key = b.toString('latin1', ks, ke);
  if (key.length === MAX_KEY.length && key > MAX_KEY) return 'invalid_key';
  keyOut[0] = key;

  // Worst case per field: every byte escaped (2x), a date growing 8 → 10, plus separators.
  let need = 0;
  for (let i = 0; i < ranges.length; i += 2) need += ranges[i + 1] - ranges[i];
  w.ensure(need * 2 + NCOLS * 4 + 1);
  const counts = odd.counts;
  for (let col = 0; col < NCOLS; col++) {
    if (col > 0) w.buf[w.len++] = TAB;
    if (col === KEY) {
      w.len += w.buf.write(key, w.len, 'latin1');
      continue;
    }
    let s = ranges[fi[col] * 2];
    let e = ranges[fi[col] * 2 + 1];
    while (s < e && isSpace(b[s])) s++;
    while (e > s && isSpace(b[e - 1])) e--;
    if (s === e) {
      putNull(w);
      continue;
    }
    const spec = COLS[col];
    const len = e - s;
    let ok = true;
    switch (spec.kind) {
      case Kind.Str:
        if (len > spec.maxLen) ok = false;
        else putText(w, b, s, e, false);
        break;
      case Kind.State:
        if (len === 2 && isLetter(b[s]) && isLetter(b[s + 1])) putText(w, b, s, e, true);
        else ok = false;
        break;
      case Kind.PlateType:
        if (len === 3 && isLetter(b[s]) && isLetter(b[s + 1]) && isLetter(b[s + 2])) putText(w, b, s, e, true);
        else ok = false;
        break;
      case Kind.Int: {
        if (len > 12 || !allDigits(b, s, e)) ok = false;
        else {
          const n = digits(b, s, e);
          if (n < spec.min || n > spec.max) ok = false;
          else putInt(w, n);
        }
        break;
      }
      case Kind.Year: {
        if (len !== 4 || !allDigits(b, s, e)) ok = false;
        else {
          const y = digits(b, s, e);
          if (y < 1900 || y > 2099) ok = false;
          else putInt(w, y);
        }
        break;
      }
      case Kind.Date: {
        let y = 0;
        let m = 0;
        let d = 0;
        if (len === 10 && b[s + 2] === SLASH && b[s + 5] === SLASH && allDigits(b, s, s + 2) && allDigits(b, s + 3, s + 5) && allDigits(b, s + 6, e)) {
          m = digits(b, s, s + 2);
          d = digits(b, s + 3, s + 5);
          y = digits(b, s + 6, e);
        } else if (len === 8 && allDigits(b, s, e)) {
          y = digits(b, s, s + 4);
          m = digits(b, s + 4, s + 6);
          d = digits(b, s + 6, e);
        }
        if (!validDate(y, m, d)) ok = false;
        else {
          putInt(w, y);
          w.buf[w.len++] = DASH;
          put2(w, m);
          w.buf[w.len++] = DASH;
          put2(w, d);
        }
        break;
      }
      case Kind.Time: {
        let de = e;
        const last = b[e - 1] | 0x20;
        let suffix = 0;
        if (last === 97 || last === 112) {
          suffix = last;
          de--;
        }
        if (de - s !== 4 || !allDigits(b, s, de)) ok = false;
        else {
          let h = digits(b, s, s + 2);
          const mi = digits(b, s + 2, de);
          if (mi > 59) ok = false;
          else if (suffix === 0) ok = h <= 23;
          else if (h > 12) ok = false;
          else if (suffix === 97 && h === 12) h = 0;
          else if (suffix === 112 && h < 12) h += 12;
          if (ok) {
            put2(w, h);
            w.buf[w.len++] = COLON;
            put2(w, mi);
            w.buf[w.len++] = COLON;
            w.buf[w.len++] = ZERO;
            w.buf[w.len++] = ZERO;
          }
        }
        break;
      }
      case Kind.Key:
        break;
    }
    if (!ok) {
      putNull(w);
      counts[col]++;
    }
  }
  w.buf[w.len++] = LF;
  return null;
}
