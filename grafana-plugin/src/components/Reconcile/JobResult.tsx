import React from 'react';
import { Alert } from '@grafana/ui';

import type { ReconcileJob } from '../../api/types';
import { formatCount, formatDuration, plural } from '../../utils/format';
import { CodeText } from '../CodeText';
import { BatchTable } from './BatchTable';

/** The outcome of a finished (non-dry) run. */
export function JobResult({ job }: { job: ReconcileJob }) {
  const r = job.result;
  if (job.state === 'failed' || !r || r.outcome === 'failed') {
    return (
      <div data-testid="job-result">
        <Alert title="The reconcile failed" severity="error">
          {job.error ?? 'The run did not finish.'}
          {r && ` It had inserted ${formatCount(r.rowsInserted)} rows; every step is idempotent, so running it again is safe.`}
          {!r && ' Every step is idempotent: press Reconcile & restart again once the cause is fixed.'}
        </Alert>
      </div>
    );
  }
  const verified = r.verification === 'ok' ? 'counts and checksums verified' : r.verification === 'skipped' ? 'verification skipped' : 'verification FAILED';
  const restarted = r.loaderRestarted ? 'the loader restarted' : 'the loader was not restarted (start it with `pipewarden loader serve` if it is not running)';
  const inserted = r.outcome === 'nothing_to_do' ? 'Nothing was missing' : `Inserted ${formatCount(r.rowsInserted)} rows`;
  // Green only when everything is back: rows verified and the loader loading again.
  const complete = r.verification !== 'failed' && r.loaderRestarted;
  return (
    <div data-testid="job-result">
      <Alert title={r.loaderRestarted ? inserted : `${inserted}; the loader was not restarted`} severity={complete ? 'success' : 'warning'}>
        <span data-testid="job-result-summary">
          <CodeText
            text={`${formatCount(r.rowsInserted)} rows inserted into MySQL in ${plural(r.batchesRepaired, 'batch', 'batches')} (${plural(r.batchesExamined, 'batch', 'batches')} examined); ${verified}; ${restarted}. Took ${formatDuration(r.durationSeconds)}.`}
          />
        </span>
      </Alert>
      <BatchTable batches={r.batches.filter((b) => b.rowsInserted > 0)} columns={['rowsInserted']} total={r.batchesRepaired} />
    </div>
  );
}
