// Reconcile with two pipelines (a config file's `pipelines`): NYC parking violations into
// `violations` and the World Bank population fixture (composite key, duplicates: last) into
// `world_population`. Each load is a real CLI process SIGKILLed before a commit (fault
// injection), leaving batches in doubt in that pipeline's own WAL folder and mirror. Then:
// reconciling one pipeline repairs it and leaves the other exactly as it was; a job over every
// pipeline repairs the rest even when one pipeline's run fails (that failure is named and the
// others still run); the run rows carry the pipeline; the service takes `pipeline`, refuses
// an unknown one, filters /runs by it and shows each pipeline in /status.
// Real MariaDB and Redis; no loader service (nothing to pause: "absent" is fine).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { REPO_ROOT } from '@pipewarden/stack';
import { connect, loadConfig, migrate, pipelineConfig, readWalState, type ApiError, type Config, type ReconcileJob, type ReconcileReport, type ReconcileRun, type ReconcilerStatus } from '@pipewarden/core';
import { acquireLoaderLock, rowsMatch, verifyTable } from '@pipewarden/loader';
import { reconcile, startReconcilerService } from '@pipewarden/reconciler';
import { sleep } from '@pipewarden/stack';
import { runCli } from './helpers/doubt';
import { SHARED_SAMPLE, startTestStack, type TestStack } from './helpers/stack';

const POPULATION = join(REPO_ROOT, 'data', 'datasets', 'world-population');

describe('reconcile with two pipelines', () => {
  let stack: TestStack;
  let file: string;
  let config: Config;
  let parking: Config;
  let population: Config;

  /** What the rest of the database says about a pipeline: its ledger rows and its table's rows, whole. */
  async function snapshot(pipeline: string, table: string): Promise<{ ledger: unknown[]; table: unknown[] }> {
    const c = await connect(config);
    try {
      const [ledger] = await c.query<RowDataPacket[]>('SELECT batch_id, source_key, first_record, rows_inserted, committed_by, pipeline FROM batch_ledger WHERE pipeline = ? ORDER BY batch_id', [pipeline]);
      const [rows] = await c.query<RowDataPacket[]>(`SELECT * FROM \`${table}\` ORDER BY 1, 2`);
      return { ledger: ledger.map((r) => ({ ...r })), table: rows.map((r) => ({ ...r })) };
    } finally {
      await c.end();
    }
  }

  async function ledgerOf(pipeline: string): Promise<{ committed_by: string; n: number }[]> {
    const c = await connect(config);
    try {
      const [rows] = await c.query<RowDataPacket[]>('SELECT committed_by, COUNT(*) AS n FROM batch_ledger WHERE pipeline = ? GROUP BY committed_by ORDER BY committed_by', [pipeline]);
      return rows.map((r) => ({ committed_by: r.committed_by, n: Number(r.n) }));
    } finally {
      await c.end();
    }
  }

  const verify = async (pc: Config) => verifyTable(pc, pc.source!);

  /** A CLI load of one pipeline, SIGKILLed before the commit of batch `at`. */
  function crashLoad(pipeline: string, at: number): void {
    const r = runCli(stack, ['load', '--no-progress', '--json'], { PIPEWARDEN_CONFIG: file, PIPEWARDEN_PIPELINE: pipeline, PIPEWARDEN_FAULT: `before-commit:${at}` });
    if (r.signal !== 'SIGKILL') throw new Error(`the ${pipeline} load was expected to die by fault injection, got status ${r.status} signal ${r.signal}: ${r.stderr.slice(-2000)}`);
  }

  beforeAll(async () => {
    stack = await startTestStack({ services: ['mariadb', 'redis'] });
    file = join(stack.layout.dir, 'pipewarden.yaml');
    writeFileSync(
      file,
      [
        'pipelines:',
        `  - { name: parking, source: "${SHARED_SAMPLE}", dataset: "builtin:nyc-parking-violations", batch: { size: 1000 } }`,
        `  - { name: population, source: "${join(POPULATION, 'sample.csv')}", dataset: "${join(POPULATION, 'spec.yaml')}", batch: { size: 400 } }`,
        '',
      ].join('\n'),
    );
    config = loadConfig({ file, env: { ...stack.env }, useStackEnv: false, overrides: { 'reconciler.watchdog': false } });
    parking = pipelineConfig(config, 'parking');
    population = pipelineConfig(config, 'population');
    await migrate(config);
    // The last batch of each (5 of 5): everything else committed or in doubt, so a reconcile alone completes the table.
    crashLoad('parking', 5);
    crashLoad('population', 5);
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  test('each crashed load left batches in doubt in its own WAL folder, and rows missing from its own table', async () => {
    expect(parking.wal.dir).not.toBe(population.wal.dir);
    expect(readWalState(parking.wal.dir).inDoubt.size).toBeGreaterThan(0);
    expect(readWalState(population.wal.dir).inDoubt.size).toBeGreaterThan(0);
    expect((await verify(parking)).lost).toBeGreaterThan(0);
    expect((await verify(population)).lost).toBeGreaterThan(0);
  });

  test('reconciling one pipeline repairs it and leaves the other exactly as it was', async () => {
    const before = await snapshot('population', 'world_population');
    const missing = (await verify(parking)).lost;
    const r = await reconcile(config, { pipeline: 'parking', trigger: 'cli', runId: '00000000-0000-4000-8000-00000000aaaa' });
    expect({ pipeline: r.pipeline, outcome: r.outcome, verification: r.verification, runId: r.runId, pipelines: r.pipelines }).toEqual({ pipeline: 'parking', outcome: 'success', verification: 'ok', runId: '00000000-0000-4000-8000-00000000aaaa', pipelines: undefined });
    expect(r.rowsInserted).toBe(missing);
    expect(rowsMatch(await verify(parking))).toBe(true);
    expect(readWalState(parking.wal.dir).inDoubt.size).toBe(0);
    // The repaired batches' ledger rows are parking's; population is untouched, still in doubt.
    expect((await ledgerOf('parking')).find((l) => l.committed_by === 'reconciler')?.n).toBe(r.batchesRepaired);
    expect(await snapshot('population', 'world_population')).toEqual(before);
    expect(readWalState(population.wal.dir).inDoubt.size).toBeGreaterThan(0);
    expect(await ledgerOf('default')).toEqual([]);
  });

  test('an unknown pipeline is refused, naming the pipelines', async () => {
    await expect(reconcile(config, { pipeline: 'trips', trigger: 'cli' })).rejects.toThrow('no pipeline "trips" (pipelines: parking, population)');
  });

  test('a job over every pipeline repairs the others when one fails, and says which failed and why', async () => {
    const missing = (await verify(population)).lost;
    // A loader process holding parking's loader lock: parking's run must refuse to write.
    const release = acquireLoaderLock(parking.wal.dir);
    let r: ReconcileReport;
    try {
      r = await reconcile(config, { trigger: 'api', runId: '00000000-0000-4000-8000-00000000bbbb' });
    } finally {
      release();
    }
    expect({ pipeline: r.pipeline, outcome: r.outcome, runId: r.runId }).toEqual({ pipeline: null, outcome: 'failed', runId: '00000000-0000-4000-8000-00000000bbbb' });
    const [p, q] = r.pipelines!;
    expect({ pipeline: p.pipeline, outcome: p.outcome, error: p.error }).toEqual({ pipeline: 'parking', outcome: 'failed', error: expect.stringMatching(/a loader process holds the WAL's loader lock/) });
    expect({ pipeline: q.pipeline, outcome: q.outcome, verification: q.verification, rowsInserted: q.rowsInserted }).toEqual({ pipeline: 'population', outcome: 'success', verification: 'ok', rowsInserted: missing });
    expect(r.error).toMatch(/^pipeline parking: a loader process holds/);
    expect(r.rowsInserted).toBe(q.rowsInserted);
    expect(rowsMatch(await verify(population))).toBe(true);
    expect(readWalState(population.wal.dir).inDoubt.size).toBe(0);

    // Each pipeline's run has its own run id; population's row carries its pipeline. Parking's
    // run failed at the loader lock, before it recorded itself (as a single run always did):
    // the report says why.
    const c = await connect(config);
    try {
      const [runs] = await c.query<RowDataPacket[]>('SELECT run_id, pipeline, outcome FROM reconcile_runs WHERE run_id IN (?) ORDER BY pipeline', [[p.runId, q.runId, r.runId]]);
      expect(runs.map((x) => [x.run_id, x.pipeline, x.outcome])).toEqual([[q.runId, 'population', 'success']]);
      expect(new Set([p.runId, q.runId, r.runId]).size).toBe(3);
    } finally {
      await c.end();
    }
  });

  describe('the service', () => {
    let svc: Awaited<ReturnType<typeof startReconcilerService>>;
    let auth: Record<string, string>;
    beforeAll(async () => {
      svc = await startReconcilerService(config);
      auth = { authorization: `Bearer ${config.token}` };
    });
    afterAll(async () => {
      await svc?.close();
    });
    const get = async <T>(path: string) => {
      const r = await fetch(`${svc.url}${path}`, { headers: auth });
      return { status: r.status, body: (await r.json()) as T };
    };
    const post = async <T>(body: unknown) => {
      const r = await fetch(`${svc.url}/reconcile`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as T };
    };
    async function untilDone(id: string): Promise<ReconcileJob> {
      for (;;) {
        const job = (await get<ReconcileJob>(`/reconcile/${id}`)).body;
        if (job.state !== 'queued' && job.state !== 'running') return job;
        await sleep(100);
      }
    }

    test('POST /reconcile: an unknown pipeline is a 404 naming the pipelines; a bad type a 400', async () => {
      const unknown = await post<ApiError>({ pipeline: 'trips' });
      expect(unknown).toEqual({ status: 404, body: expect.objectContaining({ error: 'no pipeline "trips" (pipelines: parking, population)' }) });
      const bad = await post<ApiError>({ pipeline: 7 });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatch(/"pipeline" must be/);
    });

    test('a job for one pipeline carries it, and so does its run', async () => {
      const started = await post<ReconcileJob>({ pipeline: 'parking' });
      expect(started.status).toBe(202);
      expect(started.body.pipeline).toBe('parking');
      const job = await untilDone(started.body.id);
      // parking was repaired above; its failed run (the held lock) is now superseded.
      expect({ state: job.state, pipeline: job.result?.pipeline, outcome: job.result?.outcome }).toEqual({ state: 'succeeded', pipeline: 'parking', outcome: 'nothing_to_do' });
      const run = await get<ReconcileRun>(`/runs/${job.id}`);
      expect({ status: run.status, pipeline: run.body.pipeline }).toEqual({ status: 200, pipeline: 'parking' });
    });

    test('a job over every pipeline: pipeline null, each pipeline reported; /runs filters by pipeline; /status shows each', async () => {
      const started = await post<ReconcileJob>({});
      expect(started.body.pipeline).toBeNull();
      const job = await untilDone(started.body.id);
      const result = job.result as ReconcileReport;
      expect({ state: job.state, pipeline: result.pipeline, outcome: result.outcome, each: result.pipelines?.map((x) => [x.pipeline, x.outcome]) }).toEqual({
        state: 'succeeded',
        pipeline: null,
        outcome: 'nothing_to_do',
        each: [
          ['parking', 'nothing_to_do'],
          ['population', 'nothing_to_do'],
        ],
      });

      const all = (await get<{ runs: ReconcileRun[] }>('/runs?limit=100')).body.runs;
      const onlyPopulation = await get<{ runs: ReconcileRun[] }>('/runs?pipeline=population&limit=100');
      expect(onlyPopulation.status).toBe(200);
      expect(onlyPopulation.body.runs.length).toBeGreaterThan(0);
      expect(onlyPopulation.body.runs.every((x) => x.pipeline === 'population')).toBe(true);
      expect(onlyPopulation.body.runs).toEqual(all.filter((x) => x.pipeline === 'population'));
      expect((await get<ApiError>('/runs?pipeline=Not%20A%20Name')).status).toBe(400);

      const status = (await get<ReconcilerStatus>('/status')).body;
      expect(status.pipelines?.map((x) => [x.name, x.dataset, x.table, x.wal.batchesInDoubt, x.last?.pipeline, x.last?.runId])).toEqual([
        ['parking', 'nyc-parking-violations', 'violations', 0, 'parking', result.pipelines![0].runId],
        ['population', 'world-population', 'world_population', 0, 'population', result.pipelines![1].runId],
      ]);
      expect(status.wal.bytes).toBe(status.pipelines!.reduce((n, x) => n + x.wal.bytes, 0));
      expect(status.reconcile.lastFailure).toBeNull();
    });
  });
});
