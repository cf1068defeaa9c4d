// FROZEN BASELINE: the pre-issue-15 compiled NYC rules (core/src/record/{spec,header,normalize,tsv}.ts
// and loader/src/engine/fast-row.ts as of commit e6b18a5), kept only so bench/rules.ts can
// measure the generic, spec-driven rules against them. Not used by pipewarden itself; do not
// fix or extend: it must stay what the old code was.
// The violation record as the one JSON spec describes it. Both engines (this inline
// TypeScript one and loader/spark/transform.py) read core/spec/violation-spec.json,
// so the rules cannot drift apart.
import specJson from './violation-spec.json';

type LegacyColumnType = 'key' | 'string' | 'state' | 'plate_type' | 'int' | 'date' | 'time' | 'year';

export interface ColumnSpec {
  header: string;
  column: string;
  type: LegacyColumnType;
  max?: number;
  min?: number;
}

export type RejectReason = 'missing_key' | 'invalid_key' | 'missing_value' | 'invalid_value' | 'column_count' | 'csv_error' | 'invalid_utf8' | 'bad_header';

/** Header comparison key: trimmed, inner whitespace collapsed, lower case, BOM removed. */
export function headerKey(h: string): string {
  return h.replace(/^\uFEFF/, '').trim().replace(/\s+/g, ' ').toLowerCase();
}

export interface ViolationSpec {
  version: number;
  keyColumn: string;
  columns: ColumnSpec[];
  ignoredHeaders: string[];
  rejectReasons: Record<RejectReason, string>;
}

export const VIOLATION_SPEC = specJson as unknown as ViolationSpec;
export const COLUMNS: readonly ColumnSpec[] = VIOLATION_SPEC.columns;
export const COLUMN_NAMES: readonly string[] = COLUMNS.map((c) => c.column);
export const KEY_INDEX = COLUMNS.findIndex((c) => c.type === 'key');
export const REJECT_REASONS = Object.keys(VIOLATION_SPEC.rejectReasons) as RejectReason[];
