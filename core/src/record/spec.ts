// The violation record as the one JSON spec describes it. Both engines (this inline
// TypeScript one and loader/spark/transform.py) read core/spec/violation-spec.json,
// so the rules cannot drift apart.
import specJson from '../../spec/violation-spec.json';

type LegacyColumnType = 'key' | 'string' | 'state' | 'plate_type' | 'int' | 'date' | 'time' | 'year';

export interface ColumnSpec {
  header: string;
  column: string;
  type: LegacyColumnType;
  max?: number;
  min?: number;
}

import type { RejectReason } from '../dataset/types';
export type { RejectReason };
export { headerKey } from '../dataset/load';

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
