// A pipeline hold no run is at work on (core/src/db/holds.ts): a reconcile run killed
// mid-way, or one that failed, leaves every loader held. A one-shot `pipewarden load` then
// stops and says to reconcile, instead of waiting for a release nobody will make; a live
// run's hold is still waited for. Real services, real processes, a real SIGKILL.
import type { RowDataPacket } from 'mysql2/promise';
import type { RowDataPacket as Row } from 'mysql2/promise';
import { connect, createLogger, createPool, holdAbandoned, holdPipeline, keepHoldFailed } from '@pipewarden/core';
import { RunHold } from '../reconciler/src/run-hold';
import { startTestStack, type TestStack } from './helpers/stack';
import { createBatchesInDoubt, runCli, runCliAsync, type InDoubt } from './helpers/doubt';
import { startLoader } from './helpers/loaders';
import { waitFor } from './helpers/wait';

const RUN_ID = '00000000-0000-4000-8000-00000000abcd';

describe('a pipeline hold whose reconcile run is gone', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.cleanup());

  async function ledgerRows(): Promise<number> {
    const c = await connect(stack.config());
    try {
      const [[r]] = await c.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM batch_ledger');
      return Number(r.n);
    } finally {
      await c.end();
    }
  }

  const load = (d: InDoubt) => runCliAsync(stack, ['load', '--source', d.file, '--batch-size', '1000', '--no-progress', '--json'], {}, 120000);

  /** A reconcile that succeeds, then a load that finishes: the table equals the source. */
  async function recovers(d: InDoubt): Promise<void> {
    const rec = runCli(stack, ['reconcile', '--json']);
    expect({ status: rec.status, stderr: rec.status === 0 ? '' : rec.stderr }).toEqual({ status: 0, stderr: '' });
    const done = await load(d);
    expect({ status: done.status, stderr: done.status === 0 ? '' : done.stderr }).toEqual({ status: 0, stderr: '' });
    expect(await d.tableRows()).toBe(d.sourceRows);
  }

  test('a reconcile run killed mid-way: the next load stops with what to do, writes nothing, and a reconcile then a load complete the table', async () => {
    await stack.resetData();
    const d = await createBatchesInDoubt(stack, { rows: 8000, batchSize: 1000, crashAtBatch: 6 });
    const killed = runCli(stack, ['reconcile', '--json'], { PIPEWARDEN_FAULT: 'after-repair:1' });
    expect(killed.signal).toBe('SIGKILL');
    const ledger = await ledgerRows();
    const stopped = await load(d);
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toMatch(/pipewarden: pipeline default is held by reconcile run [0-9a-f-]{36}, which is no longer running \(it stopped mid-run\)/);
    expect(stopped.stderr).toContain('run `pipewarden reconcile` to finish its repair, then load again');
    expect(stopped.stderr).not.toMatch(/\n\s+at /);
    expect(await ledgerRows()).toBe(ledger);
    await recovers(d);
  });

  test('a reconcile with a pool of one MySQL connection repairs: the hold is kept on a session of its own, not one the repair needs (nemesis seed 28013)', async () => {
    await stack.resetData();
    const d = await createBatchesInDoubt(stack, { rows: 4000, batchSize: 1000 });
    expect(d.missingRows).toBeGreaterThan(0);
    const rec = runCli(stack, ['reconcile', '--json'], { PIPEWARDEN_MYSQL_CONNECTIONS: '1' }, 120000);
    expect({ status: rec.status, signal: rec.signal, stderr: rec.status === 0 ? '' : rec.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(await d.tableRows()).toBe(d.sourceRows);
  });

  test("a run whose hold session is killed under it (a DBA's KILL, a proxy's idle cut) notices, and stops before its next write; the lock is free at once", async () => {
    await stack.resetData();
    const config = stack.config();
    const pool = createPool(config);
    const admin = await connect(config);
    try {
      const hold = await RunHold.take(config, pool, RUN_ID, createLogger('test'), { heartbeatMs: 200 });
      expect(() => hold.assertHeld()).not.toThrow();
      const [[lock]] = await admin.query<Row[]>("SELECT IS_USED_LOCK(CONCAT('pipewarden_hold.', SHA1(CONCAT(DATABASE(), '/', 'default')))) AS id");
      expect(lock.id).not.toBeNull();
      await admin.query('KILL ?', [lock.id]);
      expect(await holdAbandoned(admin, 'default', RUN_ID)).toBe(true);
      await waitFor('the heartbeat to notice', async () => {
        try {
          hold.assertHeld();
          return undefined;
        } catch (e) {
          return e;
        }
      });
      expect(() => hold.assertHeld()).toThrow(/the run lost its hold on pipeline default \(its MySQL session ended/);
      await hold.keepFailed('stopped: its hold was lost');
      const [[row]] = await admin.query<Row[]>("SELECT held_by, error FROM pipeline_holds WHERE pipeline = 'default'");
      expect({ held_by: row.held_by, error: row.error }).toEqual({ held_by: RUN_ID, error: 'stopped: its hold was lost' });
    } finally {
      await admin.query("UPDATE pipeline_holds SET held_by = NULL, error = NULL WHERE pipeline = 'default'");
      await admin.end();
      await pool.end();
    }
  });

  test('a run that failed and let go of its session: the load stops and names its error', async () => {
    await stack.resetData();
    const d = await createBatchesInDoubt(stack, { rows: 4000, batchSize: 1000 });
    const run = await connect(stack.config());
    await holdPipeline(run, 'default', RUN_ID);
    await keepHoldFailed(run, 'default', RUN_ID, 'verification failed: see the reconciler log');
    await run.end();
    const stopped = await load(d);
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toContain(`is held by reconcile run ${RUN_ID}, which is no longer running (it failed: verification failed: see the reconciler log)`);
    await recovers(d);
  });

  test('a live run is waited for; when its session dies under the waiting load, the load stops', async () => {
    await stack.resetData();
    const d = await createBatchesInDoubt(stack, { rows: 4000, batchSize: 1000 });
    const run = await connect(stack.config());
    await holdPipeline(run, 'default', RUN_ID);
    const waiting = startLoader(stack, d.file, stack.config().wal.dir, 'w1', 1000);
    await waitFor('the load to wait on the hold', async () => (waiting.stderr().includes('a reconcile run holds this pipeline') ? true : undefined), 60000);
    run.destroy();
    const stopped = await waiting.done;
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toContain(`is held by reconcile run ${RUN_ID}, which is no longer running (it stopped mid-run)`);
    await recovers(d);
  });
});
