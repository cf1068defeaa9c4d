// Recovery, the product's promise: real processes, real SIGKILL, the table compared with
// the source at the end of every case. `npm run soak` runs many more randomized trials.
import type { RowDataPacket } from 'mysql2';
import { connect, type ReconcileJob } from '@pipewarden/core';
import { reconcile, startReconcilerService } from '@pipewarden/reconciler';
import { startTestStack, type TestStack } from './helpers/stack';
import { createBatchesInDoubt } from './helpers/doubt';
import { runTrial, type CaseName } from './helpers/scenarios';

const TRIALS = Number(process.env.PIPEWARDEN_TRIALS ?? 2);

describe('crash recovery (durable MariaDB)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.cleanup());

  const cases: [CaseName, string][] = [
    ['mysql-killed', 'MariaDB SIGKILLed mid-load and restarted: the watchdog reconciles, the load finishes'],
    ['loader-and-mysql-killed', 'the loader and MariaDB killed together'],
    ['mysql-killed-mirror-lost', 'Redis (no persistence) killed while MySQL is down: the source fills the gap'],
    ['wal-tail-torn', "the WAL's last record torn"],
    ['reconciler-killed-mid-run', 'the reconciler killed mid-run, then run again'],
  ];
  for (const [c, title] of cases) {
    test(`${c}: ${title}`, async () => {
      for (let t = 0; t < TRIALS; t++) {
        const r = await runTrial(stack, c, 100 + t);
        expect({ trial: t, detail: r.detail, recovered: r.recovered, lost: r.rowsLost, duplicated: r.rowsDuplicated, mismatched: r.verify.mismatched }).toEqual({ trial: t, detail: r.detail, recovered: true, lost: 0, duplicated: 0, mismatched: 0 });
        expect(r.verify.tableRows).toBe(r.verify.sourceDistinctKeys);
        expect(r.verify.tableRows).toBeGreaterThan(0);
      }
    });
  }

  test('dry run: writes nothing and reports exactly the missing rows', async () => {
    await stack.resetData();
    const d = await createBatchesInDoubt(stack, { rows: 12000, batchSize: 1000 });
    expect(d.missingRows).toBeGreaterThan(0);
    const c = await connect(stack.config());
    const snapshot = async () => {
      const [[t], [l], [r]] = await Promise.all([
        c.query<RowDataPacket[]>('CHECKSUM TABLE violations').then(([x]) => x),
        c.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM batch_ledger').then(([x]) => x),
        c.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM reconcile_runs').then(([x]) => x),
      ]);
      return [t.Checksum, l.n, r.n].join('/');
    };
    const before = await snapshot();
    const dry = await reconcile(stack.config(), { trigger: 'cli', dryRun: true });
    expect(await snapshot()).toBe(before);
    expect(dry.rowsMissing).toBe(d.missingRows);
    expect(dry.rowsInserted).toBe(0);
    expect(dry.outcome).toBe('dry_run');
    const real = await reconcile(stack.config(), { trigger: 'cli' });
    expect(real.rowsInserted).toBe(dry.rowsMissing);
    expect(real.verification).toBe('ok');
    expect(await d.tableRows()).toBe(d.sourceRows);
    await c.end();
  });

  test('API: 401 without the token; ten concurrent requests → one run; a replayed alert → no second run', async () => {
    await stack.resetData();
    await createBatchesInDoubt(stack, { rows: 30000, batchSize: 1000 });
    const config = stack.config({ 'reconciler.watchdog': false });
    const svc = await startReconcilerService(config);
    const token = config.token!;
    type AlertReply = { decisions: { action: string }[]; job: ReconcileJob | null };
    const alertPost = async (body: unknown): Promise<AlertReply> => (await (await post('/alertmanager', body)).json()) as AlertReply;
    const post = (path: string, body: unknown, auth = true) =>
      fetch(`${svc.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    const runsCount = async () => {
      const c = await connect(config);
      const [[r]] = await c.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM reconcile_runs');
      await c.end();
      return Number(r.n);
    };
    try {
      expect((await post('/reconcile', {}, false)).status).toBe(401);
      expect((await fetch(`${svc.url}/runs`)).status).toBe(401);
      expect((await post('/reconcile', { dryRun: 'yes' })).status).toBe(400);
      const responses = await Promise.all(Array.from({ length: 10 }, () => post('/reconcile', { trigger: 'api' })));
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(202));
      const jobs = (await Promise.all(responses.map((r) => r.json()))) as ReconcileJob[];
      expect(new Set(jobs.map((j) => j.id)).size).toBe(1);
      await svc.service.jobs.idle();
      const done = (await (await fetch(`${svc.url}/reconcile/${jobs[0].id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as ReconcileJob;
      expect(done.state).toBe('succeeded');
      expect(done.result!.rowsInserted).toBeGreaterThan(0);
      expect(await runsCount()).toBe(1);

      const alert = {
        version: '4',
        status: 'firing',
        receiver: 'pipewarden-reconciler',
        groupKey: '{}:{alertname="PipewardenMySQLDown"}',
        alerts: [{ status: 'firing', labels: { alertname: 'PipewardenMySQLDown', severity: 'critical' }, annotations: {}, startsAt: '2026-11-27T10:00:00Z', fingerprint: 'abc123' }],
      };
      const first = await alertPost(alert);
      expect(first.decisions[0].action).toBe('reconcile');
      await svc.service.jobs.idle();
      const replay = await alertPost(alert);
      expect(replay.decisions[0].action).toBe('duplicate');
      expect(replay.job).toBeNull();
      const other = await alertPost({ ...alert, alerts: [{ ...alert.alerts[0], labels: { alertname: 'SomethingElse' } }] });
      expect(other.decisions[0].action).toBe('ignored_name');
      const resolved = await alertPost({ ...alert, status: 'resolved', alerts: [{ ...alert.alerts[0], status: 'resolved', startsAt: '2026-11-27T11:00:00Z' }] });
      expect(resolved.decisions[0].action).toBe('ignored_resolved');
      expect((await post('/alertmanager', { hello: 'world' })).status).toBe(400);
      await svc.service.jobs.idle();
      expect(await runsCount()).toBe(2); // the button-equivalent run and the alert's, nothing more
      const runs = (await (await fetch(`${svc.url}/runs`, { headers: { authorization: `Bearer ${token}` } })).json()) as { runs: { trigger: string }[] };
      expect(runs.runs.map((r) => r.trigger).sort()).toEqual(['alert', 'api']);
    } finally {
      await svc.close();
    }
  });
});

describe('crash recovery (MariaDB with innodb_flush_log_at_trx_commit=0)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ flushLogAtTrxCommit: 0 });
  });
  afterAll(() => stack?.cleanup());

  test('mysql-killed-commits-lost: a SIGKILL loses acknowledged commits, the mirror fills the gap', async () => {
    for (let t = 0; t < TRIALS; t++) {
      const r = await runTrial(stack, 'mysql-killed-commits-lost', 200 + t);
      expect({ trial: t, detail: r.detail, recovered: r.recovered, lost: r.rowsLost, duplicated: r.rowsDuplicated }).toEqual({ trial: t, detail: r.detail, recovered: true, lost: 0, duplicated: 0 });
    }
  });
});
