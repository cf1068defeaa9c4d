import React from 'react';
import { useParams } from 'react-router-dom';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { config, PluginPage } from '@grafana/runtime';
import { Alert, Badge, LinkButton, LoadingPlaceholder, useStyles2 } from '@grafana/ui';

import type { ReconcileRunDetail } from '../api/types';
import { ProblemAlert } from '../components/ProblemAlert';
import { BatchTable } from '../components/Reconcile/BatchTable';
import { RUN_BATCH_DETAILS_MAX } from '../../../core/src/api';
import { PLUGIN_BASE_URL, ROUTES } from '../constants';
import { useRunDetail } from '../data/useRunDetail';
import { pipelineDashboardAt } from '../utils/dashboardLink';
import { formatAbsolute, formatCount, formatDuration, OUTCOME_LABELS, runDuration, TRIGGER_LABELS } from '../utils/format';

function Summary({ run }: { run: ReconcileRunDetail }) {
  const s = useStyles2(getStyles);
  const outcome = OUTCOME_LABELS[run.outcome];
  const items: Array<[string, React.ReactNode]> = [
    ['Outcome', <Badge key="o" text={outcome.text} color={outcome.color} />],
    // An older reconciler records no pipeline: the item is left out rather than guessed.
    ...(typeof run.pipeline === 'string' ? ([['Pipeline', run.pipeline]] as Array<[string, React.ReactNode]>) : []),
    ['Started by', `${TRIGGER_LABELS[run.trigger] ?? run.trigger}${run.requestedBy ? ` (${run.requestedBy})` : ''}`],
    ['Started', formatAbsolute(run.startedAt)],
    ['Finished', run.finishedAt ? formatAbsolute(run.finishedAt) : 'still running'],
    ['Duration', run.outcome === 'running' ? 'running' : formatDuration(runDuration(run))],
    ['Verification', run.verification ? (run.verification === 'ok' ? 'ok: counts and checksums match the WAL' : run.verification) : '–'],
    ['Batches repaired', `${formatCount(run.batchesRepaired)} of ${formatCount(run.batchesExamined)} examined`],
    ['Rows missing', formatCount(run.rowsMissing)],
    ['Rows inserted', formatCount(run.rowsInserted)],
  ];
  return (
    <dl className={s.summary} data-testid="run-summary">
      {items.map(([label, value]) => (
        <div key={label} className={s.item}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function RunDetailContent({ runId }: { runId: string }) {
  const s = useStyles2(getStyles);
  const run = useRunDetail(runId);
  if (run.isPending && !run.isError) {
    return <LoadingPlaceholder text="Loading the run…" />;
  }
  if (!run.data) {
    return <ProblemAlert error={run.error} />;
  }
  const r = run.data;
  return (
    <>
      {run.isError && <ProblemAlert error={run.error} context="Showing the run as last loaded" />}
      {r.error && (
        <Alert title="The run failed" severity="error">
          {r.error}
        </Alert>
      )}
      <Summary run={r} />
      <LinkButton href={pipelineDashboardAt(r.startedAt, r.finishedAt, config.appSubUrl ?? '')} icon="apps" variant="secondary" className={s.dashboard}>
        Pipeline dashboard at that moment
      </LinkButton>
      <h3>Batches</h3>
      {r.batches.length === 0 ? (
        <p data-testid="no-batches">No batch needed rows: every batch this run examined was already complete in MySQL.</p>
      ) : (
        <>
          <BatchTable batches={r.batches} columns={['rowsMissing', 'rowsInserted']} total={r.batches.length} />
          {r.batches.length >= RUN_BATCH_DETAILS_MAX && <p>The first {RUN_BATCH_DETAILS_MAX} batches; the counts above cover every batch of the run.</p>}
        </>
      )}
    </>
  );
}

export default function RunDetail() {
  const { runId = '' } = useParams();
  return (
    <PluginPage subTitle={`Reconcile run ${runId}`}>
      <LinkButton href={`${config.appSubUrl ?? ''}${PLUGIN_BASE_URL}/${ROUTES.History}`} icon="arrow-left" variant="secondary" fill="text" size="sm">
        All runs
      </LinkButton>
      <RunDetailContent runId={runId} />
    </PluginPage>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  summary: css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(220px, 1fr))',
    gap: theme.spacing(1, 3),
    margin: theme.spacing(2, 0),
    dt: { color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize },
    dd: { margin: 0 },
  }),
  item: css({ minWidth: 0 }),
  dashboard: css({ marginBottom: theme.spacing(2) }),
});
