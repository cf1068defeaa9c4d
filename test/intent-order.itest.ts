// A loader's WAL intents are in the order its batches were written, whatever order their
// ledger checks answer in. Nemesis seed 31014 (two connections, four batches in flight):
// batch 3's ledger check answered before batch 2's, its intent went first, the loader was
// killed between, and the reconcile repaired batch 3, whose rows took a key whose first
// occurrence was in batch 2: no intent named batch 2, and the next load wrote it after.
// The sink is driven directly, on the real stack, with batch 2's ledger check held back.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { WalWriter, createLogger, createPool, createRedis, datasetOf, readWalState, rulesFor, type Config } from '@pipewarden/core';
import { InlineEngine, LoaderMetrics, generate, intentFor, openSource, type BatchDraft } from '@pipewarden/loader';
import { DualWriteSink } from '../loader/src/sink';
import { startTestStack, type TestStack } from './helpers/stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pool, with the ledger checks of `slowBatch` answering `ms` late, or failing (everything else as it is). */
function withSlowLedgerCheck(pool: Pool, slowBatch: string, ms: number, fail = false): Pool {
  return new Proxy(pool, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop !== 'query' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        const sql = typeof args[0] === 'string' ? args[0] : '';
        if (sql.includes('FROM `batch_ledger` WHERE batch_id = ?') && JSON.stringify(args[1]) === JSON.stringify([slowBatch])) {
          await sleep(ms);
          if (fail) throw new Error('ledger check failed (test)');
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function draftsOf(config: Config, rows: number): Promise<BatchDraft[]> {
  const dir = join(config.wal.dir, '..', 'intent-order');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'src.csv');
  await generate(file, { rows, seed: 11, badShare: 0, duplicateShare: 0 });
  const source = openSource(file, config);
  const [object] = await source.list();
  const drafts: BatchDraft[] = [];
  const engine = new InlineEngine(rulesFor(datasetOf(config)));
  for await (const d of engine.batches(source, object, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: config.batch.size }, new AbortController().signal)) if (d.src.records > 0) drafts.push(d);
  source.close();
  return drafts;
}

describe('WAL intents in batch order', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.cleanup());

  test('batch 2 answering its ledger check late does not let batch 3 write its intent first', async () => {
    await stack.resetData();
    const config = stack.config({ 'batch.size': 500 });
    const drafts = await draftsOf(config, 1500);
    expect(drafts.map((d) => d.src.firstRecord)).toEqual([1, 501, 1001]);
    const ids = drafts.map((d) => intentFor(d, undefined, config.pipeline).id);
    const pool = createPool(config);
    const redis = createRedis(config, { role: 'test' });
    const wal = await WalWriter.open(config.wal.dir, 'loader', { fsync: 'always', segmentBytes: config.wal.segmentBytes });
    try {
      const sink = new DualWriteSink(config, withSlowLedgerCheck(pool, ids[1], 1500), redis, wal, 'load-data', new LoaderMetrics(), createLogger('test', () => undefined));
      const signal = new AbortController().signal;
      const outcomes = await Promise.all(drafts.map((d) => sink.write(d, signal)));
      expect(outcomes.map((o) => o.result)).toEqual(['committed', 'committed', 'committed']);
      expect([...readWalState(config.wal.dir).intents.keys()]).toEqual(ids);
    } finally {
      await wal.close();
      redis.disconnect();
      await pool.end();
    }
  });

  test('when batch 1 fails before its intent, batches 2 and 3 write no intent and no row', async () => {
    await stack.resetData();
    const config = stack.config({ 'batch.size': 500 });
    const drafts = await draftsOf(config, 1500);
    const ids = drafts.map((d) => intentFor(d, undefined, config.pipeline).id);
    const pool = createPool(config);
    const redis = createRedis(config, { role: 'test' });
    const wal = await WalWriter.open(config.wal.dir, 'loader', { fsync: 'always', segmentBytes: config.wal.segmentBytes });
    try {
      const sink = new DualWriteSink(config, withSlowLedgerCheck(pool, ids[0], 300, true), redis, wal, 'load-data', new LoaderMetrics(), createLogger('test', () => undefined));
      const signal = new AbortController().signal;
      const settled = await Promise.allSettled(drafts.map((d) => sink.write(d, signal)));
      expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : s.status))).toEqual([
        'ledger check failed (test)',
        'an earlier batch failed before its WAL intent; this batch stops too',
        'an earlier batch failed before its WAL intent; this batch stops too',
      ]);
      expect(readWalState(config.wal.dir).intents.size).toBe(0);
      const [[{ n }]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM violations');
      expect(Number(n)).toBe(0);
      // The next batches written (a new pass) are not held by the failure.
      const again = await sink.write(drafts[0], signal).catch((e: Error) => e.message);
      expect(again).toBe('ledger check failed (test)');
      const fresh = new DualWriteSink(config, pool, redis, wal, 'load-data', new LoaderMetrics(), createLogger('test', () => undefined));
      expect((await Promise.all(drafts.map((d) => fresh.write(d, signal)))).map((o) => o.result)).toEqual(['committed', 'committed', 'committed']);
    } finally {
      await wal.close();
      redis.disconnect();
      await pool.end();
    }
  });
});
