// The default engine: stream the object, split records, map columns by header, normalize
// with core's rules, cut batches of `batchSize` input records. Back-pressure comes from
// async iteration: the next chunk is read only when the consumer asks for the next batch.
import { GrowableSink, UserError, type OddityCounter, type RowRules, type Value, type DeadLetter, type HeaderMap } from '@pipewarden/core';
import { isUtf8 } from 'node:buffer';
import type { Source, SourceObject } from '../source/types';
import { CsvFormatError, CsvRecordReader, type CsvRecord } from './csv-records';
import { FastRows } from './fast-row';
import { parquetBatches } from './parquet/batches';
import type { BatchDraft, Engine, EngineStart } from './types';

/**
 * One batch in the making. Encoded rows are written to `sink` as they are made (by the fast
 * path byte by byte, by the reference path one line at a time): no row survives as a string
 * to the batch's end.
 */
class BatchBuilder {
  readonly sink = new GrowableSink(1 << 20);
  keys: string[] = [];
  rejects: DeadLetter[] = [];
  readonly oddities: OddityCounter;
  records = 0;
  startByte = -1;
  endByte = -1;
  firstLine = 0;
  nextLine = 0;
  constructor(
    readonly firstRecord: number,
    rules: RowRules,
  ) {
    this.oddities = rules.newOddities();
  }
}

function reject(b: BatchBuilder, r: CsvRecord, reason: DeadLetter['reason'], detail?: string): void {
  b.rejects.push({ line: r.line, reason, detail, raw: Buffer.from(r.raw) });
}

/** A blank line is not a record (it counts for no ordinal). */
export function isBlank(r: CsvRecord): boolean {
  return r.ranges.length === 2 && r.ranges[0] === r.ranges[1];
}

/** Records the splitter cut; it refuses what it cannot cut (lone-CR line ends): the error names the object. */
export function recordsOf(object: SourceObject, f: () => CsvRecord[]): CsvRecord[] {
  try {
    return f();
  } catch (e) {
    if (e instanceof CsvFormatError) throw new UserError(`${object.key}: ${e.message}`, 'convert its line ends to LF or CRLF, e.g. `tr "\\r" "\\n"`, and load it again');
    throw e;
  }
}

/**
 * One CSV object's records cut into BatchDrafts of `batchSize` input records: the header
 * (the object's first record, or the one the read resumes with) mapped to the spec, each
 * record kept (the fast path, else the reference) or made a dead letter, the batch bounds.
 */
class CsvBatcher {
  /** Where the read is in the object's bytes (the next chunk starts there). */
  bytesRead: number;
  private header: string[] | undefined;
  private map: HeaderMap | undefined;
  private headerError: string | undefined;
  /** The ordinal of the next record. */
  private ordinal: number;
  private batch: BatchBuilder;
  private readonly values: Value[] = []; // one row's normalized values (the reference path), reused row after row

  constructor(
    private readonly rules: RowRules,
    private readonly fast: FastRows,
    private readonly object: SourceObject,
    private readonly start: EngineStart,
  ) {
    this.header = start.header;
    if (this.header) this.mapHeader(this.header);
    this.ordinal = start.nextRecord;
    this.batch = new BatchBuilder(this.ordinal, rules);
    this.bytesRead = start.nextByte;
  }

  /** Take the next record; returns the batch it completes, if any (`last` when the range ends at it). */
  add(r: CsvRecord): BatchDraft | undefined {
    this.take(r);
    // A range ends at its last record: its final batch is the last one, and the rest of the
    // object is other ranges'.
    const { end } = this.start;
    if (end !== undefined && this.ordinal >= end.record) return this.finishBatch(true);
    if (this.batch.records >= this.start.batchSize) return this.finishBatch(false);
    return undefined;
  }

  /** The object's bytes are all read: the final (possibly empty) batch marks the object done; an empty one writes nothing. */
  finalBatch(): BatchDraft {
    const { end } = this.start;
    if (end) throw new UserError(`${this.object.key}: its range ends at byte ${end.byte} with record ${end.record - 1}, but the bytes up to there hold only ${this.ordinal - 1} records`, 'the object changed under its ETag? run `pipewarden verify`');
    return this.finishBatch(true);
  }

  /** A header that does not fit the spec rejects every row (bad_header), wherever the read begins. */
  private mapHeader(h: string[]): void {
    try {
      this.map = this.rules.mapHeader(h);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      this.headerError = e.message;
    }
  }

  private take(r: CsvRecord): void {
    if (!this.header) {
      // The first record of the object is its header.
      this.header = r.fields;
      this.mapHeader(this.header);
      return;
    }
    if (isBlank(r)) return; // blank lines are not records
    const b = this.batch;
    if (b.records === 0) {
      b.startByte = r.startByte;
      b.firstLine = r.line;
    }
    b.records++;
    b.endByte = r.endByte;
    b.nextLine = r.nextLine;
    this.ordinal++;
    if (r.error) return reject(b, r, 'csv_error', r.error);
    const map = this.map;
    if (!map) return reject(b, r, 'bad_header', this.headerError?.slice(0, 255));
    // Invalid UTF-8 would be stored as U+FFFD, altered text: the row is rejected whole, raw bytes kept.
    if (!r.utf8Checked && !isUtf8(r.raw)) return reject(b, r, 'invalid_utf8');
    const reason = this.fast.record(r, map, b.oddities, b.sink, b.keys, this.values);
    if (reason !== null) return reject(b, r, reason, reason === 'column_count' ? `${r.fieldCount} fields, header has ${map.fieldCount}` : undefined);
  }

  private finishBatch(last: boolean): BatchDraft {
    const b = this.batch;
    const { bytesRead } = this;
    const draft: BatchDraft = {
      src: {
        key: this.object.key,
        etag: this.object.etag,
        firstRecord: b.firstRecord,
        records: b.records,
        startByte: b.startByte < 0 ? bytesRead : b.startByte,
        endByte: b.endByte < 0 ? bytesRead : b.endByte,
        firstLine: b.firstLine,
        ...(b.records > 0 ? { nextLine: b.nextLine } : {}),
      },
      tsv: b.sink.bytes(),
      keys: b.keys,
      rejects: b.rejects,
      oddities: b.oddities,
      header: this.header ?? [],
      absent: this.map?.absent ?? [],
      bytesRead,
      nextLine: b.records > 0 ? b.nextLine : undefined,
      last,
    };
    this.batch = new BatchBuilder(this.ordinal, this.rules);
    return draft;
  }
}

export class InlineEngine implements Engine {
  readonly name = 'inline' as const;
  private readonly fast: FastRows;

  /** `rules`: the dataset's, rulesFor(datasetOf(config)). */
  constructor(readonly rules: RowRules) {
    this.fast = new FastRows(rules);
  }

  async *batches(source: Source, object: SourceObject, start: EngineStart, signal: AbortSignal): AsyncIterable<BatchDraft> {
    // A Parquet object is known from its first bytes (the loader probes before planning; a
    // reconcile's re-read may not have).
    if (object.format === undefined && object.encoding === undefined) await source.probe?.([object], signal);
    if (object.format === 'parquet') return yield* parquetBatches(this.rules, source, object, start, signal);
    const stream = source.open(object, start.nextByte, signal, start.end?.byte);
    const reader = new CsvRecordReader({ startByte: start.nextByte, startLine: start.nextLine });
    const batcher = new CsvBatcher(this.rules, this.fast, object, start);
    for await (const chunk of stream) {
      if (signal.aborted) return;
      batcher.bytesRead += (chunk as Buffer).length;
      for (const r of recordsOf(object, () => reader.push(chunk as Buffer))) {
        const draft = batcher.add(r);
        if (draft) yield draft;
        if (draft?.last) return;
      }
    }
    for (const r of recordsOf(object, () => reader.end())) {
      const draft = batcher.add(r);
      if (draft) yield draft;
      if (draft?.last) return;
    }
    if (signal.aborted) return;
    yield batcher.finalBatch();
  }
}

/**
 * An object's header (its first record), for a read that resumes mid-object without a
 * checkpoint: the ledger gave the position, the header is read from the top, only as far
 * as its record ends.
 */
export async function readHeader(source: Source, object: SourceObject, signal: AbortSignal): Promise<string[]> {
  const reader = new CsvRecordReader();
  for await (const chunk of source.open(object, 0, signal)) {
    const [first] = reader.push(chunk as Buffer);
    if (first) return first.fields; // leaving the loop closes the stream
  }
  const [first] = reader.end();
  if (!first) throw new UserError(`${object.key}: the object has no header line, yet the ledger holds batches of it`, 'was it replaced under the same ETag? run `pipewarden verify`');
  return first.fields;
}
