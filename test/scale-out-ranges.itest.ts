// Issue 17: one large object cut into byte ranges and loaded by several loaders at once
// (core/src/db/ranges.ts). Three `pipewarden load` processes with their own run folders share
// a source of one large object and a few small ones. One loader finds the large object's
// ranges, the others start on them as they are published; the first is SIGKILLed mid-range
// (fault injection, at a random batch of its first range, a transaction open), its range's
// lease lapses and another loader resumes that range from the ledger. Then again with the
// killed loader's run folder deleted and the loader restarted on the empty folder at once.
// `verifyTable` (the source against the table) is the oracle.
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '@pipewarden/core';
import { createS3Client, generate, putFile, verifyTable } from '@pipewarden/loader';
import { startTestStack, type TestStack, query as q } from './helpers/stack';
import { startLoader as startLoaderProcess, type LoaderRun } from './helpers/loaders';
import { waitFor } from './helpers/wait';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());
beforeEach(() => stack.resetData());

const BIG_ROWS = 40_000;
const SMALL = 3;
const SMALL_ROWS = 3000;
const BATCH = 500;
const TOTAL = BIG_ROWS + SMALL * SMALL_ROWS;

/** The large object first in the listing (no repeated keys: under `first` two ranges loaded at once would race for one), then small ones. */
async function stageSource(config: Config, prefix: string): Promise<{ source: string; bigBytes: number }> {
  const s3 = createS3Client(config);
  let bigBytes = 0;
  try {
    const big = join(stack.layout.dir, `${prefix}-big.csv`);
    await generate(big, { rows: BIG_ROWS, seed: 1717, badShare: 0.01, duplicateShare: 0, keyBase: 2_000_000_000 });
    bigBytes = statSync(big).size;
    await putFile(s3, big, `s3://${stack.layout.bucket}/${prefix}/a-big.csv`);
    for (let i = 0; i < SMALL; i++) {
      const file = join(stack.layout.dir, `${prefix}-${i}.csv`);
      await generate(file, { rows: SMALL_ROWS, seed: 1800 + i, badShare: 0.01, duplicateShare: 0.01, keyBase: 1_000_000_000 + i * 1_000_000 });
      await putFile(s3, file, `s3://${stack.layout.bucket}/${prefix}/b-small-${i}.csv`);
    }
  } finally {
    s3.destroy();
  }
  return { source: `s3://${stack.layout.bucket}/${prefix}/`, bigBytes };
}

const startLoader = (source: string, walDir: string, worker: string, env: Record<string, string>) => startLoaderProcess(stack, source, walDir, worker, BATCH, env).done;

/** Workers seen holding ranges of the large object, polled while the loaders run. */
function watchRangeHolders(config: Config): { stop(): Promise<Set<string>> } {
  const seen = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const r of await q(config, 'SELECT owner FROM object_ranges WHERE owner IS NOT NULL').catch(() => [])) seen.add(String(r.owner).replace(/#.*/, ''));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

async function expectSplitAndExact(config: Config, source: string, bigBytes: number, rangeBytes: number): Promise<void> {
  // The large object's ranges: contiguous from record 1, whole batches, each done with its
  // record count and free; together the object, whose own mark says done with all of it.
  const ranges = await q(config, 'SELECT first_record, record_count, batch_size, start_byte, end_byte, done_records, owner FROM object_ranges ORDER BY first_record');
  expect(ranges.length).toBeGreaterThanOrEqual(Math.floor(bigBytes / rangeBytes) - 1);
  let next = 1;
  for (const [i, r] of ranges.entries()) {
    expect(Number(r.first_record)).toBe(next);
    if (i < ranges.length - 1) expect(Number(r.record_count) % BATCH).toBe(0);
    if (i > 0) expect(Number(r.start_byte)).toBe(Number(ranges[i - 1].end_byte));
    expect({ done: Number(r.done_records), owner: r.owner }).toEqual({ done: Number(r.record_count), owner: null });
    next += Number(r.record_count);
  }
  expect(next - 1).toBe(BIG_ROWS);
  const marks = await q(config, 'SELECT source_key, done_records, split, owner FROM object_leases ORDER BY source_key');
  expect(marks.map((m) => [Number(m.done_records), m.split === null ? null : Number(m.split), m.owner])).toEqual([[BIG_ROWS, 1, null], ...Array.from({ length: SMALL }, () => [SMALL_ROWS, null, null])]);
  // Each batch once, one geometry, every record of every object.
  const ledger = await q(config, 'SELECT source_key, SUM(record_count) AS n, COUNT(*) AS batches, COUNT(DISTINCT first_record) AS firsts FROM batch_ledger GROUP BY source_key ORDER BY source_key');
  expect(ledger.map((l) => Number(l.n))).toEqual([BIG_ROWS, ...Array.from({ length: SMALL }, () => SMALL_ROWS)]);
  for (const l of ledger) expect(Number(l.batches)).toBe(Number(l.firsts));
  const v = await verifyTable(config, source);
  expect({ ok: v.ok, lost: v.lost, duplicated: v.duplicated, unexpected: v.unexpected, notFirst: v.notFirst, mismatched: v.mismatched }).toEqual({ ok: true, lost: 0, duplicated: 0, unexpected: 0, notFirst: 0, mismatched: 0 });
}

test.each([
  { variant: 'kept', restart: false },
  { variant: 'deleted, the loader restarted on the empty folder at once', restart: true },
])('three loaders share a large object cut into ranges; one is killed mid-range, the others (and it) finish; its run folder $variant', async ({ restart }) => {
  const config = stack.config();
  const { source, bigBytes } = await stageSource(config, restart ? 'again' : 'split');
  const rangeBytes = Math.floor(bigBytes / 8);
  const env = { PIPEWARDEN_RANGE_BYTES: String(rangeBytes) };
  const dirs = ['w1', 'w2', 'w3'].map((w) => join(stack.layout.dir, `run-${w}-${restart}`));
  // Each range holds at least rangeBytes / (bytes per row) records: about 10 batches.
  const killAt = 2 + Math.floor(Math.random() * 6);
  const holders = watchRangeHolders(config);
  // w1 starts alone: it finds the ranges and claims the first; it dies at batch killAt of it.
  const w1 = startLoader(source, dirs[0], 'w1', { ...env, PIPEWARDEN_FAULT: `before-commit:${killAt}` });
  await waitFor('w1 holding a range', async () => Number((await q(config, "SELECT COUNT(*) AS n FROM object_ranges WHERE owner LIKE 'w1#%'"))[0].n) > 0, 60000);
  const others = [startLoader(source, dirs[1], 'w2', env), startLoader(source, dirs[2], 'w3', env)];
  const killed = await w1;
  expect({ killAt, signal: killed.signal }).toEqual({ killAt, signal: 'SIGKILL' });
  let back: Promise<LoaderRun> | undefined;
  if (restart) {
    rmSync(dirs[0], { recursive: true, force: true });
    back = startLoader(source, dirs[0], 'w1', { ...env, PIPEWARDEN_LOG_LEVEL: 'info' });
  }
  const runs = await Promise.all([...others, ...(back ? [back] : [])]);
  const seen = await holders.stop();
  for (const r of runs) expect({ killAt, status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ killAt, status: 0, stderr: '' });
  // Nothing but the takeover was worth a warning (a range's read that ends is no S3 failure).
  for (const r of others) expect((await r).stderr).not.toMatch(/S3 read failed/);
  for (const r of runs) expect(r.summary!.rows_in).toBe(TOTAL);
  // The killed loader's range went on: taken over by another after its lease lapsed, or
  // taken back at once by w1 restarted on the same (now empty) run folder.
  const all = runs.map((r) => r.stderr).join('\n');
  if (restart) expect(all).toMatch(/took (back|over) an object/);
  else expect(all).toMatch(/took over an object.*records 1–.*from=w1#/);
  // At most the batch in flight beside the killed one is read again and found in the ledger.
  expect(runs.reduce((a, r) => a + r.summary!.this_run.batches_skipped, 0)).toBeLessThanOrEqual(1);
  // The large object was loaded by more than one loader at once.
  expect(seen.size).toBeGreaterThanOrEqual(2);
  await expectSplitAndExact(config, source, bigBytes, rangeBytes);
});

test('a loader that died between marking its last range done and marking the object done: the next loader marks the object, reading nothing', async () => {
  const config = stack.config();
  const { source, bigBytes } = await stageSource(config, 'lastmark');
  const env = { PIPEWARDEN_RANGE_BYTES: String(Math.floor(bigBytes / 4)) };
  const first = await startLoader(source, join(stack.layout.dir, 'run-lastmark-1'), 'w1', env);
  expect(first.status).toBe(0);
  // As if w1 had been killed right after its last finishRange.
  await q(config, 'UPDATE object_leases SET done_records = NULL WHERE split = 1');
  const next = await startLoader(source, join(stack.layout.dir, 'run-lastmark-2'), 'w2', env);
  expect({ status: next.status, stderr: next.status === 0 ? '' : next.stderr }).toEqual({ status: 0, stderr: '' });
  expect(next.summary!.this_run).toMatchObject({ batches_committed: 0, batches_skipped: 0 });
  const [mark] = await q(config, 'SELECT done_records FROM object_leases WHERE split = 1');
  expect(Number(mark.done_records)).toBe(BIG_ROWS);
}, 120_000);
