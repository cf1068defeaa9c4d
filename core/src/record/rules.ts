// A dataset's row rules: the one object every engine and tool gets from a resolved spec
// (rulesFor(datasetOf(config))): header mapping, the reference normalization, the oddity
// counter's shape and the canonical key text. Compiled once per spec object.
import type { RejectReason, ResolvedSpec } from '../dataset/types';
import { mapSpecHeader, type HeaderMap } from './header';
import { OddityCounter, compileColumn, normalizeWith, writesNonAscii, type ColumnRule, type NormalizeResult, type Value } from './normalize';
import { encodeTsvLine, tsvField } from './tsv';

export interface RowRules {
  readonly spec: ResolvedSpec;
  /** SQL column order = spec column order; TSV lines use this order. */
  readonly columnNames: readonly string[];
  /** Positions of the key columns in key order; [] when keyless. */
  readonly keyIndexes: readonly number[];
  /** Each column's compiled rule (spec order): what the fast path applies byte by byte. */
  readonly columns: readonly ColumnRule[];
  /** True when an ASCII field may be written as non-ASCII text (an enum spelled so): keys are then decoded as UTF-8. */
  readonly nonAsciiOutput: boolean;
  /** Throws UserError (the loader's `bad_header`) naming missing required/key columns, or refused extras. */
  mapHeader(header: readonly string[]): HeaderMap;
  /** The reference implementation. */
  normalizeInto(record: readonly string[], map: HeaderMap, oddities: OddityCounter, out: Value[]): RejectReason | null;
  normalizeRecord(record: readonly string[], map: HeaderMap, oddities: OddityCounter): NormalizeResult;
  newOddities(): OddityCounter;
  /** Canonical key text: the key columns' written (TSV) values joined by '\t'; keyless: the encoded line without its newline. */
  keyOfValues(values: readonly Value[]): string;
  /** The same, from one encoded TSV line (no newline). */
  keyOfLine(line: string): string;
  /** The same, from a TSV line's bytes b[s..e) (no newline): only the key fields are decoded. */
  keyOfTsv(b: Buffer, s: number, e: number): string;
}

class Rules implements RowRules {
  readonly columnNames: readonly string[];
  readonly keyIndexes: readonly number[];
  readonly columns: readonly ColumnRule[];
  readonly nonAsciiOutput: boolean;

  /** keyOfTsv's scratch: each field's start and end, up to the last key column. */
  private readonly fieldPos: Int32Array;
  private readonly lastKeyField: number;

  constructor(readonly spec: ResolvedSpec) {
    this.columnNames = spec.columns.map((c) => c.name);
    this.keyIndexes = spec.key.map((k) => spec.columns.findIndex((c) => c.name === k));
    this.lastKeyField = Math.max(-1, ...this.keyIndexes);
    this.fieldPos = new Int32Array((this.lastKeyField + 1) * 2);
    this.columns = spec.columns.map(compileColumn);
    this.nonAsciiOutput = spec.columns.some(writesNonAscii);
  }

  mapHeader(header: readonly string[]): HeaderMap {
    return mapSpecHeader(this.spec, header);
  }

  normalizeInto(record: readonly string[], map: HeaderMap, oddities: OddityCounter, out: Value[]): RejectReason | null {
    return normalizeWith(this.columns, record, map, oddities, out);
  }

  normalizeRecord(record: readonly string[], map: HeaderMap, oddities: OddityCounter): NormalizeResult {
    const values: Value[] = [];
    const reason = this.normalizeInto(record, map, oddities, values);
    return reason === null ? { ok: true, values } : { ok: false, reason };
  }

  newOddities(): OddityCounter {
    return new OddityCounter(this.columns.length);
  }

  keyOfValues(values: readonly Value[]): string {
    const ix = this.keyIndexes;
    if (ix.length === 0) return encodeTsvLine(values).slice(0, -1);
    // A key column is required, so its value is never null; encode it as the TSV does.
    if (ix.length === 1) return tsvField(values[ix[0]]);
    return ix.map((i) => tsvField(values[i])).join('\t');
  }

  keyOfLine(line: string): string {
    const ix = this.keyIndexes;
    if (ix.length === 0) return line;
    if (ix.length === 1 && ix[0] === 0) {
      const tab = line.indexOf('\t');
      return tab < 0 ? line : line.slice(0, tab);
    }
    const fields = line.split('\t');
    return ix.length === 1 ? fields[ix[0]] : ix.map((i) => fields[i]).join('\t');
  }

  keyOfTsv(b: Buffer, s: number, e: number): string {
    const ix = this.keyIndexes;
    if (ix.length === 0) return b.toString('utf8', s, e);
    // Field starts and ends up to the last key column (escaped text holds no raw tab).
    const pos = this.fieldPos;
    const last = this.lastKeyField;
    let f = 0;
    pos[0] = s;
    for (let i = s; i < e && f < last; i++) {
      if (b[i] === 9) {
        pos[f * 2 + 1] = i;
        f++;
        pos[f * 2] = i + 1;
      }
    }
    let end = pos[last * 2];
    while (end < e && b[end] !== 9) end++;
    pos[last * 2 + 1] = end;
    let k = b.toString('utf8', pos[ix[0] * 2], pos[ix[0] * 2 + 1]);
    for (let i = 1; i < ix.length; i++) k += '\t' + b.toString('utf8', pos[ix[i] * 2], pos[ix[i] * 2 + 1]);
    return k;
  }
}

const memo = new WeakMap<ResolvedSpec, RowRules>();

/** The row rules of a resolved spec (memoized per spec object). */
export function rulesFor(spec: ResolvedSpec): RowRules {
  let r = memo.get(spec);
  if (!r) {
    r = new Rules(spec);
    memo.set(spec, r);
  }
  return r;
}
