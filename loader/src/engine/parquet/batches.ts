// The inline engine's reader of Parquet objects: row groups are the batches' source. Rows
// are numbered from 1 in file order, so a batch is (object, version, first row) exactly as
// for CSV and its id comes from the same function; a resume or a reconcile re-read goes to
// the row group holding its first row and skips the rows before it inside the group (whole
// pages are skipped undecoded). Batches carry no byte offsets (like Spark's): a position in
// a Parquet object is a row number. Each value becomes the text a CSV field would hold
// (./render.ts) and goes through the dataset's rules, so both formats load the same table.
import { GrowableSink, UserError, encodeTsvLine, type DeadLetter, type HeaderMap, type RowRules, type Value } from '@pipewarden/core';
import type { Source, SourceObject } from '../../source/types';
import type { BatchDraft, EngineStart } from '../types';
import { ParquetFile } from './file';
import { renderer, type Render } from './render';
import { checkAgainstSpec, type ParquetColumn } from './schema';
import { FastRows } from '../fast-row';
import type { ByteDictionary } from './dictionary-page';
import { isUtf8 } from 'node:buffer';

/** A row's fields as a CSV line: a dead letter keeps the row in the form a person can read. */
function csvLine(fields: readonly string[]): Buffer {
  return Buffer.from(fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(','));
}

/** The header, its map onto the spec (or why it does not fit), and the columns to read. */
function plan(file: ParquetFile, rules: RowRules): { header: string[]; map?: HeaderMap; headerError?: string; read: number[]; render: Render[] } {
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
  const render = header.map((_, f) => renderer(file.columns[f], map ? spec[map.fieldIndex.indexOf(f)] : undefined));
  return { header, map, headerError, read, render };
}

/** One batch in the making: its rows' TSV, keys and dead letters. */
class ParquetBatch {
  readonly sink = new GrowableSink(1 << 20);
  readonly keys: string[] = [];
  readonly rejects: DeadLetter[] = [];
  readonly oddities;
  records = 0;
  constructor(
    readonly first: number,
    rules: RowRules,
  ) {
    this.oddities = rules.newOddities();
  }
}

/**
 * Rows as they come out of the columns, through the rules into a batch. A row's fields are
 * laid out as bytes, the way the CSV reader lays out a record, so an ASCII row takes the
 * same fast path as a CSV record (FastRows.row: no string per field; text columns are
 * copied as they are stored); a row with other bytes takes the reference path, after a
 * UTF-8 check that rejects it whole (`invalid_utf8`) like a CSV record.
 */
class RowWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private readonly ranges: number[];
  private readonly fast: FastRows;
  private readonly key: string[] = [''];
  private readonly values: Value[] = [];
  /** Per field: its values are stored text (copied as bytes) rather than rendered. */
  private readonly stored: boolean[];
  /** Per field: the byte dictionary of the values just taken (./pages.ts). */
  readonly dictionaries: (ByteDictionary | undefined)[];

  constructor(
    private readonly rules: RowRules,
    private readonly p: ReturnType<typeof plan>,
    columns: readonly ParquetColumn[],
  ) {
    this.ranges = new Array<number>(p.header.length * 2).fill(0);
    this.fast = new FastRows(rules);
    this.stored = columns.map((c) => c.kind === 'text');
    this.dictionaries = columns.map(() => undefined);
  }

  /** Lay row `i` out in `buf`; false when some byte is not ASCII. */
  private layOut(columns: unknown[][], i: number): boolean {
    const { read, render } = this.p;
    const ranges = this.ranges;
    let at = 0;
    let high = 0;
    for (const f of read) {
      let v = columns[f][i];
      ranges[f * 2] = at;
      const dict = this.dictionaries[f];
      if (typeof v === 'number' && dict) {
        // An index into the column's byte dictionary: copied from there, no view made.
        const s = dict.starts[v];
        const e = dict.ends[v];
        if (this.stored[f]) {
          if (at + e - s > this.buf.length) this.grow(at + e - s);
          for (let k = s; k < e; k++) high |= dict.buffer[k];
          at += dict.buffer.copy(this.buf, at, s, e);
          ranges[f * 2 + 1] = at;
          continue;
        }
        v = dict.buffer.subarray(s, e);
      }
      if (v === null || v === undefined) {
        ranges[f * 2 + 1] = at;
        continue;
      }
      if (this.stored[f] && v instanceof Uint8Array) {
        if (at + v.length > this.buf.length) this.grow(at + v.length);
        this.buf.set(v, at);
        for (let k = 0; k < v.length; k++) high |= v[k];
        at += v.length;
      } else {
        const text = render[f](v);
        const len = Buffer.byteLength(text);
        if (at + len > this.buf.length) this.grow(at + len);
        this.buf.write(text, at);
        if (len !== text.length) high |= 0x80;
        at += len;
      }
      ranges[f * 2 + 1] = at;
    }
    return high < 0x80;
  }

  private grow(need: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(bigger);
    this.buf = bigger;
  }

  /** The row's fields as strings (null: some field is not UTF-8). */
  private fields(): string[] | null {
    const out: string[] = [];
    for (let k = 0; k < this.ranges.length; k += 2) {
      const b = this.buf.subarray(this.ranges[k], this.ranges[k + 1]);
      if (!isUtf8(b)) return null;
      out.push(b.toString('utf8'));
    }
    return out;
  }

  /** Row `i` of the columns just taken, numbered `rowNumber`, into batch `b`. */
  write(b: ParquetBatch, columns: unknown[][], i: number, rowNumber: number): void {
    const { map, headerError } = this.p;
    b.records++;
    const ascii = this.layOut(columns, i);
    const reject = (reason: DeadLetter['reason'], detail?: string): void => {
      const raw = csvLine(this.fields() ?? this.ranges.filter((_, k) => k % 2 === 0).map((s, k) => this.buf.toString('latin1', s, this.ranges[k * 2 + 1])));
      b.rejects.push({ line: rowNumber, reason, detail, raw });
    };
    if (!map) return reject('bad_header', headerError?.slice(0, 255));
    if (ascii) {
      const reason = this.fast.row(this.buf, this.ranges, map, b.oddities, b.sink, this.key);
      if (reason !== null) return reject(reason);
      b.keys.push(this.key[0]);
      return;
    }
    const fields = this.fields();
    if (!fields) return reject('invalid_utf8');
    const reason = this.rules.normalizeInto(fields, map, b.oddities, this.values);
    if (reason !== null) return reject(reason);
    const line = encodeTsvLine(this.values);
    b.keys.push(this.rules.keyIndexes.length === 0 ? line.slice(0, -1) : this.rules.keyOfValues(this.values));
    b.sink.write(line);
  }
}

export async function* parquetBatches(rules: RowRules, source: Source, object: SourceObject, start: EngineStart, signal: AbortSignal): AsyncIterable<BatchDraft> {
  if (start.end) throw new Error(`${object.key}: a Parquet object is not cut into byte ranges`);
  let bytesRead = 0;
  const file = await ParquetFile.open(source, object, signal, (n) => (bytesRead += n));
  const p = plan(file, rules);
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
      // A batch holds batchSize rows, whichever row groups they lie in.
      const n = Math.min(batchSize - batch.records, groupEnd - row + 1);
      for (const [f, c] of pages) {
        await c.take(n, columns[f]);
        writer.dictionaries[f] = c.bytes;
      }
      for (let i = 0; i < n; i++) writer.write(batch, columns, i, row++);
      if (batch.records >= batchSize && row <= file.rows) yield finish(false);
    }
  }
  if (row <= file.rows && !signal.aborted) throw new Error(`${object.key}: row ${row} is past the file's ${file.rows} rows`);
  if (signal.aborted) return;
  // The final (possibly empty) batch marks the object done, as for CSV.
  yield finish(true);
}
