// The job manager's bookkeeping, with the reconcile procedure replaced by a controllable
// stand-in (the procedure itself is tested against real services in test/reconcile*.itest.ts);
// jest hoists jest.mock above the imports.
import { createLogger, type Config, type ReconcileReport } from '@pipewarden/core';
import { JobManager } from '../src/jobs';
import { ReconcilerMetrics } from '../src/metrics';

const pending: { resolve: (r: ReconcileReport) => void; signal?: AbortSignal; dryRun?: boolean }[] = [];
jest.mock('../src/reconcile', () => {
  const actual = jest.requireActual('../src/reconcile');
  return {
    ...actual,
    reconcile: (_config: Config, opts: { signal?: AbortSignal; dryRun?: boolean }) =>
      new Promise<ReconcileReport>((resolve) => pending.push({ resolve, signal: opts.signal, dryRun: opts.dryRun })),
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
