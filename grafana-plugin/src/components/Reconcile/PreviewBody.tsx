import React from 'react';
import { Alert, LoadingPlaceholder } from '@grafana/ui';

import type { ApiProblem } from '../../api/problem';
import type { ReconcileJob } from '../../api/types';
import { ProblemAlert } from '../ProblemAlert';
import { formatCount, PHASE_LABELS, plural } from '../../utils/format';
import { BatchTable } from './BatchTable';

interface Props {
  job: ReconcileJob | undefined;
  error: ApiProblem | null;
}

/** A dry run still going that is stuck waiting for MySQL to answer. */
export function waitsForMysql(job: ReconcileJob | undefined): boolean {
  return Boolean(job && (job.state === 'queued' || job.state === 'running') && job.progress.phase === 'wait_mysql');
}

/** The confirmation's body: what a dry run found, i.e. what confirming will insert. */
export function PreviewBody({ job, error }: Props) {
  if (error) {
    return (
      <div data-testid="preview">
        <ProblemAlert error={error} context="The dry run could not start" />
      </div>
    );
  }
  if (job?.state === 'cancelled') {
    return (
      <div data-testid="preview">
        <Alert title="The dry run was cancelled" severity="info">
          {job.error ?? 'cancelled'}. It wrote nothing; confirming starts the real run (or follows the one already going).
        </Alert>
      </div>
    );
  }
  if (job && waitsForMysql(job)) {
    return (
      <div data-testid="preview">
        <Alert title="The dry run waits for MySQL" severity="warning" data-testid="preview-waits-mysql">
          MySQL does not answer, so the difference cannot be computed until it is back (the dry run waits for it, nothing is written). You can reconcile now: the
          real run waits for MySQL too, then inserts exactly the missing rows and restarts the loader.
        </Alert>
      </div>
    );
  }
  if (!job || (job.state !== 'succeeded' && job.state !== 'failed')) {
    const phase = job ? PHASE_LABELS[job.progress.phase].toLowerCase() : 'starting';
    return (
      <div data-testid="preview">
        <LoadingPlaceholder text={`Computing the difference with a dry run (${phase})… nothing is written.`} />
      </div>
    );
  }
  if (job.state === 'failed' || !job.result) {
    return (
      <div data-testid="preview">
        <Alert title="The dry run failed" severity="warning">
          {job.error ?? 'no report'}. A real run waits for MySQL and retries each batch, so you can still reconcile; the result will say what happened.
        </Alert>
      </div>
    );
  }
  const r = job.result;
  return (
    <div data-testid="preview">
      {r.rowsMissing === 0 ? (
        <p data-testid="preview-summary">
          Nothing is missing: MySQL already holds every row of the {plural(r.batchesExamined, 'batch', 'batches')} examined. Confirming only restarts the loader.
        </p>
      ) : (
        <p data-testid="preview-summary">
          <strong>{formatCount(r.rowsMissing)} rows</strong> in <strong>{plural(r.batchesRepaired || r.batches.filter((b) => b.rowsMissing > 0).length, 'batch', 'batches')}</strong> would
          be inserted into MySQL ({plural(r.batchesExamined, 'batch', 'batches')} examined). Then the loader restarts from its checkpoint.
        </p>
      )}
      <BatchTable batches={r.batches.filter((b) => b.rowsMissing > 0)} columns={['rowsMissing']} total={r.batchesRepaired} />
    </div>
  );
}
