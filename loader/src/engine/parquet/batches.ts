// The inline engine's reader of Parquet objects: row groups are the batches' source. Rows
// are numbered from 1 in file order, so a batch is (object, version, first row) exactly as
// for CSV and its id comes from the same function; a resume or a reconcile re-read goes to
// the row group holding its first row and skips the rows before it inside the group (whole
// pages are skipped undecoded). Batches carry no byte offsets (like Spark's): a position in
// a Parquet object is a row number. Each value becomes the text a CSV field would hold
// (./render.ts) and goes through the dataset's rules (./row-writer.ts), so both formats load
// the same table.
import { UserError, type HeaderMap, type RowRules } from '@pipewarden/core';
import type { Source, SourceObject } from '../../source/types';
import type { BatchDraft, EngineStart } from '../types';
import { ParquetFile } from './file';
import { legacyCalendar } from './calendar';
import { renderSpec, rendererOf } from './render';
import { ParquetBatch, RowWriter, type RowPlan } from './row-writer';
import { checkAgainstSpec } from './schema';

/**
 * The header, its map onto the spec (or why it does not fit), the columns to read and how
 * each one renders. A column that cannot feed the spec column it maps to is a UserError here,
 * before any row is read (both engines plan an object with this).
 */
export function planRows(file: ParquetFile, rules: RowRules): RowPlan {
  const header = file.columns.map((c) => c.name);
  let map: HeaderMap | undefined;
  let headerError: string | undefined;
  try {
    map = rules.mapHeader(header);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    headerError = e.message; // every row is rejected as bad_header, as for a CSV header
  }
  const spec = rules.spec.columns;
  if (map) checkAgainstSpec(file.object.key, file.columns, map, spec);
  // Only the columns the spec reads are decoded; a header that does not fit decodes all (dead letters keep whole rows).
  const read = map ? [...new Set(map.fieldIndex.filter((f) => f >= 0))].sort((a, b) => a - b) : header.map((_, i) => i);
  const legacy = legacyCalendar(file.metadata);
  const renders = header.map((_, f) => renderSpec(file.columns[f], map ? spec[map.fieldIndex.indexOf(f)] : undefined, legacy));
  return { header, map, headerError, read, renders, render: renders.map(rendererOf) };
}

export async function* parquetBatches(rules: RowRules, source: Source, object: SourceObject, start: EngineStart, signal: AbortSignal): AsyncIterable<BatchDraft> {
  if (start.end) throw new Error(`${object.key}: a Parquet object is not cut into byte ranges`);
  let bytesRead = 0;
  const file = await ParquetFile.open(source, object, signal, (n) => (bytesRead += n));
  const p = planRows(file, rules);
  const writer = new RowWriter(rules, p, file.columns);
  const columns: unknown[][] = p.header.map(() => []);
  const { batchSize } = start;
  let row = start.nextRecord; // 1-based number of the next row
  let batch = new ParquetBatch(row, rules);
  const finish = (last: boolean): BatchDraft => {
    const b = batch;
    batch = new ParquetBatch(row, rules);
    return {
      src: { key: object.key, etag: object.etag, firstRecord: b.first, records: b.records, startByte: -1, endByte: -1, firstLine: b.first },
      tsv: b.sink.bytes(),
      keys: b.keys,
      rejects: b.rejects,
      oddities: b.oddities,
      header: p.header,
      absent: p.map?.absent ?? [],
      bytesRead,
      last,
    };
  };
  for (const [g, [groupStart, groupRows]] of file.rowGroups.entries()) {
    const groupEnd = groupStart + groupRows; // rows groupStart+1 … groupEnd, 1-based
    if (row > groupEnd) continue;
    const pages = p.read.map((f) => [f, file.pages(g, file.columns[f])] as const);
    if (row - 1 > groupStart) for (const [, c] of pages) await c.skip(row - 1 - groupStart);
    while (row <= groupEnd) {
      if (signal.aborted) return;
      // A batch holds batchSize rows, whichever row groups they lie in; a take stays within
      // every column's current page (its byte values index that page's bytes).
      let n = Math.min(batchSize - batch.records, groupEnd - row + 1);
      for (const [, c] of pages) n = Math.min(n, await c.available());
      for (const [f, c] of pages) {
        c.take(n, columns[f]);
        writer.dictionaries[f] = c.valueBytes;
      }
      writer.writeRows(batch, columns, n, row);
      row += n;
      if (batch.records >= batchSize && row <= file.rows) yield finish(false);
    }
  }
  if (row <= file.rows && !signal.aborted) throw new UserError(`${object.key}: its row groups end before row ${row} of ${file.rows}`, 'the footer is damaged; replace the object with an intact copy');
  if (signal.aborted) return;
  // The final (possibly empty) batch marks the object done, as for CSV.
  yield finish(true);
}
