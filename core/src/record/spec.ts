// The violation record as the one JSON spec describes it. Both engines (this inline
// TypeScript one and loader/spark/transform.py) read core/spec/violation-spec.json,
// so the rules cannot drift apart.
import specJson from '../../spec/violation-spec.json';

export type ColumnType = 'key' | 'string' | 'state' | 'plate_type' | 'int' | 'date' | 'time' | 'year';

export interface ColumnSpec {
  header: string;
  column: string;
  type: ColumnType;
  max?: number;
  min?: number;
}

export type RejectReason = 'missing_key' | 'invalid_key' | 'column_count' | 'csv_error' | 'invalid_utf8' | 'bad_header';

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

/** Header comparison key: trimmed, inner whitespace collapsed, lower case, BOM removed. */
export function headerKey(h: string): string {
  return h.replace(/^\uFEFF/, '').trim().replace(/\s+/g, ' ').toLowerCase();
}
