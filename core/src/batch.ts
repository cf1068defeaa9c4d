// Batch identity and integrity. A batch is a fixed run of input records of one source
// object; its id depends only on (pipeline, object key, ETag, first record ordinal), so a replay
// of the same input produces the same ids and the ledger can recognise it.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * A batch's id. Two pipelines may read the same object (into two tables), so the pipeline's
 * name enters the hash — except for `default`, whose ids stay those of the single-pipeline
 * layout (a deployment that grows a second pipeline keeps its ledger valid).
 */
export function batchId(sourceKey: string, etag: string, firstRecord: number, pipeline: string = 'default'): string {
  const prefix = pipeline === 'default' ? '' : `pipeline\0${pipeline}\0`;
  const h = createHash('sha256').update(`${prefix}${sourceKey}\0${etag}\0${firstRecord}`).digest('hex');
  return `b${h.slice(0, 23)}`;
}

/**
 * Order-independent checksum of a set of keys: count and the sum of CRC32 of each key's
 * canonical text (rules.keyOfValues: the key columns' written values joined by a tab; for
 * NYC the summons number's decimal text). MySQL computes the same figure server-side
 * (`SELECT COUNT(*), SUM(CRC32(CONCAT_WS(CHAR(9), k1, k2…))) … WHERE (k1, k2…) IN (…)`,
 * core/src/db/keys.ts), so the reconciler verifies a batch without pulling it back.
 * A keyless dataset's "keys" are its rows' encoded lines: the checksum still identifies the
 * batch's content in the ledger and the WAL, but MySQL cannot recompute it (rows carry no
 * batch id); such a batch is verified by its ledger row, written in the same transaction.
 */
export interface KeyChecksum {
  count: number;
  crcSum: number;
}

export function keyChecksum(keys: Iterable<string>): KeyChecksum {
  let count = 0;
  let crcSum = 0;
  for (const k of keys) {
    count++;
    crcSum += crc32(k);
  }
  return { count, crcSum };
}

export function formatChecksum(c: KeyChecksum): string {
  return `${c.count}:${c.crcSum}`;
}

export function parseChecksum(s: string): KeyChecksum {
  const m = /^(\d+):(\d+)$/.exec(s);
  if (!m) throw new Error(`malformed key checksum "${s}"`);
  return { count: Number(m[1]), crcSum: Number(m[2]) };
}

/** What the ledger's batches of one object version say about how it was cut. */
export interface BatchGeometry {
  /** The batch size the object was cut with; undefined when the ledger holds none of it. */
  batchSize?: number;
  /** First record not covered by the contiguous run of ledger batches from record 1. */
  contiguousEnd: number;
  /** Records in the ledger's batches. */
  records: number;
}

/** A batch of an object version as the ledger records it. */
export interface LedgerRange {
  firstRecord: number;
  recordCount: number;
  /** Where a read resumes after the batch: its end byte and next line (absent for Spark batches and ledger rows older than schema 5). */
  endByte?: number;
  nextLine?: number;
  /** The batch's outcome: an object resumed from the ledger takes its totals from here. */
  rowsInserted?: number;
  rowsDuplicate?: number;
  rowsRejected?: number;
}

const span = (r: LedgerRange) => `${r.firstRecord}…${r.firstRecord + r.recordCount - 1}`;

/**
 * A batch size that cuts a batch starting at `firstRecord` with exactly `records` records,
 * for reading one batch again from the object's top when the size it was cut with is not
 * known (no checkpoint). A full batch's size divides firstRecord − 1 and equals its length;
 * a batch whose length does not divide it is the object's short last one, which any size
 * of firstRecord − 1 (a multiple of the original) cuts the same.
 */
export function sizeCutting(firstRecord: number, records: number): number {
  if (firstRecord === 1 || (firstRecord - 1) % records === 0) return records;
  return firstRecord - 1;
}

const byFirstRecord = (ranges: readonly LedgerRange[]) => [...ranges].sort((a, b) => a.firstRecord - b.firstRecord);

/** An unbroken run of an object version's ledger batches: where it ends, and its totals. */
export interface LedgerRun {
  /** First record after the run. */
  nextRecord: number;
  /** Where a read resumes after the run (absent when its last batch has no byte offsets). */
  resume?: { nextByte: number; nextLine: number };
  rowsIn: number;
  rowsLoaded: number;
  rowsDuplicate: number;
  rowsRejected: number;
}

/**
 * The run of ledger batches from record `from` (1: the object's top; a range's first record),
 * up to record `until` (excluded). The ledger is the durable truth: a loader on a
 * host without the checkpoint (a new host, a lost disk, an object another loader began)
 * goes on from its end without reading those batches again when `resume` is known, and
 * takes the object's totals from it either way.
 */
export function ledgerRun(ranges: readonly LedgerRange[], from = 1, until = Infinity): LedgerRun {
  let last: LedgerRange | undefined;
  const run: LedgerRun = { nextRecord: from, rowsIn: 0, rowsLoaded: 0, rowsDuplicate: 0, rowsRejected: 0 };
  for (const b of byFirstRecord(ranges)) {
    if (b.firstRecord < from) continue;
    if (b.firstRecord !== run.nextRecord || run.nextRecord >= until) break;
    run.nextRecord += b.recordCount;
    last = b;
    run.rowsIn += b.recordCount;
    run.rowsLoaded += b.rowsInserted ?? 0;
    run.rowsDuplicate += b.rowsDuplicate ?? 0;
    run.rowsRejected += b.rowsRejected ?? 0;
  }
  if (last?.endByte !== undefined && last.nextLine !== undefined) run.resume = { nextByte: last.endByte, nextLine: last.nextLine };
  return run;
}

/**
 * The geometry of an object from its ledger batches (any order). Batches of one object
 * version are `batchSize` records each, aligned on 1 + k·batchSize, except its last one,
 * which may be shorter. Every batch but the last one known is a full batch and gives the
 * size. When the ledger knows a single batch, it may be a full one or the object's short
 * tail (its other batches lost by the database): then the first of `candidates` (the size
 * the checkpoint remembers, then the configured one) that fits it is taken, else its own
 * length when that fits, else there is no telling and it throws. It throws too, naming the
 * batches, when they cannot come from one batch size: two geometries of the same lines
 * would give the same rows two batch ids (and their dead letters two keys), so the loader
 * must not add a third.
 */
export function batchGeometry(ranges: readonly LedgerRange[], candidates: readonly (number | undefined)[] = []): BatchGeometry {
  if (ranges.length === 0) return { contiguousEnd: 1, records: 0 };
  const sorted = byFirstRecord(ranges);
  const last = sorted[sorted.length - 1];
  const fits = (size: number) => (last.firstRecord - 1) % size === 0 && last.recordCount <= size;
  let batchSize: number;
  if (sorted.length > 1) batchSize = Math.max(...sorted.slice(0, -1).map((r) => r.recordCount));
  else if (last.firstRecord === 1) batchSize = last.recordCount; // a full first batch, or the whole object: cut the same either way
  else {
    const size = [...candidates, last.recordCount].find((c): c is number => c !== undefined && c > 0 && fits(c));
    if (size === undefined) throw new Error(`its only ledger batch (records ${span(last)}) does not tell the batch size it was cut with; set PIPEWARDEN_BATCH_SIZE to that size (a divisor of ${last.firstRecord - 1} of at least ${last.recordCount})`);
    batchSize = size;
  }
  const odd = sorted.find((r) => (r.firstRecord - 1) % batchSize !== 0 || (r !== last ? r.recordCount !== batchSize : r.recordCount > batchSize));
  if (odd) throw new Error(`its ledger batches come from more than one batch size (records ${span(odd)} beside batches of ${batchSize})`);
  return { batchSize, contiguousEnd: ledgerRun(sorted).nextRecord, records: sorted.reduce((a, r) => a + r.recordCount, 0) };
}
