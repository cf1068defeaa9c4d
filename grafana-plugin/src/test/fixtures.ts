import type { ReconcileJob, ReconcileReport, ReconcileRun, ReconcileRunDetail, ReconcilerStatus } from '../api/types';

export function statusFixture(over: Partial<ReconcilerStatus> = {}): ReconcilerStatus {
  return {
    mysql: { up: true },
    redis: { up: true, mirrorBatches: 12, mirrorBytes: 3 * 1024 * 1024 },
    loader: { reachable: true, state: 'running', url: 'http://127.0.0.1:9842' },
    wal: { bytes: 20480, segments: 1, batchesInDoubt: 3, tornTail: false },
    reconcile: { running: null, last: null },
    watchdog: { enabled: true, lastDecision: 'mysql up, nothing in doubt', lastDecisionAt: new Date().toISOString() },
    ...over,
  };
}

export function reportFixture(over: Partial<ReconcileReport> = {}): ReconcileReport {
  return {
    runId: 'run-1',
    pipeline: 'default',
    dryRun: false,
    trigger: 'button',
    batchesExamined: 3,
    batchesRepaired: 2,
    rowsMissing: 1500,
    rowsInserted: 1500,
    verification: 'ok',
    outcome: 'success',
    durationSeconds: 2.4,
    loaderRestarted: true,
    batches: [
      { batchId: 'b-0001', sourceKey: 's3://nyc/fy2014.csv', firstRecord: 1, records: 1000, source: 'mirror', rowsMissing: 1000, rowsInserted: 1000 },
      { batchId: 'b-0002', sourceKey: 's3://nyc/fy2014.csv', firstRecord: 1001, records: 1000, source: 's3', rowsMissing: 500, rowsInserted: 500 },
      { batchId: 'b-0003', sourceKey: 's3://nyc/fy2014.csv', firstRecord: 2001, records: 1000, source: 'ledger', rowsMissing: 0, rowsInserted: 0 },
    ],
    ...over,
  };
}

export function jobFixture(over: Partial<ReconcileJob> = {}): ReconcileJob {
  return {
    id: 'job-1',
    pipeline: null,
    state: 'running',
    dryRun: false,
    trigger: 'button',
    createdAt: new Date().toISOString(),
    progress: { phase: 'repair', batchesTotal: 3, batchesDone: 1, rowsMissing: 1500, rowsInserted: 1000 },
    ...over,
  };
}

export function runFixture(over: Partial<ReconcileRun> = {}): ReconcileRun {
  return {
    runId: 'run-1',
    pipeline: 'default',
    trigger: 'watchdog',
    dryRun: false,
    startedAt: new Date(Date.now() - 120_000).toISOString(),
    finishedAt: new Date(Date.now() - 115_000).toISOString(),
    durationSeconds: 5.2,
    batchesExamined: 4,
    batchesRepaired: 2,
    rowsMissing: 2000,
    rowsInserted: 2000,
    outcome: 'success',
    verification: 'ok',
    error: null,
    requestedBy: null,
    ...over,
  };
}

export function runDetailFixture(over: Partial<ReconcileRunDetail> = {}): ReconcileRunDetail {
  return { ...runFixture({ trigger: 'button', requestedBy: 'alice', batchesRepaired: 2, batchesExamined: 3, rowsMissing: 1500, rowsInserted: 1500 }), batches: reportFixture().batches, ...over };
}
