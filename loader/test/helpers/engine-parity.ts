// What "the Spark engine hands the loader exactly what the inline engine does" means in the
// parity tests: the same kept rows (TSV bytes, in order), the same dead letters (line,
// reason, detail, raw bytes), the same oddity counts, and the same batches (boundaries,
// keys, per-batch oddities, absent columns, header).
import type { Drained } from './spark-testkit';
import type { BatchDraft } from '../../src/engine/types';

const batchShape = (drafts: BatchDraft[]) =>
  drafts.filter((d) => d.src.records > 0).map((d) => ({ ...d.src, startByte: undefined, endByte: undefined, nextLine: undefined, keys: d.keys, rejects: d.rejects.length, odd: d.oddities.counts, absent: d.absent }));

export function expectSameBatches(inline: Drained, spark: Drained): void {
  expect(spark.tsv).toBe(inline.tsv); // same bytes in the same order
  expect(spark.rejects).toEqual(inline.rejects);
  expect(spark.oddities).toEqual(inline.oddities);
  expect(batchShape(spark.drafts)).toEqual(batchShape(inline.drafts));
  expect(spark.drafts[spark.drafts.length - 1].last).toBe(true);
  expect(spark.drafts[0].header).toEqual(inline.drafts[0].header);
}
