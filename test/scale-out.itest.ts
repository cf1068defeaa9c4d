// Issue 17: several loaders share one source without a shared disk, and the ledger (MySQL)
// with the source (S3) is all a loader needs to go on. Loaders are separate `pipewarden
// load` processes, each with its own run folder; objects are claimed with leases in MySQL;
// one loader dies mid-object (fault injection: SIGKILL with a batch transaction open), its
// lease lapses, another takes the object over and resumes it from the ledger. `verifyTable`
// (the source against the table) is the oracle.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect, holdPipeline, releaseHold, type Config } from '@pipewarden/core';
import { reconcile } from '@pipewarden/reconciler';
import { createS3Client, generate, putFile, verifyTable } from '@pipewarden/loader';
import { freePort } from '@pipewarden/stack';
import { startTestStack, type TestStack, query as q } from './helpers/stack';
import { startLoader as startLoaderProcess } from './helpers/loaders';
import { waitFor } from './helpers/wait';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());
beforeEach(() => stack.resetData());

const OBJECTS = 8;
const ROWS_EACH = 6000;
const BATCH = 500;


/** OBJECTS generated files with disjoint keys (repeats only inside an object), staged on the stack's S3. */
async function stageSource(config: Config, prefix: string): Promise<string> {
  const s3 = createS3Client(config);
  try {
    for (let i = 0; i < OBJECTS; i++) {
      const file = join(stack.layout.dir, `${prefix}-${i}.csv`);
      await generate(file, { rows: ROWS_EACH, seed: 170 + i, badShare: 0.01, duplicateShare: 0.01, keyBase: 1_000_000_000 + i * 1_000_000 });
      await putFile(s3, file, `s3://${stack.layout.bucket}/${prefix}/part-${String(i).padStart(3, '0')}.csv`);
    }
  } finally {
    s3.destroy();
  }
  return `s3://${stack.layout.bucket}/${prefix}/`;
}

const startLoader = (source: string, walDir: string, worker: string, env: Record<string, string> = {}) => startLoaderProcess(stack, source, walDir, worker, BATCH, env);
const loader = (source: string, walDir: string, worker: string, env: Record<string, string> = {}) => startLoader(source, walDir, worker, env).done;

async function expectExact(config: Config, source: string): Promise<void> {
  const v = await verifyTable(config, source);
  expect({ ok: v.ok, lost: v.lost, duplicated: v.duplicated, unexpected: v.unexpected, notFirst: v.notFirst, mismatched: v.mismatched }).toEqual({ ok: true, lost: 0, duplicated: 0, unexpected: 0, notFirst: 0, mismatched: 0 });
}

/** Every object's lease says done, with the record count the ledger holds for it. */
async function expectAllDone(config: Config): Promise<void> {
  const leases = await q(config, 'SELECT source_key, done_records, owner FROM object_leases ORDER BY source_key');
  expect(leases).toHaveLength(OBJECTS);
  const ledger = await q(config, 'SELECT source_key, SUM(record_count) AS n, COUNT(*) AS batches, COUNT(DISTINCT first_record) AS firsts FROM batch_ledger GROUP BY source_key ORDER BY source_key');
  for (const [i, l] of leases.entries()) {
    expect(l.owner).toBeNull();
    expect(Number(l.done_records)).toBe(ROWS_EACH);
    expect(Number(ledger[i].n)).toBe(ROWS_EACH);
    expect(Number(ledger[i].batches)).toBe(Number(ledger[i].firsts)); // one geometry, each range once
  }
}

test('three loaders with their own run folders share a source; one is killed mid-object, its lease lapses, the others finish it from the ledger; it restarts with its run folder gone and finds nothing to do', async () => {
  const config = stack.config();
  const source = await stageSource(config, 'shared');
  const dirs = ['w1', 'w2', 'w3'].map((w) => join(stack.layout.dir, `run-${w}`));
  // w1 dies at its 5th batch, between its mirror write and its MySQL COMMIT, holding a lease.
  const runs = await Promise.all([
    loader(source, dirs[0], 'w1', { PIPEWARDEN_FAULT: 'before-commit:5' }),
    loader(source, dirs[1], 'w2'),
    loader(source, dirs[2], 'w3'),
  ]);
  expect(runs[0].signal).toBe('SIGKILL');
  for (const r of runs.slice(1)) expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
  // Each survivor says the whole source is in (its summary covers every object).
  for (const r of runs.slice(1)) expect(r.summary!.rows_in).toBe(OBJECTS * ROWS_EACH);
  // Someone took w1's object over once its lease lapsed, and resumed it where the ledger ends:
  // at most the batch that was in flight beside the killed one is found again.
  const takeovers = runs.slice(1).filter((r) => r.stderr.includes('took over an object'));
  expect(takeovers.length).toBeGreaterThanOrEqual(1);
  expect(takeovers[0].stderr).toContain('from=w1#');
  const skipped = runs.slice(1).reduce((a, r) => a + r.summary!.this_run.batches_skipped, 0);
  expect(skipped).toBeLessThanOrEqual(1);
  // The work was shared: both survivors committed batches.
  for (const r of runs.slice(1)) expect(r.summary!.this_run.batches_committed).toBeGreaterThan(0);
  await expectAllDone(config);
  await expectExact(config, source);

  // w1 again, on a new host as it were: its run folder is gone. The leases' done marks and
  // the ledger say everything is in: nothing is read again, nothing written.
  rmSync(dirs[0], { recursive: true, force: true });
  const again = await loader(source, dirs[0], 'w1');
  expect(again.status).toBe(0);
  expect(again.summary!.rows_in).toBe(OBJECTS * ROWS_EACH);
  expect(again.summary!.this_run).toMatchObject({ batches_committed: 0, batches_skipped: 0 });
  await expectExact(config, source);
});

test('a loader and MariaDB killed together; the loader restarted on a new, empty run folder resumes from the ledger alone', async () => {
  const config = stack.config();
  const source = await stageSource(config, 'alone');
  const first = startLoader(source, join(stack.layout.dir, 'run-a'), 'a');
  // Mid-object (a few objects in), the loader and the database die at the same moment.
  await waitFor('batches in the ledger', async () => Number((await q(config, 'SELECT COUNT(*) AS n FROM batch_ledger'))[0].n) >= 30, 120000);
  first.kill();
  await stack.mariadb.kill();
  expect((await first.done).signal).toBe('SIGKILL');
  await stack.mariadb.start();
  const [{ n: inLedger }] = await q(config, 'SELECT COUNT(*) AS n FROM batch_ledger');

  const fresh = await loader(source, join(stack.layout.dir, 'run-b'), 'b');
  expect({ status: fresh.status, stderr: fresh.status === 0 ? '' : fresh.stderr }).toEqual({ status: 0, stderr: '' });
  expect(fresh.summary!.rows_in).toBe(OBJECTS * ROWS_EACH);
  // Nothing the ledger holds was read again: the new loader began where the ledger ends.
  expect(fresh.summary!.this_run.batches_skipped).toBe(0);
  expect(fresh.summary!.this_run.batches_committed).toBe((OBJECTS * ROWS_EACH) / BATCH - Number(inLedger));
  await expectAllDone(config);
  await expectExact(config, source);
});

test('a reconcile run on a host with none of the loaders\' files repairs a dead loader\'s batch from the mirror; a new loader on another empty folder finishes the source', async () => {
  const config = stack.config();
  const source = await stageSource(config, 'elsewhere');
  // w1 dies with its 5th batch in doubt: mirrored, its MySQL transaction never committed.
  const killed = await loader(source, join(stack.layout.dir, 'run-dead'), 'w1', { PIPEWARDEN_FAULT: 'before-commit:5' });
  expect(killed.signal).toBe('SIGKILL');
  const [{ n: before }] = await q(config, 'SELECT COUNT(*) AS n FROM batch_ledger');

  // The reconciler's own run folder is empty and no loader service answers: the mirror
  // (every loader's intents and rows) is what it goes by.
  const elsewhere = stack.config({ 'wal.dir': join(stack.layout.dir, 'run-reconciler'), 'loader.url': `http://127.0.0.1:${await freePort()}` });
  const report = await reconcile(elsewhere, { trigger: 'cli', restartLoader: false });
  expect(report.outcome).toBe('success');
  expect(report.verification).toBe('ok');
  expect(report.batchesRepaired).toBeGreaterThanOrEqual(1);
  expect(report.batches.every((b) => b.source === 'mirror')).toBe(true);
  const [{ n: after }] = await q(config, 'SELECT COUNT(*) AS n FROM batch_ledger');
  expect(Number(after)).toBe(Number(before) + report.batchesRepaired);
  // The run held every loader while it worked, and let go at its end.
  const [hold] = await q(config, "SELECT held_by FROM pipeline_holds WHERE pipeline = 'default'");
  expect(hold.held_by).toBeNull();

  const fresh = await loader(source, join(stack.layout.dir, 'run-new'), 'w2');
  expect({ status: fresh.status, stderr: fresh.status === 0 ? '' : fresh.stderr }).toEqual({ status: 0, stderr: '' });
  expect(fresh.summary!.this_run.batches_committed).toBe((OBJECTS * ROWS_EACH) / BATCH - Number(after));
  await expectAllDone(config);
  await expectExact(config, source);
});

test('a pipeline hold stops every loader from committing until it is released; an operator can see it in the loader\'s output', async () => {
  const config = stack.config();
  const source = await stageSource(config, 'held');
  const admin = await connect(config);
  try {
    await holdPipeline(admin, 'default', '00000000-0000-4000-8000-0000000017aa');
    const run = startLoader(source, join(stack.layout.dir, 'run-held'), 'w1', { PIPEWARDEN_LOG_LEVEL: 'info' });
    // The loader has claimed an object and cut batches, yet commits none while the hold stands.
    await waitFor('a claimed object', async () => Number((await q(config, 'SELECT COUNT(*) AS n FROM object_leases WHERE owner IS NOT NULL'))[0].n) > 0, 60000);
    await new Promise((r) => setTimeout(r, 2000));
    expect(Number((await q(config, 'SELECT COUNT(*) AS n FROM batch_ledger'))[0].n)).toBe(0);
    await releaseHold(admin, 'default', '00000000-0000-4000-8000-0000000017aa');
    const done = await run.done;
    expect(done.status).toBe(0);
    expect(done.stderr).toContain('a reconcile run holds this pipeline');
    await expectAllDone(config);
    await expectExact(config, source);
  } finally {
    await admin.end();
  }
});
