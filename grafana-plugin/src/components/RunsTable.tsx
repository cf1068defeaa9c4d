import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Badge, useStyles2 } from '@grafana/ui';

import type { ReconcileRun } from '../api/types';
import { formatCount, formatDuration, OUTCOME_LABELS, timeAgo, TRIGGER_LABELS } from '../utils/format';

/** Past reconcile runs, one row each, newest first as the reconciler returns them. */
export function RunsTable({ runs }: { runs: ReconcileRun[] }) {
  const s = useStyles2(getStyles);
  return (
    <table className={s.table} data-testid="runs-table">
      <thead>
        <tr>
          <th>Started</th>
          <th>Trigger</th>
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
              <td title={r.startedAt}>{timeAgo(r.startedAt)}</td>
              <td>{TRIGGER_LABELS[r.trigger] ?? r.trigger}</td>
              <td>
                <Badge text={r.dryRun && r.outcome !== 'dry_run' ? `${outcome.text} (dry run)` : outcome.text} color={outcome.color} />
              </td>
              <td className={s.num}>{formatDuration(r.durationSeconds)}</td>
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
  details: css({ color: theme.colors.text.secondary, maxWidth: 360 }),
});
