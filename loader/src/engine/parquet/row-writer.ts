// Rows of a Parquet object, from the values its columns just gave, through the dataset's
// rules into a batch. The values are laid out as bytes the way the CSV reader lays out a
// record (field byte ranges in one buffer), column after column — each column's loop sees
// one type and one dictionary, so it stays monomorphic (measured about twice as fast as
// row after row) — and each ASCII row then takes the same fast path as a CSV record
// (FastRows.row: no string per field, stored text copied as it is); a row with other bytes
// takes the reference path after a UTF-8 check that rejects it whole (`invalid_utf8`).
import { isUtf8 } from 'node:buffer';
import { GrowableSink, encodeTsvLine, type DeadLetter, type HeaderMap, type OddityCounter, type RowRules, type Value } from '@pipewarden/core';
import { FastRows } from '../fast-row';
import type { ByteDictionary } from './dictionary-page';
import type { Render, RenderSpec } from './render';
import type { ParquetColumn } from './schema';

/** One batch in the making: its rows' TSV, keys and dead letters. */
export class ParquetBatch {
  readonly sink = new GrowableSink(1 << 20);
  readonly keys: string[] = [];
  readonly rejects: DeadLetter[] = [];
  readonly oddities: OddityCounter;
  records = 0;
  constructor(
    readonly first: number,
    rules: RowRules,
  ) {
    this.oddities = rules.newOddities();
  }
}

/** What a file's columns are to the spec (./batches.ts plans it once per object). */
export interface RowPlan {
  header: string[];
  map?: HeaderMap;
  headerError?: string;
  /** Fields (file columns) the spec reads, in file order: only these are decoded. */
  read: number[];
  /** Per field: how its values become text (the Spark engine's job gets these). */
  renders: RenderSpec[];
  render: Render[];
}

/** A row's fields as a CSV line: a dead letter keeps the row in the form a person can read. */
function csvLine(fields: readonly string[]): Buffer {
  return Buffer.from(fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(','));
}

export class RowWriter {
  private buf = Buffer.allocUnsafe(1 << 21);
  /** Row i's field f lies at buf[ranges[(i·F + f)·2] … ranges[(i·F + f)·2 + 1]). */
  private ranges = new Int32Array(0);
  /** Per row: the OR of its bytes (≥ 0x80: not ASCII). */
  private high = new Uint8Array(0);
  private readonly width: number;
  private readonly fast: FastRows;
  private readonly key: string[] = [''];
  private readonly values: Value[] = [];
  /** Per field: its values are stored text (copied as bytes) rather than rendered. */
  private readonly stored: boolean[];
  /** Per field: the byte dictionary of the values just taken (./pages.ts). */
  readonly dictionaries: (ByteDictionary | undefined)[];

  constructor(
    private readonly rules: RowRules,
    private readonly p: RowPlan,
    columns: readonly ParquetColumn[],
  ) {
    this.width = p.header.length;
    this.fast = new FastRows(rules);
    this.stored = columns.map((c) => c.kind === 'text');
    this.dictionaries = columns.map(() => undefined);
  }

  /** Rows 0…n−1 of the values just taken, numbered from `firstRow`, into batch `b`. */
  writeRows(b: ParquetBatch, columns: unknown[][], n: number, firstRow: number): void {
    this.layOut(columns, n);
    for (let i = 0; i < n; i++) this.writeRow(b, i, firstRow + i);
  }

  private room(at: number, bytes: number): Buffer {
    if (at + bytes > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(at + bytes, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, at);
      this.buf = bigger;
    }
    return this.buf;
  }

  private layOut(columns: unknown[][], n: number): void {
    const w = this.width;
    // Fields the spec does not read keep their empty range [0, 0) from here.
    if (this.ranges.length < n * w * 2) this.ranges = new Int32Array(n * w * 2);
    if (this.high.length < n) this.high = new Uint8Array(n);
    this.high.fill(0, 0, n);
    let at = 0;
    for (const f of this.p.read) at = this.column(f, columns[f], n, at);
  }

  /** Lay field `f` of rows 0…n−1 out from `at`; returns where the next column starts. */
  private column(f: number, values: unknown[], n: number, at: number): number {
    const { ranges, high, width } = this;
    const dict = this.dictionaries[f];
    const stored = this.stored[f];
    const render = this.p.render[f];
    for (let i = 0, r = f * 2; i < n; i++, r += width * 2) {
      ranges[r] = at;
      let v = values[i];
      if (typeof v === 'number' && dict) {
        const s = dict.starts[v];
        const e = dict.ends[v];
        if (stored) {
          // Byte by byte: values are short, and a native copy per value cost more (profiled).
          const dst = this.room(at, e - s);
          const src = dict.buffer;
          let h = 0;
          for (let k = s; k < e; k++) h |= dst[at++] = src[k];
          high[i] |= h;
          ranges[r + 1] = at;
          continue;
        }
        v = dict.buffer.subarray(s, e);
      }
      if (v !== null && v !== undefined) {
        if (stored && v instanceof Uint8Array) {
          const dst = this.room(at, v.length);
          let h = 0;
          for (let k = 0; k < v.length; k++) h |= dst[at++] = v[k];
          high[i] |= h;
        } else {
          const text = render(v);
          const len = Buffer.byteLength(text);
          this.room(at, len).write(text, at);
          if (len !== text.length) high[i] |= 0x80;
          at += len;
        }
      }
      ranges[r + 1] = at;
    }
    return at;
  }

  /** Row i's fields as strings (null: some field is not UTF-8). */
  private fields(i: number): string[] | null {
    const out: string[] = [];
    for (let f = 0, r = i * this.width * 2; f < this.width; f++, r += 2) {
      const b = this.buf.subarray(this.ranges[r], this.ranges[r + 1]);
      if (!isUtf8(b)) return null;
      out.push(b.toString('utf8'));
    }
    return out;
  }

  /** Row i as a dead letter: its fields as a CSV line (as Latin-1 when they are not UTF-8). */
  private reject(b: ParquetBatch, i: number, rowNumber: number, reason: DeadLetter['reason'], detail?: string): void {
    const fields = this.fields(i) ?? Array.from({ length: this.width }, (_, f) => this.buf.toString('latin1', this.ranges[(i * this.width + f) * 2], this.ranges[(i * this.width + f) * 2 + 1]));
    b.rejects.push({ line: rowNumber, reason, detail, raw: csvLine(fields) });
  }

  private writeRow(b: ParquetBatch, i: number, rowNumber: number): void {
    const { map, headerError } = this.p;
    b.records++;
    if (!map) return this.reject(b, i, rowNumber, 'bad_header', headerError?.slice(0, 255));
    if (this.high[i] < 0x80) {
      const ranges = this.ranges.subarray(i * this.width * 2, (i + 1) * this.width * 2);
      const reason = this.fast.row(this.buf, ranges, map, b.oddities, b.sink, this.key);
      if (reason !== null) return this.reject(b, i, rowNumber, reason);
      b.keys.push(this.key[0]);
      return;
    }
    const fields = this.fields(i);
    if (!fields) return this.reject(b, i, rowNumber, 'invalid_utf8');
    const reason = this.rules.normalizeInto(fields, map, b.oddities, this.values);
    if (reason !== null) return this.reject(b, i, rowNumber, reason);
    const line = encodeTsvLine(this.values);
    b.keys.push(this.rules.keyIndexes.length === 0 ? line.slice(0, -1) : this.rules.keyOfValues(this.values));
    b.sink.write(line);
  }
}
