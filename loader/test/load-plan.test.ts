// The plan phase (loader/src/load/plan.ts) as pure decisions: where an object is taken up
// from its checkpoint, the ledger's batches and its lease row, without a database.
import type { LeaseRow, LedgerRange, Logger, ObjectCheckpoint } from '@pipewarden/core';
import { changedFrom, emptyObjectCheckpoint, planObject, type PlanContext } from '../src/load/plan';
import type { SourceObject } from '../src/source';

const obj: SourceObject = { key: 's3://b/fy2014.csv', etag: 'e1', size: 1_000_000 };
const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent } as unknown as Logger;

function context(over: Partial<PlanContext> = {}): PlanContext & { reloaded: string[] } {
  const reloaded: string[] = [];
  return { batchSize: 1000, engine: 'inline', log: silent, onReloaded: (k) => reloaded.push(k), reloaded, ...over };
}

/** Ledger batches of `size` records from record 1, each ending at a byte 100 per record. */
function batches(n: number, size: number): LedgerRange[] {
  return Array.from({ length: n }, (_, i) => ({ firstRecord: 1 + i * size, recordCount: size, endByte: 100 * (i + 1) * size, nextLine: 2 + (i + 1) * size, rowsInserted: size, rowsDuplicate: 0, rowsRejected: 0 }));
}

function checkpoint(over: Partial<ObjectCheckpoint>): ObjectCheckpoint {
  return { ...emptyObjectCheckpoint(obj, 1000), header: ['a', 'b'], engine: 'inline', ...over };
}

const lease = (over: Partial<LeaseRow>): LeaseRow => ({ key: obj.key, etag: obj.etag, owner: null, expiresInMs: null, doneRecords: null, split: null, ...over });

test('nothing known: the object starts at its top with the configured batch size', () => {
  const oc = planObject(obj, undefined, [], undefined, context());
  expect(oc).toMatchObject({ nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 1000, done: false, engine: 'inline' });
});

test('a checkpoint the ledger confirms is kept as it is', () => {
  const cached = checkpoint({ nextRecord: 3001, nextByte: 300_000, nextLine: 3002, rowsIn: 3000 });
  const ctx = context();
  expect(planObject(obj, cached, batches(3, 1000), undefined, ctx)).toMatchObject({ nextRecord: 3001, nextByte: 300_000, rowsIn: 3000 });
  expect(ctx.reloaded).toEqual([]);
});

test('a checkpoint further than the ledger: the object goes on where the ledger ends, and is reported reloaded', () => {
  const cached = checkpoint({ nextRecord: 5001, nextByte: 500_000, nextLine: 5002, rowsIn: 5000 });
  const ctx = context();
  const oc = planObject(obj, cached, batches(2, 1000), undefined, ctx);
  expect(oc).toMatchObject({ nextRecord: 2001, nextByte: 200_000, nextLine: 2002, rowsIn: 2000, rowsLoaded: 2000 });
  expect(ctx.reloaded).toEqual([obj.key]);
});

test('no checkpoint here, another loader began it: resume where the ledger ends, in its batch size', () => {
  const ctx = context({ batchSize: 5000 });
  const oc = planObject(obj, undefined, batches(4, 2000), undefined, ctx);
  expect(oc).toMatchObject({ nextRecord: 8001, nextByte: 800_000, batchSize: 2000, done: false, rowsIn: 8000 });
});

test('a lease marked done with the count the ledger holds makes the object done; another count does not', () => {
  expect(planObject(obj, undefined, batches(3, 1000), lease({ doneRecords: 3000 }), context()).done).toBe(true);
  expect(planObject(obj, undefined, batches(3, 1000), lease({ doneRecords: 4000 }), context()).done).toBe(false);
});

test('begun by the other engine: its checkpoint is dropped; inline resumes at the ledger\'s byte offsets, Spark reads from the top', () => {
  const bySpark = checkpoint({ nextRecord: 2001, nextByte: 0, engine: 'spark' });
  expect(planObject(obj, bySpark, batches(2, 1000), undefined, context())).toMatchObject({ nextRecord: 2001, nextByte: 200_000, engine: 'inline' });
  const byInline = checkpoint({ nextRecord: 2001, nextByte: 200_000, engine: 'inline' });
  // Spark batches carry no byte offsets: the object is read again and the ledger skips what is in.
  expect(planObject(obj, byInline, batches(2, 1000), undefined, context({ engine: 'spark' }))).toMatchObject({ nextRecord: 1, nextByte: 0, engine: 'spark' });
});

test('a ledger of two batch sizes cannot be planned: the error names the object', () => {
  const mixed = [...batches(1, 1000), { firstRecord: 1001, recordCount: 500, endByte: 150_000, nextLine: 1502 }, { firstRecord: 1501, recordCount: 1000, endByte: 250_000, nextLine: 2502 }];
  expect(() => planObject(obj, undefined, mixed, undefined, context())).toThrow(obj.key);
});

test('changedFrom: another ETag with batches in the ledger, or a checkpoint begun on another version', () => {
  const byEtag = new Map([['e0', batches(1, 1000)]]);
  expect(changedFrom(obj, undefined, byEtag)).toBe('e0');
  expect(changedFrom(obj, undefined, new Map([['e1', batches(1, 1000)], ['e0', batches(1, 1000)]]))).toBeUndefined();
  expect(changedFrom(obj, checkpoint({ etag: 'e0', nextRecord: 11 }), undefined)).toBe('e0');
  expect(changedFrom(obj, checkpoint({ etag: 'e0', nextRecord: 1, rowsIn: 0 }), undefined)).toBeUndefined();
});
