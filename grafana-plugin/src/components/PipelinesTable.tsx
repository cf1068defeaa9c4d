import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { config } from '@grafana/runtime';
import { Badge, Button, useStyles2 } from '@grafana/ui';

import { PLUGIN_BASE_URL, ROUTES } from '../constants';
import { formatCount, OUTCOME_LABELS, sentenceCase, TRIGGER_LABELS } from '../utils/format';
import { type PipelineRow, readProgress } from '../utils/pipelines';
import { RelativeTime } from './RelativeTime';

interface Props {
  rows: PipelineRow[];
  /** Each row's Reconcile & restart; without it (a user lacking reconcile:write) the table has no buttons. */
  onReconcile?: (pipeline: string) => void;
  /** Set while no run may start; the buttons show it as their tooltip. */
  disabledReason?: string;
  disabled?: boolean;
}

function LastReconcile({ last }: { last: PipelineRow['last'] }) {
  const s = useStyles2(getStyles);
  if (last === undefined) {
    return <>–</>;
  }
  if (last === null) {
    return <span className={s.muted}>never</span>;
  }
  const outcome = OUTCOME_LABELS[last.outcome];
  return (
    <span className={s.last}>
      <Badge text={outcome.text} color={outcome.color} /> <RelativeTime iso={last.finishedAt ?? last.startedAt} />
      <span className={s.muted}>
        {' '}
        · {TRIGGER_LABELS[last.trigger] ?? last.trigger}
        {last.requestedBy ? ` by ${last.requestedBy}` : ''}
      </span>
    </span>
  );
}

/** Every pipeline: what it loads where, how far it got, what is in doubt, its last reconcile, and its own Reconcile & restart. */
export function PipelinesTable({ rows, onReconcile, disabledReason, disabled }: Props) {
  const s = useStyles2(getStyles);
  const history = `${config.appSubUrl ?? ''}${PLUGIN_BASE_URL}/${ROUTES.History}`;
  return (
    <table className={s.table} data-testid="pipelines-table">
      <thead>
        <tr>
          <th>Pipeline</th>
          <th>Dataset → table</th>
          <th>State</th>
          <th className={s.num}>Rows loaded</th>
          <th className={s.num}>Rejected</th>
          <th className={s.num}>Duplicate</th>
          <th className={s.num}>Progress</th>
          <th className={s.num}>In doubt</th>
          <th>Last reconcile</th>
          {onReconcile && <th aria-label="Actions" />}
        </tr>
      </thead>
      <tbody>
        {rows.map((p) => {
          const l = p.loader;
          return (
            <tr key={p.name} data-testid="pipeline-row" data-pipeline={p.name}>
              <td>
                <strong>{p.name}</strong>
              </td>
              <td>{p.dataset || p.table ? `${p.dataset ?? '–'} → ${p.table ?? '–'}` : '–'}</td>
              <td>{l ? sentenceCase(l.state) : '–'}</td>
              <td className={s.num}>{formatCount(l?.rowsLoaded)}</td>
              <td className={s.num}>{formatCount(l?.rowsRejected)}</td>
              <td className={s.num}>{formatCount(l?.rowsDuplicate)}</td>
              <td className={s.num}>{readProgress(l) ?? '–'}</td>
              <td className={s.num}>
                {p.batchesInDoubt === undefined ? '–' : p.batchesInDoubt > 0 ? <Badge text={formatCount(p.batchesInDoubt)} color="orange" /> : '0'}
              </td>
              <td>
                <LastReconcile last={p.last} />
                {p.last && (
                  <>
                    {' '}
                    <a href={`${history}?pipeline=${encodeURIComponent(p.name)}`} className={s.link} aria-label={`History of ${p.name}`}>
                      history
                    </a>
                  </>
                )}
              </td>
              {onReconcile && (
                <td className={s.action}>
                  <Button
                    icon="sync"
                    size="sm"
                    variant="secondary"
                    disabled={disabled}
                    tooltip={disabledReason}
                    aria-label={`Reconcile & restart ${p.name}`}
                    onClick={() => onReconcile(p.name)}
                  >
                    Reconcile &amp; restart
                  </Button>
                </td>
              )}
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
    'th, td': { padding: theme.spacing(1), borderBottom: `1px solid ${theme.colors.border.weak}`, textAlign: 'left', verticalAlign: 'middle' },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
  }),
  num: css({ textAlign: 'right !important' as 'right', fontVariantNumeric: 'tabular-nums' }),
  muted: css({ color: theme.colors.text.secondary }),
  last: css({ whiteSpace: 'nowrap' }),
  link: css({ color: theme.colors.text.link }),
  action: css({ textAlign: 'right', whiteSpace: 'nowrap' }),
});
