// The job manager's bookkeeping, with the reconcile procedure replaced by a controllable
// stand-in (the procedure itself is tested against real services in test/reconcile*.itest.ts);
// jest hoists jest.mock above the imports.
import type { Counter, Gauge } from 'prom-client';
import { createLogger, type Config, type ReconcileReport } from '@pipewarden/core';
import { JobManager } from '../src/jobs';
import { ReconcilerMetrics } from '../src/metrics';

const pending: { resolve: (r: ReconcileReport) => void; reject: (e: Error) => void; signal?: AbortSignal; dryRun?: boolean; pipeline?: string | null }[] = [];
jest.mock('../src/reconcile', () => {
  const actual = jest.requireActual('../src/reconcile');
  return {
    ...actual,
    reconcile: (_config: Config, opts: { signal?: AbortSignal; dryRun?: boolean; pipeline?: string | null }) =>
      new Promise<ReconcileReport>((resolve, reject) => pending.push({ resolve, reject, signal: opts.signal, dryRun: opts.dryRun, pipeline: opts.pipeline })),
  };
});

const report = (dryRun: boolean): ReconcileReport => ({
  runId: 'r',
  pipeline: 'default',
  dryRun,
  trigger: 'api',
  batchesExamined: 0,
  batchesRepaired: 0,
  rowsMissing: 0,
  rowsInserted: 0,
  verification: dryRun ? 'skipped' : 'ok',
  outcome: dryRun ? 'dry_run' : 'nothing_to_do',
  durationSeconds: 0,
  loaderRestarted: !dryRun,
  batches: [],
});

test('a dry run asked to stop after its last cancellation point succeeds without an error; the real run then runs', async () => {
  const jobs = new JobManager({} as Config, new ReconcilerMetrics(), createLogger('test', () => undefined));
  const dry = jobs.start(true, 'api');
  await new Promise((r) => setImmediate(r));
  const real = jobs.start(false, 'watchdog'); // pre-empts the dry run
  expect(pending[0].signal?.aborted).toBe(true);
  pending[0].resolve(report(true)); // it had nothing left to check: it finishes normally
  await new Promise((r) => setImmediate(r));
  expect(jobs.get(dry.id)).toMatchObject({ state: 'succeeded' });
  expect(jobs.get(dry.id)?.error).toBeUndefined();
  expect(pending).toHaveLength(2);
  expect(pending[1].dryRun).toBe(false);
  pending[1].resolve(report(false));
  await new Promise((r) => setImmediate(r));
  expect(jobs.get(real.id)).toMatchObject({ state: 'succeeded' });
});

const settle = () => new Promise((r) => setImmediate(r));

/** pipeline → value of a metric labelled only by pipeline. */
async function byPipeline(metric: Gauge | Counter): Promise<Record<string, number>> {
  return Object.fromEntries((await metric.get()).values.map((v) => [String(v.labels.pipeline), v.value]));
}
const lastFailedByPipeline = (m: ReconcilerMetrics) => byPipeline(m.reconcileLastFailed);
const rowsByPipeline = (m: ReconcilerMetrics) => byPipeline(m.rowsInserted);
/** "pipeline trigger outcome" → runs counted. */
async function runsByLabels(m: ReconcilerMetrics): Promise<Record<string, number>> {
  return Object.fromEntries((await m.runs.get()).values.map((v) => [`${v.labels.pipeline} ${v.labels.trigger} ${v.labels.outcome}`, v.value]));
}

test('failures are kept per pipeline: a success of one pipeline does not clear another\'s (its loader is still paused)', async () => {
  pending.length = 0;
  const metrics = new ReconcilerMetrics();
  const config = { pipelines: [{ name: 'a' }, { name: 'b' }] } as unknown as Config;
  const jobs = new JobManager(config, metrics, createLogger('test', () => undefined));
  const failedGauge = async () => lastFailedByPipeline(metrics);
  expect(await failedGauge()).toEqual({ a: 0, b: 0 }); // every pipeline's series from start-up

  // Every pipeline: b fails (its run threw), a repairs.
  const all = jobs.start(false, 'watchdog');
  expect(all.pipeline).toBeNull();
  expect(pending[0].pipeline).toBeNull();
  const a = { ...report(false), runId: 'ra', pipeline: 'a', outcome: 'success' as const };
  const b = { ...report(false), runId: 'rb', pipeline: 'b', outcome: 'failed' as const, verification: 'skipped' as const, error: 'MySQL did not answer within 600 s' };
  pending[0].resolve({ ...report(false), runId: all.id, pipeline: null, pipelines: [a, b], outcome: 'failed', error: 'pipeline b: MySQL did not answer within 600 s' } as ReconcileReport);
  await settle();
  expect(jobs.get(all.id)).toMatchObject({ state: 'failed', error: 'pipeline b: MySQL did not answer within 600 s' });
  expect(jobs.standingFailures.map((f) => [f.pipeline, f.runId, f.error])).toEqual([['b', 'rb', 'MySQL did not answer within 600 s']]);
  expect(await failedGauge()).toEqual({ a: 0, b: 1 });

  // Pipeline a alone succeeds: b's failure stands.
  const onlyA = jobs.start(false, 'api', undefined, 'a');
  expect(pending[1].pipeline).toBe('a');
  pending[1].resolve({ ...report(false), runId: onlyA.id, pipeline: 'a' });
  await settle();
  expect(jobs.lastFailure).toMatchObject({ pipeline: 'b', runId: 'rb' });
  expect(await failedGauge()).toEqual({ a: 0, b: 1 });

  // Pipeline b alone throws again, then succeeds: nothing stands.
  const b1 = jobs.start(false, 'api', undefined, 'b');
  pending[2].reject(new Error('a loader process holds the lock'));
  await settle();
  expect(jobs.lastFailure).toMatchObject({ pipeline: 'b', runId: b1.id, error: 'a loader process holds the lock' });
  const b2 = jobs.start(false, 'api', undefined, 'b');
  pending[3].resolve({ ...report(false), runId: b2.id, pipeline: 'b' });
  await settle();
  expect(jobs.lastFailure).toBeNull();
  expect(await failedGauge()).toEqual({ a: 0, b: 0 });
});

test('a job over every pipeline that throws as a whole is a failure of each pipeline, standing until a run of that pipeline succeeds', async () => {
  pending.length = 0;
  const config = { pipelines: [{ name: 'a' }, { name: 'b' }] } as unknown as Config;
  const metrics = new ReconcilerMetrics();
  const jobs = new JobManager(config, metrics, createLogger('test', () => undefined));
  const all = jobs.start(false, 'watchdog');
  pending[0].reject(new Error('pipelines "a" and "b" both load table violations'));
  await settle();
  expect(jobs.standingFailures.map((f) => [f.pipeline, f.runId, f.error])).toEqual([
    ['a', all.id, 'pipelines "a" and "b" both load table violations'],
    ['b', all.id, 'pipelines "a" and "b" both load table violations'],
  ]);
  // It held every pipeline's loader back: each pipeline's series says so, and counts a failed run.
  expect(await lastFailedByPipeline(metrics)).toEqual({ a: 1, b: 1 });
  expect(await runsByLabels(metrics)).toEqual({ 'a watchdog failed': 1, 'b watchdog failed': 1 });
  jobs.start(false, 'api', undefined, 'a');
  pending[1].resolve({ ...report(false), pipeline: 'a' });
  await settle();
  expect(jobs.standingFailures.map((f) => f.pipeline)).toEqual(['b']);
  expect(await lastFailedByPipeline(metrics)).toEqual({ a: 0, b: 1 });
  jobs.start(false, 'api');
  pending[2].resolve({ ...report(false), pipeline: null, pipelines: [{ ...report(false), pipeline: 'a' }, { ...report(false), pipeline: 'b' }] });
  await settle();
  expect(jobs.lastFailure).toBeNull();
  expect(await lastFailedByPipeline(metrics)).toEqual({ a: 0, b: 0 });
});

test("runs and rows inserted are counted under each pipeline's own report, a named pipeline's throw under that pipeline only", async () => {
  pending.length = 0;
  const config = { pipelines: [{ name: 'a' }, { name: 'b' }] } as unknown as Config;
  const metrics = new ReconcilerMetrics();
  const jobs = new JobManager(config, metrics, createLogger('test', () => undefined));
  expect(await rowsByPipeline(metrics)).toEqual({ a: 0, b: 0 }); // from start-up, so a first increase shows

  const all = jobs.start(false, 'alert');
  const a = { ...report(false), runId: 'ra', pipeline: 'a', outcome: 'success' as const, rowsInserted: 700 };
  const b = { ...report(false), runId: 'rb', pipeline: 'b', outcome: 'success' as const, rowsInserted: 42 };
  pending[0].resolve({ ...report(false), runId: all.id, pipeline: null, pipelines: [a, b], outcome: 'success', rowsInserted: 742 });
  await settle();
  expect(await rowsByPipeline(metrics)).toEqual({ a: 700, b: 42 });
  expect(await runsByLabels(metrics)).toEqual({ 'a alert success': 1, 'b alert success': 1 });

  jobs.start(false, 'button', undefined, 'b');
  pending[1].reject(new Error('a loader process holds the lock'));
  await settle();
  expect(await runsByLabels(metrics)).toEqual({ 'a alert success': 1, 'b alert success': 1, 'b button failed': 1 });
  expect(await lastFailedByPipeline(metrics)).toEqual({ a: 0, b: 1 });
});

test('a deployment without pipelines publishes its series under pipeline "default"', async () => {
  pending.length = 0;
  const metrics = new ReconcilerMetrics();
  const jobs = new JobManager({} as Config, metrics, createLogger('test', () => undefined));
  expect(await lastFailedByPipeline(metrics)).toEqual({ default: 0 });
  jobs.start(false, 'api'); // every pipeline = the only one
  pending[0].reject(new Error('MySQL did not answer within 600 s'));
  await settle();
  expect(await lastFailedByPipeline(metrics)).toEqual({ default: 1 });
  expect(await runsByLabels(metrics)).toEqual({ 'default api failed': 1 });
  const exposition = await metrics.registry.metrics();
  expect(exposition).toMatch(/^pipewarden_reconcile_last_failed\{pipeline="default"\} 1$/m);
  expect(exposition).not.toMatch(/^pipewarden_reconcile_last_failed \d/m); // no unlabelled series
});

test("a request for a pipeline the running job does not cover is queued, not answered with the running job (an alert for it would be dropped as seen)", async () => {
  pending.length = 0;
  const config = { pipelines: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } as unknown as Config;
  const jobs = new JobManager(config, new ReconcilerMetrics(), createLogger('test', () => undefined));
  const a = jobs.start(false, 'alert', undefined, 'a');
  expect(jobs.start(false, 'alert', undefined, 'a')).toMatchObject({ id: a.id, alreadyRunning: true }); // covered
  const b = jobs.start(false, 'alert', undefined, 'b');
  expect(b.id).not.toBe(a.id);
  expect(b.alreadyRunning).toBeUndefined();
  expect(jobs.pending).toMatchObject({ id: b.id, pipeline: 'b', dryRun: false });
  expect(pending).toHaveLength(1); // b waits for a: one run at a time
  expect(jobs.start(false, 'alert', undefined, 'b')).toMatchObject({ id: b.id, alreadyRunning: true });
  // A third pipeline asks: the queued job widens to every pipeline.
  expect(jobs.start(false, 'watchdog', undefined, 'c')).toMatchObject({ id: b.id, pipeline: null, alreadyRunning: true });
  pending[0].resolve({ ...report(false), runId: a.id, pipeline: 'a' });
  await settle();
  await settle();
  expect(pending).toHaveLength(2);
  expect(pending[1]).toMatchObject({ pipeline: null, dryRun: false });
  expect(jobs.current).toMatchObject({ id: b.id, pipeline: null });
  expect(jobs.pending).toBeNull();
  // A job over every pipeline covers any one.
  expect(jobs.start(false, 'alert', undefined, 'a')).toMatchObject({ id: b.id, alreadyRunning: true });
  pending[1].resolve({ ...report(false), runId: b.id, pipeline: null, pipelines: [{ ...report(false), pipeline: 'a' }, { ...report(false), pipeline: 'b' }, { ...report(false), pipeline: 'c' }] });
  await settle();
  expect(jobs.get(b.id)).toMatchObject({ state: 'succeeded' });
});
