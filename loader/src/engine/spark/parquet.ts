// What the Spark engine's job needs to read a Parquet object as the inline engine does:
// the object's row plan (../parquet/batches.ts planRows: the header, the columns the spec
// reads, how each renders), written as JSON beside the job's spec and passed as --parquet.
// The loader reads the footer itself first (two ranged reads), so a column that cannot
// feed the spec, or one Spark cannot read at all, is a clear error before a JVM starts.
//
// Rows keep the inline engine's numbers: the job numbers them by Spark's
// `_metadata.row_index` (file order), not by partition, so batch ids are the same.
import { writeFileSync } from 'node:fs';
import { UserError, type RowRules } from '@pipewarden/core';
import type { Source, SourceObject } from '../../source/types';
import { planRows } from '../parquet/batches';
import { ParquetFile } from '../parquet/file';
import type { RenderSpec } from '../parquet/render';
import type { ParquetColumn } from '../parquet/schema';

/** The JSON the job reads (./job/pwparquet.py). */
export interface SparkParquetPlan {
  /** The object's rows: where the last part's block ends. */
  rows: number;
  /** The file's column names, in file order: the header the spec maps. */
  header: string[];
  /** Fields the spec reads, in file order (all of them when the header does not map). */
  read: number[];
  /** Per field, how its values render (../parquet/render.ts). */
  columns: RenderSpec[];
}

/**
 * Why Spark 3.5 would refuse the whole file, read or not ("Illegal Parquet type", "Found
 * duplicate column(s)"), before a job starts: the inline engine reads all of these.
 */
export function sparkRefuses(columns: readonly ParquetColumn[]): string | undefined {
  const seen = new Set<string>();
  for (const c of columns) {
    const e = c.element;
    const lt = e.logical_type?.type;
    if (c.kind === 'time') return `column "${c.name}" is a Parquet TIME`;
    if (c.kind === 'uuid') return `column "${c.name}" is a Parquet UUID`;
    if (lt === 'FLOAT16' || e.converted_type === 'INTERVAL') return `column "${c.name}" is a Parquet ${lt ?? e.converted_type}`;
    const precision = e.logical_type?.type === 'DECIMAL' ? e.logical_type.precision : e.precision;
    if (c.kind === 'decimal' && (precision ?? 0) > 38) return `column "${c.name}" is a DECIMAL of ${precision} digits (Spark's go to 38)`;
    if (c.name === '_metadata') return 'a column is named "_metadata" (Spark\'s own name for a file\'s metadata)';
    if (seen.has(c.name)) return `two columns are named "${c.name}"`;
    seen.add(c.name);
  }
  return undefined;
}

/** The object's plan for the job, written to `file`; throws a UserError for what cannot load. */
export async function writeSparkParquetPlan(rules: RowRules, source: Source, object: SourceObject, file: string, signal: AbortSignal): Promise<SparkParquetPlan> {
  const parquet = await ParquetFile.open(source, object, signal, () => undefined);
  const p = planRows(parquet, rules);
  const refused = sparkRefuses(parquet.columns);
  if (refused) throw new UserError(`${object.key}: ${refused}, which Spark's Parquet reader cannot read (the whole file is refused)`, 'load this object with the inline engine (PIPEWARDEN_ENGINE=inline, the default), which reads it');
  const plan: SparkParquetPlan = { rows: parquet.rows, header: p.header, read: p.read, columns: p.renders };
  writeFileSync(file, JSON.stringify(plan));
  return plan;
}
