// The reconciler service's history as the Grafana app reads it: who pressed the button
// (X-Grafana-User, set by Grafana's proxy) and a run's detail (GET /runs/:id) with the
// batches it repaired, their source ranges and where their rows came from. Real MariaDB,
// Redis and a real crashed load.
import { connect, migrate, type ApiError, type ReconcileJob, type ReconcileRun, type ReconcileRunDetail } from '@pipewarden/core';
import { startReconcilerService } from '@pipewarden/reconciler';
import { sleep } from '@pipewarden/stack';
import { startTestStack, type TestStack } from './helpers/stack';
import { createBatchesInDoubt } from './helpers/doubt';

describe('reconcile runs: who asked, and what each run did', () => {
  let stack: TestStack;
  let svc: Awaited<ReturnType<typeof startReconcilerService>>;
  let auth: Record<string, string>;
  beforeAll(async () => {
    stack = await startTestStack({ services: ['mariadb', 'redis'] });
    const config = stack.config({ 'reconciler.watchdog': false });
    svc = await startReconcilerService(config);
    auth = { authorization: `Bearer ${config.token}` };
  });
  afterAll(async () => {
    await svc?.close();
    await stack?.cleanup();
  });

  const get = async <T>(path: string, headers = auth) => {
    const r = await fetch(`${svc.url}${path}`, { headers });
    return { status: r.status, body: (await r.json()) as T };
  };
  const post = (body: unknown, extra: Record<string, string> = {}) => fetch(`${svc.url}/reconcile`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) });

  /** POST /reconcile and wait for the job to end; returns the finished job. */
  async function runToEnd(body: unknown, extra: Record<string, string> = {}): Promise<ReconcileJob> {
    const r = await post(body, extra);
    expect(r.status).toBe(202);
    const { id } = (await r.json()) as ReconcileJob;
    for (;;) {
      const job = (await get<ReconcileJob>(`/reconcile/${id}`)).body;
      if (job.state !== 'queued' && job.state !== 'running') return job;
      await sleep(100);
    }
  }

  test("the button's user is recorded with the run, and the run's detail lists the batches it repaired", async () => {
    const d = await createBatchesInDoubt(stack, { rows: 3000, batchSize: 1000 });
    expect(d.missingRows).toBeGreaterThan(0);
    const job = await runToEnd({ trigger: 'button' }, { 'X-Grafana-User': '  alice.oncall  ' });
    expect({ state: job.state, requestedBy: job.requestedBy }).toEqual({ state: 'succeeded', requestedBy: 'alice.oncall' });
    expect(await d.tableRows()).toBe(d.sourceRows);

    const runs = (await get<{ runs: ReconcileRun[] }>('/runs')).body.runs;
    expect(runs.map((r) => [r.runId, r.trigger, r.requestedBy])).toEqual([[job.id, 'button', 'alice.oncall']]);

    const detail = await get<ReconcileRunDetail>(`/runs/${job.id}`);
    expect(detail.status).toBe(200);
    const { batches, ...run } = detail.body;
    expect(run).toEqual(runs[0]);
    expect({ outcome: run.outcome, verification: run.verification, inserted: run.rowsInserted }).toEqual({ outcome: 'success', verification: 'ok', inserted: d.missingRows });
    // The crashed load's last batch: records 2001–3000 of the generated file, rows from the mirror.
    const repaired = batches.filter((b) => b.rowsInserted > 0);
    expect(repaired.map((b) => ({ sourceKey: b.sourceKey, firstRecord: b.firstRecord, records: b.records, source: b.source, rowsMissing: b.rowsMissing, rowsInserted: b.rowsInserted }))).toEqual([
      { sourceKey: d.file, firstRecord: 2001, records: 1000, source: 'mirror', rowsMissing: d.missingRows, rowsInserted: d.missingRows },
    ]);
    expect(batches.every((b) => /^b[0-9a-f]{23}$/.test(b.batchId))).toBe(true);
    expect(batches.reduce((n, b) => n + b.rowsInserted, 0)).toBe(run.rowsInserted);
  });

  test('a run without the header (the API, the watchdog) records nobody', async () => {
    const job = await runToEnd({ trigger: 'api' });
    expect(job.requestedBy).toBeUndefined();
    const detail = await get<ReconcileRunDetail>(`/runs/${job.id}`);
    expect({ status: detail.status, requestedBy: detail.body.requestedBy, trigger: detail.body.trigger }).toEqual({ status: 200, requestedBy: null, trigger: 'api' });
  });

  test('GET /runs/:id: 404 for an unknown run, 400 for what is not a run id, 401 without the token', async () => {
    const unknown = await get<ApiError>('/runs/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no recorded reconcile run 00000000-0000-4000-8000-000000000000/);
    const bad = await get<ApiError>(`/runs/${encodeURIComponent("1' OR '1'='1")}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/is not a run id/);
    const anonymous = await fetch(`${svc.url}/runs/00000000-0000-4000-8000-000000000000`);
    expect(anonymous.status).toBe(401);
  });

  test('migration 3 runs again cleanly when it was interrupted after its ALTER, and keeps the recorded users', async () => {
    const config = stack.config();
    const c = await connect(config);
    try {
      const users = async () => (await c.query<import('mysql2').RowDataPacket[]>('SELECT requested_by FROM reconcile_runs WHERE requested_by IS NOT NULL'))[0].map((r) => r.requested_by);
      const before = await users();
      expect(before).toEqual(['alice.oncall']);
      await c.query('DELETE FROM schema_migrations WHERE version = 3'); // as if the process died before recording it
      expect((await migrate(config)).applied).toEqual([3]);
      expect(await users()).toEqual(before);
      expect((await migrate(config)).applied).toEqual([]);
    } finally {
      await c.end();
    }
  });

  test('a user name longer than the column is refused with a clear error, and no run starts', async () => {
    const before = (await get<{ runs: ReconcileRun[] }>('/runs')).body.runs.length;
    const r = await post({ trigger: 'button' }, { 'X-Grafana-User': 'u'.repeat(191) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as ApiError).error).toBe('X-Grafana-User is longer than 190 characters');
    expect(svc.service.jobs.current).toBeNull();
    expect((await get<{ runs: ReconcileRun[] }>('/runs')).body.runs.length).toBe(before);
  });
});
