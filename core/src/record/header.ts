// Where each spec column sits in a source file's records: columns are found by header
// name (or alias), never by position, so exports that reorder, rename (aliases), add
// (extras) or omit (optional columns) columns load under one spec.
import { UserError } from '../errors';
import { headerKey } from '../dataset/text';
import type { ResolvedSpec } from '../dataset/types';

export interface HeaderMap {
  /** Per spec column (spec order): the index of its field in a record, or -1 when the file lacks that (optional) column → NULL. */
  fieldIndex: number[];
  /** Fields the header names: a record with another count is misaligned (`column_count`). */
  fieldCount: number;
  /** Spec column names the header lacks (optional ones: loaded as NULL, reported). */
  absent: string[];
  /** Header names that are neither columns, aliases nor known extras (reported; refused under extraColumns: reject). */
  unknown: string[];
}

function list(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

/**
 * Map a header to the spec's columns. Throws a UserError (the loader makes it `bad_header`)
 * naming the required or key columns the header lacks, a column named twice, or the
 * unknown extra columns when the spec refuses them.
 */
export function mapSpecHeader(spec: ResolvedSpec, header: readonly string[]): HeaderMap {
  const byKey = new Map<string, number>();
  const repeated = new Set<string>();
  header.forEach((h, i) => {
    const k = headerKey(h);
    if (byKey.has(k)) repeated.add(k);
    else byKey.set(k, i);
  });
  const used = new Set<string>();
  const missing: string[] = [];
  const absent: string[] = [];
  const fieldIndex = spec.columns.map((c) => {
    const found = [c.header, ...c.aliases].map(headerKey).filter((k) => byKey.has(k));
    for (const k of found) used.add(k);
    if (found.length > 1 || (found.length === 1 && repeated.has(found[0]))) {
      const names = header.filter((h) => found.includes(headerKey(h))).map((h) => h.trim());
      throw new UserError(`header names column "${c.name}" more than once (${list(names)})`);
    }
    if (found.length === 0) {
      if (c.required) missing.push(c.header);
      else absent.push(c.name);
      return -1;
    }
    return byKey.get(found[0])!;
  });
  if (missing.length > 0) {
    const shown = header.slice(0, 5).map((h) => h.trim());
    throw new UserError(`header lacks ${missing.length} required column(s): ${list(missing)} (found: ${list(shown)}${header.length > 5 ? ', …' : ''})`);
  }
  const known = new Set(spec.knownExtras.map(headerKey));
  const unknown = header.filter((h) => {
    const k = headerKey(h);
    return k !== '' && !used.has(k) && !known.has(k);
  });
  if (unknown.length > 0 && spec.extraColumns === 'reject') {
    throw new UserError(`header has column(s) the dataset ${spec.name} does not know: ${list(unknown.map((h) => h.trim()))} (the spec says extraColumns: reject)`);
  }
  return { fieldIndex, fieldCount: header.length, absent, unknown };
}
