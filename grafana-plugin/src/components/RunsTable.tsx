import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Badge, useStyles2 } from '@grafana/ui';

import type { ReconcileRun } from '../api/types';
import { formatCount, formatDuration, OUTCOME_LABELS, TRIGGER_LABELS } from '../utils/format';
import { RelativeTime } from './RelativeTime';

/**
 * A run as GET /runs returns it, with who pressed the button once the reconciler records it
 * (Grafana's X-Grafana-User on the proxied POST; see grafana-plugin/src/README.md).
 */
export type RunRow = ReconcileRun & { requestedBy?: string | null };

/** The run's duration: as recorded, or from its start and end. */
export function runDuration(r: ReconcileRun): number | null {
  if (r.durationSeconds !== null) {
    return r.durationSeconds;
  }
  return r.finishedAt ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000 : null;
}

/** Past reconcile runs, one row each, newest first as the reconciler returns them. */
export function RunsTable({ runs }: { runs: RunRow[] }) {
  const s = useStyles2(getStyles);
  return (
    <table className={s.table} data-testid="runs-table">
      <thead>
        <tr>
          <th>Started</th>
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
            <tr key={r.runId} data-testid="run-row">
              <td>
                <RelativeTime iso={r.startedAt} />
              </td>
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
  num: css({ textAlign: 'right !important' as 'right', fontVariantNumeric: 'tabular-nums' }),
  by: css({ color: theme.colors.text.secondary }),
  details: css({ color: theme.colors.text.secondary, maxWidth: 360 }),
});
