// FROZEN BASELINE: the pre-issue-15 compiled NYC rules (core/src/record/{spec,header,normalize,tsv}.ts
// and loader/src/engine/fast-row.ts as of commit e6b18a5), kept only so bench/rules.ts can
// measure the generic, spec-driven rules against them. Not used by pipewarden itself; do not
// fix or extend: it must stay what the old code was.
// Field normalization per the spec. Hot path: called once per field of every row,
// so it avoids regexes and allocations where a char-code loop does the job.
import { COLUMNS as SPEC_COLUMNS, KEY_INDEX as SPEC_KEY_INDEX, type ColumnSpec, type RejectReason } from './spec';
import type { HeaderMap } from './header';

/** A normalized value: string for text/date/time/key, number for ints, null for SQL NULL. */
export type Value = string | number | null;

export interface Normalized {
  /** Values in spec column order; values[KEY_INDEX] is the summons number as a digit string. */
  values: Value[];
}

export type NormalizeResult = { ok: true; values: Value[] } | { ok: false; reason: RejectReason };

// Local copies: compiled to CommonJS, an imported binding is a getter call on every use,
// which cost 10% of the engine's time inside the per-field loop.
const COLUMNS: readonly ColumnSpec[] = SPEC_COLUMNS;
const KEY_INDEX: number = SPEC_KEY_INDEX;
const NCOLS = COLUMNS.length;

const MAX_KEY = '9223372036854775807';
const INVALID = Symbol('invalid');
type Cell = Value | typeof INVALID;

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isLetters(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}
function isoDate(y: number, m: number, d: number): Cell {
  if (y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1) return INVALID;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const max = m === 2 && leap ? 29 : DAYS[m - 1];
  if (d > max) return INVALID;
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

export function normalizeDate(s: string): Cell {
  if (s.length === 10 && s.charCodeAt(2) === 47 && s.charCodeAt(5) === 47) {
    const mm = s.slice(0, 2), dd = s.slice(3, 5), yy = s.slice(6);
    if (!isDigits(mm) || !isDigits(dd) || !isDigits(yy)) return INVALID;
    return isoDate(+yy, +mm, +dd);
  }
  if (s.length === 8 && isDigits(s)) return isoDate(+s.slice(0, 4), +s.slice(4, 6), +s.slice(6, 8));
  return INVALID;
}

export function normalizeTime(s: string): Cell {
  let digits = s;
  let suffix = 0;
  const last = s.charCodeAt(s.length - 1) | 0x20;
  if (last === 97 /* a */ || last === 112 /* p */) {
    digits = s.slice(0, -1);
    suffix = last;
  }
  if (digits.length !== 4 || !isDigits(digits)) return INVALID;
  let h = +digits.slice(0, 2);
  const m = +digits.slice(2);
  if (m > 59) return INVALID;
  if (suffix === 0) {
    if (h > 23) return INVALID;
  } else {
    // 12-hour clock; the data also has 00xxA, which means just after midnight.
    if (h > 12) return INVALID;
    if (suffix === 97 && h === 12) h = 0;
    else if (suffix === 112 && h < 12) h += 12;
  }
  return `${pad2(h)}:${pad2(m)}:00`;
}

function normalizeCell(col: ColumnSpec, s: string): Cell {
  switch (col.type) {
    case 'string':
      return col.max !== undefined && s.length > col.max ? INVALID : s;
    case 'int': {
      if (!isDigits(s) || s.length > 12) return INVALID;
      const n = +s;
      return (col.min !== undefined && n < col.min) || (col.max !== undefined && n > col.max) ? INVALID : n;
    }
    case 'state':
      return s.length === 2 && isLetters(s) ? s.toUpperCase() : INVALID;
    case 'plate_type':
      return s.length === 3 && isLetters(s) ? s.toUpperCase() : INVALID;
    case 'date':
      return normalizeDate(s);
    case 'time':
      return normalizeTime(s);
    case 'year': {
      if (s.length !== 4 || !isDigits(s)) return INVALID;
      const y = +s;
      return y >= 1900 && y <= 2099 ? y : INVALID;
    }
    case 'key':
      return s; // handled by normalizeKey
  }
}

/** Canonical decimal form of a summons number, or the reason it cannot be a key. */
export function normalizeKey(raw: string): string | RejectReason {
  const s = raw.trim();
  if (s.length === 0) return 'missing_key';
  if (!isDigits(s)) return 'invalid_key';
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  const k = s.slice(i);
  if (k === '0') return 'invalid_key';
  if (k.length > MAX_KEY.length || (k.length === MAX_KEY.length && k > MAX_KEY)) return 'invalid_key';
  return k;
}

/**
 * Per-field counters of oddities turned into NULL. One instance per load (or batch);
 * counts[i] belongs to COLUMNS[i].
 */
export class OddityCounter {
  readonly counts = new Array<number>(NCOLS).fill(0);
  add(other: OddityCounter): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
  }
  total(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }
  byColumn(): Record<string, number> {
    const out: Record<string, number> = {};
    this.counts.forEach((n, i) => {
      if (n > 0) out[COLUMNS[i].column] = n;
    });
    return out;
  }
}

/**
 * Normalize one parsed record into `out` (reused by the caller: no allocation per row).
 * Returns null when the row is kept, else why it cannot be. Every oddity of a kept row
 * becomes NULL and is counted in `oddities`, never dropped silently.
 */
export function normalizeInto(record: readonly string[], map: HeaderMap, oddities: OddityCounter, out: Value[]): RejectReason | null {
  if (record.length !== map.fieldCount) return 'column_count';
  const fieldIndex = map.fieldIndex;
  const key = normalizeKey(record[fieldIndex[KEY_INDEX]]);
  if (key === 'missing_key' || key === 'invalid_key' || key === 'column_count' || key === 'csv_error' || key === 'invalid_utf8' || key === 'bad_header') return key;
  out.length = NCOLS;
  const counts = oddities.counts;
  for (let i = 0; i < NCOLS; i++) {
    if (i === KEY_INDEX) {
      out[i] = key;
      continue;
    }
    const raw = record[fieldIndex[i]];
    const s = raw.length === 0 ? raw : raw.trim();
    if (s.length === 0) {
      out[i] = null;
      continue;
    }
    const v = normalizeCell(COLUMNS[i], s);
    if (v === INVALID) {
      out[i] = null;
      counts[i]++;
    } else {
      out[i] = v;
    }
  }
  return null;
}

/** normalizeInto with a fresh array: the convenient form for tests and one-off callers. */
export function normalizeRecord(record: readonly string[], map: HeaderMap, oddities: OddityCounter): NormalizeResult {
  const values = new Array<Value>(NCOLS);
  const reason = normalizeInto(record, map, oddities, values);
  return reason === null ? { ok: true, values } : { ok: false, reason };
}
