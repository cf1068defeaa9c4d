// The reference normalization, driven by a dataset spec: each column's rule is compiled
// once (compileColumn), then applied field by field (normalizeWith). The inline engine's
// fast path (loader/src/engine/fast-row.ts) must give exactly these bytes, reject reasons
// and oddity counts; the Spark job ports these rules.
//
// Row semantics: a field is trimmed (String#trim); empty or one of the column's NULL
// spellings (compared case-sensitively with the trimmed text) → NULL, or the row is rejected
// (missing_key / missing_value) when the column is required; an invalid value → NULL and
// an oddity of that column, or the row is rejected (invalid_key / invalid_value) when the
// column is required. A rejected row's reason is that of its first failing required column
// in spec order, and a rejected row counts no oddities. A column the file lacks (its
// field index is -1) is NULL, not an oddity.
import type { RejectReason, ResolvedColumn } from '../dataset/types';
import type { HeaderMap } from './header';
import { patternRegExp, fixedPatternTables } from './pattern';
import { GrowableSink, compileDecimal, compileInteger, compileTemporal, decimalWidth, writeDecimal, writeInteger, writeTemporal, type ByteSink, type DecimalRule, type IntegerRule, type TemporalRule } from './scan';

/** A normalized value: the column's written text, or null for SQL NULL. (number: legacy callers only.) */
export type Value = string | number | null;

export type NormalizeResult = { ok: true; values: Value[] } | { ok: false; reason: RejectReason };

// How a column is checked; the fast path switches on these small integers, never on strings.
export const KIND_STRING = 0;
export const KIND_INTEGER = 1;
export const KIND_DECIMAL = 2;
export const KIND_TEMPORAL = 3;
export const KIND_PATTERN = 4;
/** boolean and enum: a lookup of the field's text. */
export const KIND_LOOKUP = 5;

const CASE_KEEP = 0;
export const CASE_UPPER = 1;
export const CASE_LOWER = 2;

/** One column's compiled rule. */
export interface ColumnRule {
  readonly column: ResolvedColumn;
  readonly kind: number;
  readonly required: boolean;
  readonly key: boolean;
  /** The column's NULL spellings (compared with the trimmed value), or null when it has none: one test per field then. */
  readonly nulls: ReadonlySet<string> | null;
  /** The same spellings as bytes, ASCII ones only (the fast path sees only ASCII records, which no other spelling can equal). */
  readonly nullBytes: readonly Buffer[] | null;
  /** string and pattern: length bounds (UTF-16 units). */
  readonly minLength: number;
  readonly maxLength: number;
  readonly integer: IntegerRule | null;
  readonly decimal: DecimalRule | null;
  readonly temporal: TemporalRule | null;
  /** pattern: per-position ASCII tables when the pattern is a fixed-length run of classes. */
  readonly fixedPattern: Uint8Array[] | null;
  readonly caseMode: number;
  /** Bytes the written value may take beyond the field's own length (dates grow 8 → 10). */
  readonly growth: number;
  /** The reference: the written text of a trimmed, non-empty field, or undefined when it is invalid. */
  check(s: string): string | undefined;
}

// Scratch buffers of the reference's byte-level checks (one field at a time, from offset 0).
const input = new GrowableSink(1024);
const output = new GrowableSink(1024);

/** Apply a byte-level rule (scan.ts) to a string: its UTF-8 bytes in, the written ASCII text out. */
function viaBytes(s: string, width: number, write: (b: Buffer, e: number, w: ByteSink) => boolean): string | undefined {
  input.ensure(s.length * 3);
  const n = input.buf.write(s, 0, 'utf8');
  output.len = 0;
  output.ensure(n + width);
  return write(input.buf, n, output) ? output.buf.toString('latin1', 0, output.len) : undefined;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/** Compile one column's rule (once per column: nothing is decided per field but the value). */
export function compileColumn(c: ResolvedColumn): ColumnRule {
  const spellings = c.nullValues ?? [];
  const ascii = spellings.filter(isAscii).map((v) => Buffer.from(v, 'latin1'));
  const nulls = spellings.length > 0 ? new Set(spellings) : null;
  const nullBytes = ascii.length > 0 ? ascii : null;
  const base = { column: c, required: c.required, key: c.key, nulls, nullBytes, minLength: 0, maxLength: Infinity, integer: null, decimal: null, temporal: null, fixedPattern: null, caseMode: CASE_KEEP, growth: 0 };
  switch (c.type) {
    case 'string': {
      const { minLength, maxLength } = c;
      return { ...base, kind: KIND_STRING, minLength, maxLength, check: (s) => (s.length >= minLength && s.length <= maxLength ? s : undefined) };
    }
    case 'integer': {
      const r = compileInteger(c);
      return { ...base, kind: KIND_INTEGER, integer: r, check: (s) => viaBytes(s, 1, (b, e, w) => writeInteger(b, 0, e, r, w)) };
    }
    case 'decimal': {
      const r = compileDecimal(c);
      const width = decimalWidth(r);
      return { ...base, kind: KIND_DECIMAL, decimal: r, growth: width, check: (s) => viaBytes(s, width, (b, e, w) => writeDecimal(b, 0, e, r, w)) };
    }
    case 'date':
    case 'time':
    case 'datetime': {
      const r = compileTemporal(c);
      return { ...base, kind: KIND_TEMPORAL, temporal: r, growth: 19, check: (s) => viaBytes(s, 19, (b, e, w) => writeTemporal(b, 0, e, r, w)) };
    }
    case 'boolean': {
      const values = new Map<string, string>([...c.trueValues.map((v) => [v, '1'] as const), ...c.falseValues.map((v) => [v, '0'] as const)]);
      return { ...base, kind: KIND_LOOKUP, growth: 1, check: (s) => values.get(s.toLowerCase()) };
    }
    case 'enum': {
      const sensitive = c.caseSensitive;
      const values = new Map(c.values.map((v) => [sensitive ? v : v.toLowerCase(), v] as const));
      // A spelling may be longer (in UTF-8 bytes) than the field that matched it.
      const growth = Math.max(0, ...c.values.map((v) => Buffer.byteLength(v) * 2));
      return { ...base, kind: KIND_LOOKUP, growth, check: (s) => values.get(sensitive ? s : s.toLowerCase()) };
    }
    case 'pattern': {
      const re = patternRegExp(c.pattern);
      const { minLength, maxLength } = c;
      const caseMode = c.case === 'upper' ? CASE_UPPER : c.case === 'lower' ? CASE_LOWER : CASE_KEEP;
      return {
        ...base,
        kind: KIND_PATTERN,
        minLength,
        maxLength,
        caseMode,
        fixedPattern: fixedPatternTables(c.pattern),
        // Upper-casing may lengthen non-ASCII text ('ß' → 'SS'); ASCII stays the same length.
        growth: 0,
        check: (s) => {
          if (!re.test(s)) return undefined;
          const v = caseMode === CASE_UPPER ? s.toUpperCase() : caseMode === CASE_LOWER ? s.toLowerCase() : s;
          return v.length >= minLength && v.length <= maxLength ? v : undefined;
        },
      };
    }
  }
}

/** True when a lookup column may write non-ASCII text for ASCII input (an enum spelled so). */
export function writesNonAscii(c: ResolvedColumn): boolean {
  return c.type === 'enum' && c.values.some((v) => !isAscii(v));
}

/**
 * Oddities (values turned into NULL) per column; counts[i] belongs to the spec's column i.
 * One instance per batch (or load).
 */
export class OddityCounter {
  readonly counts: number[];
  // columnCount 0 (the default) makes an accumulator that grows as counters are added.
  constructor(columnCount = 0) {
    this.counts = new Array<number>(columnCount).fill(0);
  }
  add(other: OddityCounter): void {
    for (let i = 0; i < other.counts.length; i++) this.counts[i] = (this.counts[i] ?? 0) + other.counts[i];
  }
  total(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }
  /** The non-zero counts by column name (`names`: the spec's column names, in spec order). */
  byColumn(names: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    this.counts.forEach((n, i) => {
      if (n > 0) out[names[i]] = n;
    });
    return out;
  }
}

// The columns of a row found invalid, counted only once the row is known to be kept.
let oddScratch = new Int32Array(64);

/**
 * The reference: normalize one parsed record into `out` (reused by the caller: no
 * allocation per row). Returns null when the row is kept, else why it cannot be.
 */
export function normalizeWith(rules: readonly ColumnRule[], record: readonly string[], map: HeaderMap, oddities: OddityCounter, out: Value[]): RejectReason | null {
  if (record.length !== map.fieldCount) return 'column_count';
  const n = rules.length;
  const fieldIndex = map.fieldIndex;
  if (oddScratch.length < n) oddScratch = new Int32Array(n);
  let odd = 0;
  out.length = n;
  for (let i = 0; i < n; i++) {
    const fi = fieldIndex[i];
    if (fi < 0) {
      out[i] = null;
      continue;
    }
    const raw = record[fi];
    const s = raw.length === 0 ? raw : raw.trim();
    const rule = rules[i];
    // A NULL spelling (NA, \N, …) is read exactly like an empty field.
    if (s.length === 0 || (rule.nulls !== null && rule.nulls.has(s))) {
      if (rule.required) return rule.key ? 'missing_key' : 'missing_value';
      out[i] = null;
      continue;
    }
    const v = rule.check(s);
    if (v === undefined) {
      if (rule.required) return rule.key ? 'invalid_key' : 'invalid_value';
      oddScratch[odd++] = i;
      out[i] = null;
    } else out[i] = v;
  }
  const counts = oddities.counts;
  for (let k = 0; k < odd; k++) counts[oddScratch[k]]++;
  return null;
}
