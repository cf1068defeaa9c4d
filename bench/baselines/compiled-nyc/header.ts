// FROZEN BASELINE: the pre-issue-15 compiled NYC rules (core/src/record/{spec,header,normalize,tsv}.ts
// and loader/src/engine/fast-row.ts as of commit e6b18a5), kept only so bench/rules.ts can
// measure the generic, spec-driven rules against them. Not used by pipewarden itself; do not
// fix or extend: it must stay what the old code was.
import { COLUMNS, VIOLATION_SPEC, headerKey } from './spec';

/** Where each spec column sits in a source file's records. */
export interface HeaderMap {
  /** For each spec column (in spec order), the index of its field in a record. */
  fieldIndex: number[];
  /** Number of fields the header names: a record with another count is misaligned. */
  fieldCount: number;
  /** Headers that are neither spec columns nor known extras (reported, not fatal). */
  unknown: string[];
}

/**
 * Map columns by header name, never by position: the official 43-column export, the
 * Kaggle export with 8 geographic extras, any order, stray spaces, a BOM.
 */
export function mapHeader(header: readonly string[]): HeaderMap {
  const byKey = new Map<string, number>();
  header.forEach((h, i) => {
    const k = headerKey(h);
    if (byKey.has(k)) throw new Error(`header names column "${h.trim()}" twice (fields ${byKey.get(k)! + 1} and ${i + 1})`);
    byKey.set(k, i);
  });
  const missing: string[] = [];
  const fieldIndex = COLUMNS.map((c) => {
    const i = byKey.get(headerKey(c.header));
    if (i === undefined) missing.push(c.header);
    return i ?? -1;
  });
  if (missing.length > 0) {
    throw new Error(
      `header lacks ${missing.length} required column(s): ${missing.map((m) => `"${m}"`).join(', ')}` +
        ` (found: ${header.slice(0, 5).map((h) => `"${h.trim()}"`).join(', ')}${header.length > 5 ? ', …' : ''})`,
    );
  }
  const known = new Set([...COLUMNS.map((c) => headerKey(c.header)), ...VIOLATION_SPEC.ignoredHeaders.map(headerKey)]);
  const unknown = header.filter((h) => !known.has(headerKey(h)) && h.trim() !== '');
  return { fieldIndex, fieldCount: header.length, unknown };
}
