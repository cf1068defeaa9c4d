import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Spinner, useStyles2 } from '@grafana/ui';

import type { ReconcileJob, ReconcilePhase } from '../../api/types';
import { formatCount, PHASE_LABELS, TRIGGER_LABELS } from '../../utils/format';

const PHASES: ReconcilePhase[] = ['lock', 'pause_loader', 'wait_mysql', 'find_batches', 'repair', 'verify', 'restart_loader', 'done'];

/** Live progress of a running job: its phase among all phases, batches and rows so far. */
export function JobProgress({ job }: { job: ReconcileJob }) {
  const s = useStyles2(getStyles);
  const p = job.progress;
  const pct = p.batchesTotal > 0 ? Math.round((100 * p.batchesDone) / p.batchesTotal) : 0;
  const current = PHASES.indexOf(p.phase);
  // Until the batches in doubt are found their number is unknown, not zero.
  const counted = p.batchesTotal > 0 || current > PHASES.indexOf('find_batches');
  return (
    <section aria-label="Reconcile progress" className={s.box} data-testid="job-progress">
      <h3 className={s.title}>
        <Spinner inline /> {job.dryRun ? 'Dry run' : 'Reconcile'} in progress · started by {TRIGGER_LABELS[job.trigger]}
      </h3>
      <ol className={s.phases} aria-label="Phases">
        {PHASES.map((ph, i) => (
          <li key={ph} className={i < current ? s.done : i === current ? s.current : s.todo} aria-current={i === current ? 'step' : undefined}>
            {PHASE_LABELS[ph]}
          </li>
        ))}
      </ol>
      <div className={s.bar} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="Batches repaired">
        <div className={s.fill} style={{ width: `${pct}%` }} />
      </div>
      <p data-testid="job-progress-counts">
        {!counted
          ? 'Counting the batches in doubt…'
          : p.batchesTotal === 0
            ? 'No batch in doubt: nothing to insert.'
            : `${formatCount(p.batchesDone)} of ${formatCount(p.batchesTotal)} batches · ${formatCount(p.rowsInserted)} of ${formatCount(p.rowsMissing)} missing rows inserted`}
      </p>
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  box: css({ border: `1px solid ${theme.colors.border.medium}`, borderRadius: theme.shape.radius.default, padding: theme.spacing(2) }),
  title: css({ fontSize: theme.typography.h5.fontSize }),
  phases: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.5), listStyle: 'none', padding: 0, margin: `${theme.spacing(1)} 0` }),
  done: css({ color: theme.colors.success.text, '&::before': { content: '"✓ "' } }),
  current: css({ color: theme.colors.warning.text, fontWeight: theme.typography.fontWeightBold, '&::before': { content: '"▸ "' } }),
  todo: css({ color: theme.colors.text.disabled }),
  bar: css({ height: 8, background: theme.colors.background.secondary, borderRadius: 4, overflow: 'hidden' }),
  fill: css({ height: '100%', background: theme.colors.primary.main, transition: 'width 0.5s' }),
});
