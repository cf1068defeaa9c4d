import type { ReconcileReport } from '@pipewarden/core';
import { aggregateReport, jobPipeline, worstOutcome } from '../src/plan';

function report(pipeline: string, patch: Partial<ReconcileReport> = {}): ReconcileReport {
  return { runId: `run-${pipeline}`, pipeline, dryRun: false, trigger: 'api', batchesExamined: 4, batchesRepaired: 1, rowsMissing: 10, rowsInserted: 10, verification: 'ok', outcome: 'success', durationSeconds: 1, loaderRestarted: true, batches: [], ...patch };
}

describe('worstOutcome', () => {
  test('a failure anywhere wins; repairs anywhere beat nothing to do', () => {
    expect(worstOutcome(['nothing_to_do', 'success', 'nothing_to_do'], false)).toBe('success');
    expect(worstOutcome(['success', 'failed', 'nothing_to_do'], false)).toBe('failed');
    expect(worstOutcome(['nothing_to_do', 'nothing_to_do'], false)).toBe('nothing_to_do');
    expect(worstOutcome(['dry_run', 'failed'], true)).toBe('failed');
    expect(worstOutcome(['dry_run', 'dry_run'], true)).toBe('dry_run');
  });
  test('no pipeline: nothing to do, or a dry run', () => {
    expect(worstOutcome([], false)).toBe('nothing_to_do');
    expect(worstOutcome([], true)).toBe('dry_run');
  });
});

describe('aggregateReport', () => {
  const head = { runId: 'job', dryRun: false, trigger: 'watchdog' as const, durationSeconds: 3 };
  test('sums the counts, keeps each report, pipeline null', () => {
    const a = report('a', { batches: [{ batchId: 'b1', sourceKey: 'k', firstRecord: 1, records: 5, source: 'mirror', rowsMissing: 5, rowsInserted: 5 }] });
    const b = report('b', { outcome: 'nothing_to_do', batchesExamined: 2, batchesRepaired: 0, rowsMissing: 0, rowsInserted: 0 });
    const r = aggregateReport(head, [a, b]);
    expect(r).toEqual<ReconcileReport>({
      runId: 'job',
      pipeline: null,
      pipelines: [a, b],
      dryRun: false,
      trigger: 'watchdog',
      batchesExamined: 6,
      batchesRepaired: 1,
      rowsMissing: 10,
      rowsInserted: 10,
      verification: 'ok',
      outcome: 'success',
      durationSeconds: 3,
      loaderRestarted: true,
      batches: a.batches,
    });
  });
  test('a failed pipeline: the job failed, says which and why; the loader was not restarted everywhere', () => {
    const r = aggregateReport(head, [report('a'), report('b', { outcome: 'failed', error: 'MySQL did not answer within 5 s', loaderRestarted: false, verification: 'skipped' }), report('c', { outcome: 'failed', verification: 'failed', loaderRestarted: false, loaderError: 'no answer' })]);
    expect({ outcome: r.outcome, verification: r.verification, restarted: r.loaderRestarted, error: r.error, loaderError: r.loaderError }).toEqual({
      outcome: 'failed',
      verification: 'failed',
      restarted: false,
      error: 'pipeline b: MySQL did not answer within 5 s; pipeline c: verification failed: see the reconciler log',
      loaderError: 'c: no answer',
    });
  });
  test('batch details stay within the cap', () => {
    const many = (p: string) => report(p, { batches: Array.from({ length: 80 }, (_, i) => ({ batchId: `${p}${i}`, sourceKey: 'k', firstRecord: i, records: 1, source: 's3' as const, rowsMissing: 1, rowsInserted: 1 })) });
    expect(aggregateReport(head, [many('a'), many('b')]).batches).toHaveLength(100);
  });
});

describe('jobPipeline', () => {
  const names = ['parking', 'animals'];
  test('exactly one known pipeline named: that one', () => {
    expect(jobPipeline(['animals'], names)).toBe('animals');
    expect(jobPipeline(['animals', 'animals'], names)).toBe('animals');
  });
  test('several, none, one unnamed or an unknown one: every pipeline', () => {
    expect(jobPipeline(['animals', 'parking'], names)).toBeNull();
    expect(jobPipeline([], names)).toBeNull();
    expect(jobPipeline([undefined], names)).toBeNull();
    expect(jobPipeline(['animals', undefined], names)).toBeNull();
    expect(jobPipeline(['cats'], names)).toBeNull();
  });
});
