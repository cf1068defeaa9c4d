// Both ways a CSV record becomes a row, for the tests that hold them to each other: the
// fast path (FastRows.row, bytes in) and core's reference (normalizeInto, strings in).
import { GrowableSink, type OddityCounter, type RejectReason, type RowRules, type Value } from '@pipewarden/core';
import { CsvRecordReader, type CsvRecord } from '../../src/engine/csv-records';
import { FastRows } from '../../src/engine/fast-row';

export interface BothPaths {
  record: CsvRecord;
  /** The fast path's reject reason (null: kept), the bytes it wrote and the key it gave. */
  fast: RejectReason | null;
  written: Buffer;
  key: string;
  fastOdd: OddityCounter;
  /** The reference's reject reason, its values and oddities. */
  ref: RejectReason | null;
  values: Value[];
  refOdd: OddityCounter;
}

/**
 * Every data record of `csv` the fast path takes (well-formed, ASCII, no `""` escapes) under
 * its header's map, through both paths; the file is fed `chunk` bytes at a time.
 */
export function* bothPaths(rules: RowRules, csv: Buffer, chunk: number): Generator<BothPaths> {
  const fast = new FastRows(rules);
  const reader = new CsvRecordReader();
  const records = function* () {
    for (let i = 0; i < csv.length; i += chunk) yield* reader.push(csv.subarray(i, i + chunk));
    yield* reader.end();
  };
  let map;
  for (const record of records()) {
    if (!map) {
      map = rules.mapHeader(record.fields);
      continue;
    }
    if (record.error || !record.ascii || record.hasEscapes) continue;
    const fastOdd = rules.newOddities();
    const refOdd = rules.newOddities();
    const w = new GrowableSink(256);
    const key = [''];
    const got = fast.row(record.source, record.ranges, map, fastOdd, w, key);
    const values: Value[] = [];
    const ref = rules.normalizeInto(record.fields, map, refOdd, values);
    yield { record, fast: got, written: w.buf.subarray(0, w.len), key: key[0], fastOdd, ref, values, refOdd };
  }
}
