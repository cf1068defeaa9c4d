// Byte-level rules for the typed columns (integer, decimal, date, time, datetime): each
// compiled once per column from the spec, then applied to a field's bytes, writing the
// column's canonical text straight into a byte sink. ONE implementation serves both paths:
// the inline engine's fast path calls them on the record's own bytes, and the reference
// (normalize.ts) calls them on a field's UTF-8 bytes, so these rules exist once.
//
// Semantics (docs: core/src/dataset/types.ts and formats.ts; the Spark port must match):
//   integer   optional '-', then ASCII digits; leading zeros dropped; '-0' is 0; within
//             [min, max] compared exactly (bounds beyond 2^53 by digit strings).
//   decimal   optional '-', digits, optional '.' and digits, at least one digit. At most
//             precision − scale integer digits (leading zeros not counted) and at most
//             `scale` fraction digits as written (trailing zeros count: never rounded);
//             within [min, max]; written with exactly `scale` fraction digits, no '-' on 0.
//   temporal  formats tried in order; the first that matches the whole value AND gives a
//             real date/time inside the window wins. 1-or-2-digit tokens take two digits
//             when two are there. A: 'a'/'p' in any case, optionally followed by 'm'/'M'.
//             With hh/h: 12 A and 00 A are hour 0, P adds 12 to hours 1-11 (00 P stays 0,
//             12 P stays 12). Written YYYY-MM-DD, HH:MM:SS, YYYY-MM-DD HH:MM:SS.
import { parseFormat, type FormatToken } from '../dataset/formats';
import { compareDecimal } from '../dataset/text';
import type { DateColumn, DatetimeColumn, DecimalColumn, IntegerColumn, TimeColumn } from '../dataset/types';

/** Where a rule writes: a growable byte buffer (the batch buffer, or a scratch one). */
export interface ByteSink {
  buf: Buffer;
  len: number;
  ensure(bytes: number): void;
}

/** The one growable ByteSink: doubles when a write would not fit, keeping what it holds. */
export class GrowableSink implements ByteSink {
  buf: Buffer;
  len = 0;
  constructor(size = 1 << 16) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Room for `bytes` more bytes after `len`. */
  ensure(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + bytes));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  /** Append text as UTF-8. */
  write(text: string): void {
    this.ensure(text.length * 3); // a UTF-16 unit takes at most 3 bytes in UTF-8
    this.len += this.buf.write(text, this.len, 'utf8');
  }

  /** What has been written (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

const ZERO = 48;
const DASH = 45;
const DOT = 46;
const COLON = 58;
const SPACE = 32;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

// ---------------------------------------------------------------- integer

export interface IntegerRule {
  /** Bounds as numbers: exact for the comparison of values with at most 15 digits (see writeInteger). */
  minNum: number;
  maxNum: number;
  minNeg: boolean;
  minDigits: string;
  maxNeg: boolean;
  maxDigits: string;
}

export function compileInteger(c: Pick<IntegerColumn, 'min' | 'max'>): IntegerRule {
  return { minNum: Number(c.min), maxNum: Number(c.max), minNeg: c.min.startsWith('-'), minDigits: c.min.replace('-', ''), maxNeg: c.max.startsWith('-'), maxDigits: c.max.replace('-', '') };
}

/** Compare the magnitude b[s..e) (no leading zeros) with a digit string. */
function compareMagnitude(b: Uint8Array, s: number, e: number, digits: string): number {
  if (e - s !== digits.length) return e - s - digits.length;
  for (let i = 0; i < digits.length; i++) {
    const d = b[s + i] - digits.charCodeAt(i);
    if (d !== 0) return d;
  }
  return 0;
}

function compareSigned(b: Uint8Array, s: number, e: number, neg: boolean, boundNeg: boolean, boundDigits: string): number {
  if (neg !== boundNeg) return neg ? -1 : 1;
  const m = compareMagnitude(b, s, e, boundDigits);
  return neg ? -m : m;
}

/** Validate b[s..e) (trimmed, non-empty) as an integer of rule `r`; write its canonical text. False: invalid, nothing written. */
export function writeInteger(b: Uint8Array, s: number, e: number, r: IntegerRule, w: ByteSink): boolean {
  let p = s;
  let neg = false;
  if (p < e && b[p] === DASH) {
    neg = true;
    p++;
  }
  if (p >= e) return false;
  for (let i = p; i < e; i++) if (!isDigit(b[i])) return false;
  while (p < e - 1 && b[p] === ZERO) p++;
  const nd = e - p;
  if (nd === 1 && b[p] === ZERO) neg = false;
  if (nd <= 15) {
    // |n| < 10^15 < 2^53: exact; a bound beyond 2^53 rounds to a double that is still on
    // the same side of every 15-digit value, so the comparison stays exact.
    let n = 0;
    for (let i = p; i < e; i++) n = n * 10 + (b[i] - ZERO);
    if (neg) n = -n;
    if (n < r.minNum || n > r.maxNum) return false;
  } else if (compareSigned(b, p, e, neg, r.minNeg, r.minDigits) < 0 || compareSigned(b, p, e, neg, r.maxNeg, r.maxDigits) > 0) return false;
  const buf = w.buf;
  let o = w.len;
  if (neg) buf[o++] = DASH;
  for (let i = p; i < e; i++) buf[o++] = b[i];
  w.len = o;
  return true;
}

// ---------------------------------------------------------------- decimal

export interface DecimalRule {
  intDigits: number;
  scale: number;
  min: string | undefined;
  max: string | undefined;
}

export function compileDecimal(c: Pick<DecimalColumn, 'precision' | 'scale' | 'min' | 'max'>): DecimalRule {
  return { intDigits: c.precision - c.scale, scale: c.scale, min: c.min, max: c.max };
}

export function writeDecimal(b: Uint8Array, s: number, e: number, r: DecimalRule, w: ByteSink): boolean {
  let p = s;
  let neg = false;
  if (p < e && b[p] === DASH) {
    neg = true;
    p++;
  }
  let is = p;
  while (p < e && isDigit(b[p])) p++;
  const ie = p;
  let fs = p;
  let fe = p;
  if (p < e && b[p] === DOT) {
    p++;
    fs = p;
    while (p < e && isDigit(b[p])) p++;
    fe = p;
  }
  if (p !== e || ie - is + (fe - fs) === 0) return false;
  while (is < ie && b[is] === ZERO) is++;
  if (ie - is > r.intDigits || fe - fs > r.scale) return false;
  let zero = is === ie;
  for (let i = fs; zero && i < fe; i++) if (b[i] !== ZERO) zero = false;
  if (zero) neg = false;
  if (r.min !== undefined || r.max !== undefined) {
    let te = fe;
    while (te > fs && b[te - 1] === ZERO) te--;
    const int = is === ie ? '0' : Buffer.from(b.buffer, b.byteOffset + is, ie - is).toString('latin1');
    const frac = te > fs ? '.' + Buffer.from(b.buffer, b.byteOffset + fs, te - fs).toString('latin1') : '';
    const v = (neg ? '-' : '') + int + frac;
    if ((r.min !== undefined && compareDecimal(v, r.min) < 0) || (r.max !== undefined && compareDecimal(v, r.max) > 0)) return false;
  }
  const buf = w.buf;
  let o = w.len;
  if (neg) buf[o++] = DASH;
  if (is === ie) buf[o++] = ZERO;
  else for (let i = is; i < ie; i++) buf[o++] = b[i];
  if (r.scale > 0) {
    buf[o++] = DOT;
    for (let i = fs; i < fe; i++) buf[o++] = b[i];
    for (let i = fe - fs; i < r.scale; i++) buf[o++] = ZERO;
  }
  w.len = o;
  return true;
}

/** Bytes a decimal of rule `r` may take when written (the sink must have them). */
export function decimalWidth(r: DecimalRule): number {
  return r.intDigits + r.scale + 3;
}

// ---------------------------------------------------------------- date, time, datetime

const enum Op {
  Year,
  Two, // exactly 2 digits
  OneTwo, // 1 or 2 digits
  AmPm,
  Literal,
}
const YEAR = 0;
const MONTH = 1;
const DAY = 2;
const HOUR = 3;
const MINUTE = 4;
const SECOND = 5;

interface FormatOp {
  op: Op;
  /** Which part a number goes to (YEAR … SECOND). */
  slot: number;
  /** Literal bytes (UTF-8). */
  bytes: Uint8Array;
}

interface CompiledFormat {
  ops: FormatOp[];
  twelveHour: boolean;
}

export interface TemporalRule {
  kind: 'date' | 'time' | 'datetime';
  formats: CompiledFormat[];
  /** Window as yyyymmdd (date) or yyyymmddhhmmss (datetime) numbers; unused for time. */
  min: number;
  max: number;
}

const SLOT: Record<string, number> = { year: YEAR, month: MONTH, day: DAY, hour24: HOUR, hour12: HOUR, minute: MINUTE, second: SECOND };
const EMPTY = new Uint8Array(0);

function compileFormat(format: string): CompiledFormat {
  const ops = parseFormat(format).map((t: FormatToken): FormatOp => {
    switch (t.kind) {
      case 'literal':
        return { op: Op.Literal, slot: -1, bytes: Buffer.from(t.text, 'utf8') };
      case 'ampm':
        return { op: Op.AmPm, slot: -1, bytes: EMPTY };
      case 'year':
        return { op: Op.Year, slot: YEAR, bytes: EMPTY };
      case 'minute':
      case 'second':
        return { op: Op.Two, slot: SLOT[t.kind], bytes: EMPTY };
      default:
        return { op: t.digits === 2 ? Op.Two : Op.OneTwo, slot: SLOT[t.kind], bytes: EMPTY };
    }
  });
  return { ops, twelveHour: parseFormat(format).some((t) => t.kind === 'hour12') };
}

function windowNumber(text: string): number {
  return Number(text.replace(/[^0-9]/g, ''));
}

export function compileTemporal(c: DateColumn | TimeColumn | DatetimeColumn): TemporalRule {
  return {
    kind: c.type,
    formats: c.formats.map(compileFormat),
    min: c.type === 'time' ? 0 : windowNumber(c.min),
    max: c.type === 'time' ? 0 : windowNumber(c.max),
  };
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
// One parse at a time (JavaScript is single-threaded): no allocation per field.
const parts = new Int32Array(6);

/** Parse b[s..e) with one format into `parts`; false when it does not match or is not a real date/time. */
function parseWith(b: Uint8Array, s: number, e: number, f: CompiledFormat, kind: TemporalRule['kind']): boolean {
  parts[HOUR] = 0;
  parts[MINUTE] = 0;
  parts[SECOND] = 0;
  let marker = 0; // 0 none, 1 A, 2 P
  let p = s;
  const ops = f.ops;
  for (let k = 0; k < ops.length; k++) {
    const o = ops[k];
    switch (o.op) {
      case Op.Year: {
        if (e - p < 4) return false;
        const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3];
        if (!isDigit(c0) || !isDigit(c1) || !isDigit(c2) || !isDigit(c3)) return false;
        parts[YEAR] = (c0 - ZERO) * 1000 + (c1 - ZERO) * 100 + (c2 - ZERO) * 10 + (c3 - ZERO);
        p += 4;
        break;
      }
      case Op.Two: {
        if (e - p < 2) return false;
        const c0 = b[p], c1 = b[p + 1];
        if (!isDigit(c0) || !isDigit(c1)) return false;
        parts[o.slot] = (c0 - ZERO) * 10 + (c1 - ZERO);
        p += 2;
        break;
      }
      case Op.OneTwo: {
        if (p >= e || !isDigit(b[p])) return false;
        let n = b[p++] - ZERO;
        if (p < e && isDigit(b[p])) n = n * 10 + (b[p++] - ZERO);
        parts[o.slot] = n;
        break;
      }
      case Op.AmPm: {
        if (p >= e) return false;
        const c = b[p] | 0x20;
        if (c === 97) marker = 1;
        else if (c === 112) marker = 2;
        else return false;
        p++;
        if (p < e && (b[p] | 0x20) === 109) p++;
        break;
      }
      case Op.Literal: {
        const lit = o.bytes;
        if (e - p < lit.length) return false;
        for (let i = 0; i < lit.length; i++) if (b[p + i] !== lit[i]) return false;
        p += lit.length;
        break;
      }
    }
  }
  if (p !== e) return false;
  if (kind !== 'date') {
    let h = parts[HOUR];
    if (f.twelveHour) {
      if (h > 12) return false;
      if (marker === 1 && h === 12) h = 0;
      else if (marker === 2 && h >= 1 && h <= 11) h += 12;
      parts[HOUR] = h;
    } else if (h > 23) return false;
    if (parts[MINUTE] > 59 || parts[SECOND] > 59) return false;
  }
  if (kind !== 'time') {
    const y = parts[YEAR], m = parts[MONTH], d = parts[DAY];
    if (m < 1 || m > 12 || d < 1) return false;
    const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    if (d > (m === 2 && leap ? 29 : DAYS[m - 1])) return false;
  }
  return true;
}

function put2(buf: Buffer, o: number, n: number): void {
  buf[o] = ZERO + ((n / 10) | 0);
  buf[o + 1] = ZERO + (n % 10);
}

/** Validate b[s..e) against the rule's formats, in order; write the canonical text (at most 19 bytes). */
export function writeTemporal(b: Uint8Array, s: number, e: number, r: TemporalRule, w: ByteSink): boolean {
  const kind = r.kind;
  const formats = r.formats;
  for (let i = 0; i < formats.length; i++) {
    if (!parseWith(b, s, e, formats[i], kind)) continue;
    if (kind !== 'time') {
      const date = parts[YEAR] * 10000 + parts[MONTH] * 100 + parts[DAY];
      const n = kind === 'date' ? date : date * 1000000 + parts[HOUR] * 10000 + parts[MINUTE] * 100 + parts[SECOND];
      if (n < r.min || n > r.max) continue;
    }
    const buf = w.buf;
    let o = w.len;
    if (kind !== 'time') {
      const y = parts[YEAR];
      put2(buf, o, (y / 100) | 0);
      put2(buf, o + 2, y % 100);
      buf[o + 4] = DASH;
      put2(buf, o + 5, parts[MONTH]);
      buf[o + 7] = DASH;
      put2(buf, o + 8, parts[DAY]);
      o += 10;
      if (kind === 'datetime') buf[o++] = SPACE;
    }
    if (kind !== 'date') {
      put2(buf, o, parts[HOUR]);
      buf[o + 2] = COLON;
      put2(buf, o + 3, parts[MINUTE]);
      buf[o + 5] = COLON;
      put2(buf, o + 6, parts[SECOND]);
      o += 8;
    }
    w.len = o;
    return true;
  }
  return false;
}
