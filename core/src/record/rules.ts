// A dataset's row rules: the one object every engine and tool gets from a resolved spec
// (rulesFor(datasetOf(config))): header mapping, the reference normalization, the oddity
// counter's shape and the canonical key text. Compiled once per spec object.
import type { RejectReason, ResolvedSpec } from '../dataset/types';
import { mapSpecHeader, type HeaderMap } from './header';
import { OddityCounter, compileColumn, normalizeWith, writesNonAscii, type ColumnRule, type NormalizeResult, type Value } from './normalize';
import { encodeTsvLine } from './tsv';

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
}

class Rules implements RowRules {
  readonly columnNames: readonly string[];
  readonly keyIndexes: readonly number[];
  readonly columns: readonly ColumnRule[];
  readonly nonAsciiOutput: boolean;

  constructor(readonly spec: ResolvedSpec) {
    this.columnNames = spec.columns.map((c) => c.name);
    this.keyIndexes = spec.key.map((k) => spec.columns.findIndex((c) => c.name === k));
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
    if (ix.length === 1) return fieldText(values[ix[0]]);
    return ix.map((i) => fieldText(values[i])).join('\t');
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
}

function fieldText(v: Value): string {
  return encodeTsvLine([v]).slice(0, -1);
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
