// What a Parquet file's columns are to pipewarden: each flat column gets a value kind from its
// physical and logical types, and each kind maps to the spec's column types it can feed.
// Checked before any row is read: a column that cannot map (a nested one, a binary blob, a
// date into an integer column) is a UserError naming the object, the column and both types.
import { UserError, type HeaderMap, type ResolvedColumn } from '@pipewarden/core';
import type { FileMetaData, SchemaElement } from 'hyparquet';

/** How a column's values become text for the spec's rules (./render.ts). */
export type ValueKind = 'text' | 'uuid' | 'integer' | 'decimal' | 'float' | 'boolean' | 'date' | 'timestamp' | 'time';

export type TimeUnit = 'MILLIS' | 'MICROS' | 'NANOS';

export interface ParquetColumn {
  /** The column's name: what the spec's header (or aliases) must match. */
  name: string;
  /** Position among the file's leaf columns (its column chunk in every row group). */
  index: number;
  element: SchemaElement;
  kind: ValueKind;
  /** Decimal: digits after the point. */
  scale: number;
  /** Timestamp and time: the stored unit (INT96 timestamps are nanoseconds). */
  unit: TimeUnit;
  /** An unsigned integer stored in a signed physical type. */
  unsigned: boolean;
  /** Why the column has no text form (an error only if the spec reads it). */
  unmappable?: string;
}

function describe(e: SchemaElement): string {
  return [e.type, e.logical_type?.type ?? e.converted_type].filter(Boolean).join(' ');
}

/** The kind of a flat column's values, or why it has none. */
function kindOf(e: SchemaElement): Pick<ParquetColumn, 'kind' | 'scale' | 'unit' | 'unsigned'> | string {
  const lt = e.logical_type;
  const ct = e.converted_type;
  const base = { scale: 0, unit: 'MILLIS' as TimeUnit, unsigned: false };
  if (lt?.type === 'DECIMAL' || ct === 'DECIMAL') return { ...base, kind: 'decimal', scale: lt?.type === 'DECIMAL' ? lt.scale : (e.scale ?? 0) };
  if (lt?.type === 'DATE' || ct === 'DATE') return { ...base, kind: 'date' };
  if (lt?.type === 'TIMESTAMP') return { ...base, kind: 'timestamp', unit: lt.unit };
  if (ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS') return { ...base, kind: 'timestamp', unit: ct === 'TIMESTAMP_MILLIS' ? 'MILLIS' : 'MICROS' };
  if (e.type === 'INT96') return { ...base, kind: 'timestamp', unit: 'NANOS' };
  if (lt?.type === 'TIME') return { ...base, kind: 'time', unit: lt.unit };
  if (ct === 'TIME_MILLIS' || ct === 'TIME_MICROS') return { ...base, kind: 'time', unit: ct === 'TIME_MILLIS' ? 'MILLIS' : 'MICROS' };
  if (lt?.type === 'UUID' && e.type === 'FIXED_LEN_BYTE_ARRAY') return { ...base, kind: 'uuid' };
  const unsigned = (lt?.type === 'INTEGER' && !lt.isSigned) || (ct !== undefined && ct.startsWith('UINT_'));
  switch (e.type) {
    case 'BOOLEAN':
      return { ...base, kind: 'boolean' };
    case 'INT32':
    case 'INT64':
      return { ...base, kind: 'integer', unsigned };
    case 'FLOAT':
    case 'DOUBLE':
      return { ...base, kind: 'float' };
    case 'BYTE_ARRAY':
      // Text, checked as UTF-8 like a CSV field (unannotated byte arrays are text in most writers).
      if (lt === undefined || lt.type === 'STRING' || lt.type === 'ENUM' || lt.type === 'JSON') return ct === 'BSON' ? 'BSON documents are not text' : { ...base, kind: 'text' };
      return `${lt.type} values are not text`;
    default:
      return `${describe(e)} values have no text form pipewarden knows`;
  }
}

/** The file's columns, flat ones only: a nested column (struct, list, map) is refused by name. */
export function parquetColumns(key: string, metadata: FileMetaData): ParquetColumn[] {
  const [root, ...rest] = metadata.schema;
  const out: ParquetColumn[] = [];
  for (let i = 0, leaf = 0; i < rest.length; i++) {
    const e = rest[i];
    if (e.num_children || e.repetition_type === 'REPEATED') {
      throw new UserError(
        `${key}: column "${e.name}" is nested (${e.num_children ? 'a group of ' + e.num_children + ' fields' : 'a repeated field'}); pipewarden loads flat tables`,
        'flatten it when writing the file (one column per field) or leave it out of the export',
      );
    }
    const k = kindOf(e);
    // Unmappable columns are only an error if the spec reads them (checkAgainstSpec).
    const kind = typeof k === 'string' ? { kind: 'text' as const, scale: 0, unit: 'MILLIS' as const, unsigned: false, unmappable: k } : k;
    out.push({ name: e.name, index: leaf++, element: e, ...kind });
  }
  if (root.num_children !== rest.length) throw new UserError(`${key}: its Parquet schema has ${rest.length} fields under a root of ${root.num_children}`, 'the footer is damaged; replace the object with an intact copy');
  return out;
}

/** Which value kinds can feed each spec column type (text feeds all: it goes through the rules like a CSV field). */
const FEEDS: Record<ResolvedColumn['type'], readonly ValueKind[]> = {
  string: ['text', 'uuid', 'integer', 'decimal', 'float', 'boolean', 'date', 'timestamp', 'time'],
  enum: ['text', 'uuid', 'integer', 'decimal', 'float', 'boolean', 'date', 'timestamp', 'time'],
  pattern: ['text', 'uuid', 'integer', 'decimal', 'float', 'boolean', 'date', 'timestamp', 'time'],
  integer: ['text', 'integer', 'decimal', 'float'],
  decimal: ['text', 'integer', 'decimal', 'float'],
  boolean: ['text', 'boolean', 'integer'],
  date: ['text', 'date', 'timestamp'],
  datetime: ['text', 'date', 'timestamp'],
  time: ['text', 'time'],
};

/**
 * Every spec column the header map fills must be fed by a column whose kind it accepts; a
 * column the spec ignores may be anything flat.
 */
export function checkAgainstSpec(key: string, columns: readonly ParquetColumn[], map: HeaderMap, spec: readonly ResolvedColumn[]): void {
  spec.forEach((col, i) => {
    const f = map.fieldIndex[i];
    if (f < 0) return;
    const pc = columns[f];
    if (pc.unmappable) throw new UserError(`${key}: column "${pc.name}" (${describe(pc.element)}) cannot load into ${col.name}: ${pc.unmappable}`, 'write it as a string column, or leave it out of the spec');
    if (!FEEDS[col.type].includes(pc.kind)) {
      throw new UserError(
        `${key}: column "${pc.name}" holds ${pc.kind} values (${describe(pc.element)}), which cannot load into ${col.name}, ${/^[aeiou]/.test(col.type) ? 'an' : 'a'} ${col.type} column`,
        `change the column's type in the dataset spec, or write "${pc.name}" as a ${col.type === 'integer' || col.type === 'decimal' ? 'number' : col.type} or a string`,
      );
    }
  });
}
