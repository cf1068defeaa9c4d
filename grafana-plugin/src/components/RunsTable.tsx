import React from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Badge, useStyles2 } from '@grafana/ui';

import type { ReconcileRun } from '../api/types';
import { formatCount, formatDuration, OUTCOME_LABELS, runDuration, TRIGGER_LABELS } from '../utils/format';
import { RelativeTime } from './RelativeTime';

/**
 * Past reconcile runs, one row each, newest first as the reconciler returns them; a row opens its run.
 * The pipeline column shows when the reconciler records pipelines (an older one sends no `pipeline`).
 */
export function RunsTable({ runs }: { runs: ReconcileRun[] }) {
  const s = useStyles2(getStyles);
  const showPipeline = runs.some((r) => typeof r.pipeline === 'string');
  const navigate = useNavigate();
  return (
    <table className={s.table} data-testid="runs-table">
      <thead>
        <tr>
          <th>Started</th>
          {showPipeline && <th>Pipeline</th>}
          <th>Started by</th>
          <th>Outcome</th>
          <th className={s.num}>Duration</th>
          <th className={s.num}>Batches repaired</th>
          <th className={s.num}>Rows inserted</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => {
          const outcome = OUTCOME_LABELS[r.outcome];
          return (
            <tr
              key={r.runId}
              data-testid="run-row"
              className={s.row}
              // The run's page, relative to History's route wherever the app is mounted. A click on the
              // link navigates by itself; a second navigation would add a second history entry.
              onClick={(e) => !(e.target as HTMLElement).closest('a') && navigate(encodeURIComponent(r.runId))}
            >
              <td>
                {/* The keyboard's way in; the click handler on the row is the pointer's. */}
                <Link to={encodeURIComponent(r.runId)}>
                  <RelativeTime iso={r.startedAt} />
                </Link>
              </td>
              {showPipeline && <td data-testid="run-pipeline">{r.pipeline ?? '–'}</td>}
              <td>
                {TRIGGER_LABELS[r.trigger] ?? r.trigger}
                {r.requestedBy && <span className={s.by}> by {r.requestedBy}</span>}
              </td>
              <td>
                <Badge text={r.dryRun && r.outcome !== 'dry_run' ? `${outcome.text} (dry run)` : outcome.text} color={outcome.color} />
              </td>
              <td className={s.num}>{r.outcome === 'running' ? 'running' : formatDuration(runDuration(r))}</td>
              <td className={s.num}>
                {formatCount(r.batchesRepaired)} / {formatCount(r.batchesExamined)}
              </td>
              <td className={s.num}>{formatCount(r.rowsInserted)}</td>
              <td className={s.details}>{r.error ? `Error: ${r.error}` : r.verification ? `verification ${r.verification}` : ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': { padding: theme.spacing(1), borderBottom: `1px solid ${theme.colors.border.weak}`, textAlign: 'left' },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
  }),
  row: css({ cursor: 'pointer', '&:hover': { background: theme.colors.action.hover } }),
  num: css({ textAlign: 'right !important' as 'right', fontVariantNumeric: 'tabular-nums' }),
  by: css({ color: theme.colors.text.secondary }),
  details: css({ color: theme.colors.text.secondary, maxWidth: 360 }),
});
