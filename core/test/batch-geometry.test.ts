// batchGeometry: the batch size an object was cut with, read back from its ledger batches.
import { batchGeometry, ledgerMismatch, ledgerRun, sizeCutting, type IntentRecord, type LedgerEntry } from '../src';

const b = (firstRecord: number, recordCount: number) => ({ firstRecord, recordCount });

test('no batches: no size, nothing covered', () => {
  expect(batchGeometry([])).toEqual({ contiguousEnd: 1, records: 0 });
});

test('full batches and a short last one, in any order; the contiguous run stops at the first gap', () => {
  expect(batchGeometry([b(2001, 864), b(1, 1000), b(1001, 1000)])).toEqual({ batchSize: 1000, contiguousEnd: 2865, records: 2864 });
  expect(batchGeometry([b(1, 1000), b(3001, 1000)])).toEqual({ batchSize: 1000, contiguousEnd: 1001, records: 2000 });
  expect(batchGeometry([b(2001, 1000)])).toMatchObject({ batchSize: 1000, contiguousEnd: 1 });
});

test('a lone tail batch (the others lost by the database) takes the size the object was begun with, not its own length', () => {
  // Nemesis seed 36: batches of 5000, MySQL lost the first two; the tail 10001…10479 stayed.
  expect(batchGeometry([b(10001, 479)], [5000, 1000])).toMatchObject({ batchSize: 5000, contiguousEnd: 1, records: 479 });
  // No checkpoint: the configured size, when it fits.
  expect(batchGeometry([b(10001, 479)], [undefined, 5000])).toMatchObject({ batchSize: 5000 });
  // A candidate that cannot have cut it is passed over.
  expect(batchGeometry([b(10001, 479)], [3000, 2500])).toMatchObject({ batchSize: 2500 });
  // A full batch alone: its own length fits when no candidate does.
  expect(batchGeometry([b(5001, 5000)], [1000])).toMatchObject({ batchSize: 5000 });
  // The first batch alone cuts the same at its own length.
  expect(batchGeometry([b(1, 700)], [5000])).toMatchObject({ batchSize: 700, contiguousEnd: 701 });
  // Nothing fits: no guessing.
  expect(() => batchGeometry([b(10001, 479)], [3000])).toThrow(/only ledger batch \(records 10001…10479\) does not tell the batch size/);
});

test('contiguousEnd: the first record after the run of batches from record 1', () => {
  expect(batchGeometry([]).contiguousEnd).toBe(1);
  expect(batchGeometry([b(1001, 1000), b(1, 1000), b(3001, 5)]).contiguousEnd).toBe(2001);
  expect(batchGeometry([b(10001, 479)], [5000]).contiguousEnd).toBe(1);
});

test('batches of two sizes are refused with the odd range named', () => {
  expect(() => batchGeometry([b(1, 1000), b(1001, 1000), b(5001, 5000)])).toThrow(/records 5001…10000 beside batches of 1000/);
  expect(() => batchGeometry([b(1, 500), b(501, 1000)])).toThrow(/more than one batch size/);
});

test('a ledger row is the same batch only with the same object, range, counts and key checksum', () => {
  const intent: IntentRecord = { t: 'intent', id: 'b1', src: { key: 'k', etag: 'e', firstRecord: 1001, records: 1000, startByte: 0, endByte: 9, firstLine: 2 }, rows: 990, rejected: 10, check: '990:123', ts: 0 };
  const entry: LedgerEntry = { batchId: 'b1', sourceKey: 'k', sourceEtag: 'e', firstRecord: 1001, recordCount: 1000, rowsKept: 990, rowsInserted: 990, rowsDuplicate: 0, rowsRejected: 10, keyChecksum: '990:123', committedBy: 'loader' };
  expect(ledgerMismatch(entry, intent)).toBeNull();
  expect(ledgerMismatch({ ...entry, recordCount: 5000 }, intent)).toBe('records 1001…6000');
  expect(ledgerMismatch({ ...entry, keyChecksum: '990:124' }, intent)).toBe('key checksum 990:124');
  expect(ledgerMismatch({ ...entry, sourceEtag: 'x' }, intent)).toBe('object k (ETag x)');
});

test('sizeCutting: a size that cuts exactly the batch at firstRecord, full or the short last one', () => {
  // Nemesis seed 92: batches of 5000, the short last one 15001…18751 re-read without a checkpoint.
  expect(sizeCutting(15001, 3751)).toBe(15000);
  expect(sizeCutting(5001, 5000)).toBe(5000); // a full batch
  expect(sizeCutting(1, 700)).toBe(700); // the first batch, full or the whole object
  expect(sizeCutting(10001, 479)).toBe(10000);
  // The batch it cuts at firstRecord: firstRecord is a boundary, and the batch ends where it should.
  for (const [first, records, total] of [[15001, 3751, 18751], [5001, 5000, 18751], [1, 5000, 18751], [10001, 1, 10001]]) {
    const s = sizeCutting(first, records);
    expect((first - 1) % s).toBe(0);
    expect(Math.min(s, total - first + 1)).toBe(records);
  }
});

test('ledgerRun: where the unbroken run of batches from record 1 ends, where a read resumes, and its totals', () => {
  const b = (firstRecord: number, recordCount: number, endByte?: number, nextLine?: number) => ({ firstRecord, recordCount, endByte, nextLine, rowsInserted: recordCount - 2, rowsDuplicate: 1, rowsRejected: 1 });
  // Any order; the run stops at the gap (2001 missing), and resumes after the last batch of the run.
  expect(ledgerRun([b(3001, 1000, 900, 3003), b(1001, 1000, 600, 2002), b(1, 1000, 300, 1002)])).toEqual({
    nextRecord: 2001,
    resume: { nextByte: 600, nextLine: 2002 },
    rowsIn: 2000,
    rowsLoaded: 1996,
    rowsDuplicate: 2,
    rowsRejected: 2,
  });
  // The run's last batch without byte offsets (Spark, or a row older than schema 5): no resume point.
  const noOffsets = ledgerRun([b(1, 1000, 300, 1002), b(1001, 1000)]);
  expect([noOffsets.nextRecord, 'resume' in noOffsets]).toEqual([2001, false]);
  // Nothing from record 1.
  expect(ledgerRun([b(1001, 1000, 600, 2002)])).toEqual({ nextRecord: 1, rowsIn: 0, rowsLoaded: 0, rowsDuplicate: 0, rowsRejected: 0 });
});
