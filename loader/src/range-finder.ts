// Finding the ranges of a large object (core/src/db/ranges.ts): one pass over the object that
// splits records exactly as the inline engine does (same reader, same blank-line rule) but
// converts nothing, cutting a range at the first batch boundary past `rangeBytes` bytes. Each
// range is published as soon as it is found, so other loaders start on it while the pass goes
// on; a pass that stops (its loader died) is resumed by the next holder of the object's lease
// from the last range published, a true record boundary.
import type { ObjectRange } from '@pipewarden/core';
import { CsvRecordReader, type CsvRecord } from './engine/csv-records';
import { isBlank, recordsOf } from './engine/inline';
import type { Source, SourceObject } from './source';

/** Where the pass begins: the top of the object (byte 0: its header comes first), or after the last range published. */
export interface FindFrom {
  firstRecord: number;
  byte: number;
  line: number;
}

export interface FindOptions {
  batchSize: number;
  rangeBytes: number;
  signal: AbortSignal;
  /** Publish ranges found; `complete` with the last ones, once the object's end is reached. */
  publish(ranges: ObjectRange[], complete: boolean): Promise<void>;
}

/** The range that begins after `from`'s last record. */
class RangeCut {
  records = 0;
  endByte: number;
  nextLine: number;
  constructor(
    readonly firstRecord: number,
    readonly startByte: number,
    readonly startLine: number,
  ) {
    this.endByte = startByte;
    this.nextLine = startLine;
  }
  add(r: CsvRecord): void {
    this.records++;
    this.endByte = r.endByte;
    this.nextLine = r.nextLine;
  }
  range(batchSize: number): ObjectRange {
    return { firstRecord: this.firstRecord, records: this.records, batchSize, startByte: this.startByte, startLine: this.startLine, endByte: this.endByte, nextLine: this.nextLine };
  }
}

/** Read the object from `from` to its end, publishing its ranges; returns how many it published. */
export async function findRanges(source: Source, object: SourceObject, from: FindFrom, opts: FindOptions): Promise<number> {
  const { batchSize, rangeBytes, signal } = opts;
  const reader = new CsvRecordReader({ startByte: from.byte, startLine: from.line });
  let header = from.byte === 0;
  let cut = new RangeCut(from.firstRecord, from.byte, from.line);
  let published = 0;
  const take = async (r: CsvRecord) => {
    if (header) {
      // The header is no record: the first range begins after it.
      header = false;
      cut = new RangeCut(from.firstRecord, r.endByte, r.nextLine);
      return;
    }
    if (isBlank(r)) return;
    cut.add(r);
    if (cut.records % batchSize === 0 && cut.endByte - cut.startByte >= rangeBytes) {
      await opts.publish([cut.range(batchSize)], false);
      published++;
      cut = new RangeCut(cut.firstRecord + cut.records, cut.endByte, cut.nextLine);
    }
  };
  for await (const chunk of source.open(object, from.byte, signal)) {
    if (signal.aborted) return published;
    for (const r of recordsOf(object, () => reader.push(chunk as Buffer))) await take(r);
  }
  for (const r of recordsOf(object, () => reader.end())) await take(r);
  if (signal.aborted) return published;
  const last = cut.records > 0 ? [cut.range(batchSize)] : [];
  await opts.publish(last, true);
  return published + last.length;
}
