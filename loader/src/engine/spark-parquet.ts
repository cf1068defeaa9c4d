// What the Spark engine's job needs to read a Parquet object as the inline engine does:
// the object's row plan (./parquet/batches.ts planRows: the header, the columns the spec
// reads, how each renders), written as JSON beside the job's spec and passed as --parquet.
// The loader reads the footer itself first (two ranged reads), so a column that cannot
// feed the spec, or one Spark cannot read at all, is a clear error before a JVM starts.
//
// Rows keep the inline engine's numbers: the job numbers them by Spark's
// `_metadata.row_index` (file order), not by partition, so batch ids are the same.
import { writeFileSync } from 'node:fs';
import { UserError, type RowRules } from '@pipewarden/core';
import type { Source, SourceObject } from '../source/types';
import { planRows } from './parquet/batches';
import { ParquetFile } from './parquet/file';
import type { RenderSpec } from './parquet/render';

/** The JSON the job reads (loader/spark/pwparquet.py). */
export interface SparkParquetPlan {
  /** The object's rows: where the last part's block ends. */
  rows: number;
  /** The file's column names, in file order: the header the spec maps. */
  header: string[];
  /** Fields the spec reads, in file order (all of them when the header does not map). */
  read: number[];
  /** Per field, how its values render (./parquet/render.ts). */
  columns: RenderSpec[];
}

/** The object's plan for the job, written to `file`; throws a UserError for what cannot load. */
export async function writeSparkParquetPlan(rules: RowRules, source: Source, object: SourceObject, file: string, signal: AbortSignal): Promise<SparkParquetPlan> {
  const parquet = await ParquetFile.open(source, object, signal, () => undefined);
  const p = planRows(parquet, rules);
  // Spark 3.5 refuses a file's whole schema when any column is a TIME ("Illegal Parquet
  // type"), read or not: say so before starting a job that would fail on it.
  const time = parquet.columns.find((c) => c.kind === 'time');
  if (time) {
    throw new UserError(
      `${object.key}: column "${time.name}" is a Parquet TIME, which Spark's Parquet reader cannot read (the whole file is refused)`,
      'load this object with the inline engine (PIPEWARDEN_ENGINE=inline, the default), or write the column as a string or an integer',
    );
  }
  const plan: SparkParquetPlan = { rows: parquet.rows, header: p.header, read: p.read, columns: p.renders };
  writeFileSync(file, JSON.stringify(plan));
  return plan;
}
