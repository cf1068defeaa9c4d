// Issue 13, the reconciler's guards: a dry run never holds up a repair, a failed run never
// goes unnoticed (and the watchdog tries again), and a real run never writes while a loader
// it could not pause may still write. Real services, real processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReconcileJob, ReconcilerStatus, LoaderStatus } from '@pipewarden/core';
import { startLoaderService } from '@pipewarden/loader';
import { reconcile, startReconcilerService } from '@pipewarden/reconciler';
import { startTestStack, type TestStack } from './helpers/stack';
import { createBatchesInDoubt, tableRows } from './helpers/doubt';
import { waitFor } from './helpers/wait';
import { parseExposition } from '../exporter/test/exposition';

/** An empty folder as a loader's source. */
function emptySource(stack: TestStack): string {
  const dir = join(stack.layout.dir, 'empty-source');
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('reconcile guards', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.cleanup());

  /** A reconciler service over batches in doubt, with MySQL down so a dry run waits for it. */
  async function duringOutage(rows: number) {
    await stack.resetData();
    const d = await createBatchesInDoubt(stack, { rows, batchSize: 1000 });
    expect(d.missingRows).toBeGreaterThan(0);
    const config = stack.config({ 'reconciler.watchdog': false });
    const svc = await startReconcilerService(config);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${config.token}` };
    const post = async (path: string, body?: unknown) => fetch(`${svc.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
    const job = async (id: string) => (await (await fetch(`${svc.url}/reconcile/${id}`, { headers })).json()) as ReconcileJob;
    // The preview an admin opened during the outage: it waits for MySQL.
    const preview = async () => {
      const dry = (await (await post('/reconcile', { dryRun: true, trigger: 'button' })).json()) as ReconcileJob;
      await waitFor('the dry run to wait for MySQL', async () => ((await job(dry.id)).progress.phase === 'wait_mysql' ? true : undefined));
      return dry;
    };
    await stack.mariadb.kill();
    return {
      d,
      svc,
      post,
      job,
      preview,
      async close() {
        if (!stack.mariadb.proc.running()) await stack.mariadb.start();
        await svc.close();
      },
    };
  }

  test("a real run asked for during a dry run waiting for MySQL pre-empts it (the watchdog's or an alert's run is not swallowed)", async () => {
    const t = await duringOutage(6000);
    try {
      const dry = await t.preview();
      const real = (await (await t.post('/reconcile', { trigger: 'api' })).json()) as ReconcileJob;
      expect({ dryRun: real.dryRun, sameAsPreview: real.id === dry.id }).toEqual({ dryRun: false, sameAsPreview: false });
      // A second real request while it is queued gets that same run.
      const again = (await (await t.post('/reconcile', { trigger: 'api' })).json()) as ReconcileJob;
      expect({ id: again.id, alreadyRunning: again.alreadyRunning }).toEqual({ id: real.id, alreadyRunning: true });
      // A real run is never cancelled halfway.
      expect((await t.post(`/reconcile/${real.id}/cancel`)).status).toBe(409);
      await stack.mariadb.start();
      await t.svc.service.jobs.idle();
      expect((await t.job(dry.id)).state).toBe('cancelled');
      const done = await t.job(real.id);
      expect({ state: done.state, inserted: done.result?.rowsInserted }).toEqual({ state: 'succeeded', inserted: t.d.missingRows });
      expect(await t.d.tableRows()).toBe(t.d.sourceRows);
    } finally {
      await t.close();
    }
  });

  test('a dismissed preview cancels its dry run (POST /reconcile/:id/cancel, bearer-protected)', async () => {
    const t = await duringOutage(3000);
    try {
      const dry = await t.preview();
      expect((await fetch(`${t.svc.url}/reconcile/${dry.id}/cancel`, { method: 'POST' })).status).toBe(401);
      expect((await t.post(`/reconcile/${dry.id}/cancel`)).status).toBe(202);
      await waitFor('the cancel', async () => ((await t.job(dry.id)).state === 'cancelled' ? true : undefined));
      expect(t.svc.service.jobs.current).toBeNull();
      expect((await t.post('/reconcile/no-such-job/cancel')).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  test('a loader that answers the pause with 401 stops the real run before any write; a dry run still reports', async () => {
    await stack.resetData();
    const d = await createBatchesInDoubt(stack, { rows: 5000, batchSize: 1000 });
    // A loader service with nothing to load (so only the reconciler could fill the table).
    const loader = await startLoaderService(stack.config({ token: 'the-loader-has-another-token' }), { source: emptySource(stack) });
    await waitFor('the loader to finish', () => (loader.service.status().state === 'finished' ? true : undefined));
    const present = await tableRows(stack);
    expect(present).toBe(d.sourceRows - d.missingRows);
    try {
      const config = stack.config();
      await expect(reconcile(config, { trigger: 'cli' })).rejects.toThrow(/401[\s\S]*will not write while a loader it could not pause may still write/);
      expect(await tableRows(stack)).toBe(present);
      const dry = await reconcile(config, { trigger: 'cli', dryRun: true });
      expect(dry.outcome).toBe('dry_run');
    } finally {
      await loader.close();
    }
  });

  test('a live process holding the loader lock stops a real run; the failure shows in /status and /metrics; the watchdog retries and repairs once it is gone', async () => {
    await stack.resetData();
    const d = await createBatchesInDoubt(stack, { rows: 6000, batchSize: 1000 });
    expect(d.missingRows).toBeGreaterThan(0);
    const config = stack.config({ 'reconciler.watchdogIntervalSeconds': 0.2 });
    // A one-shot `pipewarden load` the reconciler cannot pause: a live pid in loader.lock.
    const holder: ChildProcess = spawn('sleep', ['600'], { stdio: 'ignore' });
    mkdirSync(config.wal.dir, { recursive: true });
    writeFileSync(join(config.wal.dir, 'loader.lock'), `${holder.pid}\n`);
    const svc = await startReconcilerService(config);
    const headers = { authorization: `Bearer ${config.token}` };
    const status = async () => (await (await fetch(`${svc.url}/status`, { headers })).json()) as ReconcilerStatus;
    const metrics = async () => (await fetch(`${svc.url}/metrics`)).text();
    try {
      const failure = await waitFor('a failed run', async () => (await status()).reconcile.lastFailure ?? undefined);
      expect(failure.error).toMatch(/loader lock[\s\S]*will not write/);
      expect(parseExposition(await metrics()).get('pipewarden_reconcile_last_failed{pipeline="default"}')).toBe(1); // the reconciler's series carry the pipeline
      expect(await tableRows(stack)).toBe(d.sourceRows - d.missingRows); // nothing written
      // The watchdog's start may queue a second decision (MySQL restarted under the batches in
      // doubt): let it meet the lock too, so only a retry can repair once the holder is gone.
      await svc.service.jobs.idle();
      holder.kill('SIGKILL');
      await waitFor('a retry that succeeds', async () => ((await status()).reconcile.lastFailure === null && (await tableRows(stack)) === d.sourceRows ? true : undefined), 60000);
      await svc.service.jobs.idle();
      expect(parseExposition(await metrics()).get('pipewarden_reconcile_last_failed{pipeline="default"}')).toBe(0);
      expect(await metrics()).toMatch(/^pipewarden_reconciler_runs_total\{pipeline="default",trigger="watchdog",outcome="failed"\} [1-9]/m);
      expect(await metrics()).toMatch(/pipewarden_watchdog_decisions_total\{decision="retry_failed_reconcile"\} [1-9]/);
    } finally {
      holder.kill('SIGKILL');
      await svc.close();
    }
  });

  test('a run that fails after pausing the loader keeps it paused and the loader says why (status and metric)', async () => {
    await stack.resetData();
    const d = await createBatchesInDoubt(stack, { rows: 3000, batchSize: 1000 });
    const config = stack.config();
    const loader = await startLoaderService(config, { source: emptySource(stack) });
    await waitFor('the loader to finish', () => (loader.service.status().state === 'finished' ? true : undefined));
    const loaderStatus = async () => (await (await fetch(`${loader.url}/status`, { headers: { authorization: `Bearer ${config.token}` } })).json()) as LoaderStatus;
    try {
      await stack.mariadb.kill();
      await expect(reconcile(config, { trigger: 'cli', mysqlWaitSeconds: 1 })).rejects.toThrow(/MySQL did not answer within 1 s/);
      const s = await loaderStatus();
      expect(s.state).toBe('paused');
      expect(s.pausedBy).toMatchObject({ by: 'reconcile', error: expect.stringMatching(/MySQL did not answer/) });
      expect(parseExposition(await (await fetch(`${loader.url}/metrics`)).text()).get('pipewarden_loader_paused_by_reconcile{pipeline="default"}')).toBe(1); // the loader's series carry the pipeline
      await stack.mariadb.start();
      const ok = await reconcile(config, { trigger: 'cli' });
      expect(ok.loaderRestarted).toBe(true);
      expect(await d.tableRows()).toBe(d.sourceRows);
      expect((await loaderStatus()).pausedBy).toBeUndefined();
      expect(parseExposition(await (await fetch(`${loader.url}/metrics`)).text()).get('pipewarden_loader_paused_by_reconcile{pipeline="default"}')).toBe(0);
    } finally {
      if (!stack.mariadb.proc.running()) await stack.mariadb.start();
      await loader.close();
    }
  });
});
