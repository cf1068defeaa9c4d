import React from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { config, PluginPage } from '@grafana/runtime';
import { Alert, Button, Icon, LinkButton, LoadingPlaceholder, useStyles2 } from '@grafana/ui';

import type { LoaderStatus, ReconcilerStatus } from '../api/types';
import { PipelinesTable } from '../components/PipelinesTable';
import { ProblemAlert } from '../components/ProblemAlert';
import { allButtonText } from '../components/Reconcile/ReconcilePanel';
import { ReconcileFlowView, useReconcileFlow } from '../components/Reconcile/reconcileFlow';
import { RecoveryBlocked } from '../components/Reconcile/RecoveryBlocked';
import { RelativeTime } from '../components/RelativeTime';
import { Health, StageCard } from '../components/StageCard';
import { DASHBOARDS, PLUGIN_BASE_URL, ROUTES, STATUS_POLL_MS } from '../constants';
import { useLoaderStatus } from '../data/useLoaderStatus';
import { useReconcilerStatus } from '../data/useReconcilerStatus';
import { PipelineOverTime } from '../scenes/PipelineOverTime';
import { formatBytes, formatCount, formatDuration, OUTCOME_LABELS, PHASE_LABELS, plural, sentenceCase, timeAgo, TRIGGER_LABELS } from '../utils/format';
import { pipelineRows, readProgress, reconcilerPipelineNames } from '../utils/pipelines';

function loaderHealth(state: ReconcilerStatus['loader']['state'], reachable: boolean): Health {
  if (!reachable || state === 'unreachable' || state === 'failed') {
    return 'down';
  }
  if (state === 'paused' || state === 'waiting_mysql' || state === 'waiting_redis' || state === 'stopping') {
    return 'warning';
  }
  return 'ok';
}

/** Why the loader is not loading, when the reconciler knows. */
function engineNote(status: ReconcilerStatus): string | undefined {
  const { loader } = status;
  if (loader.error) {
    return `The loader answers the reconciler with an error: ${loader.error}`;
  }
  if (!loader.reachable) {
    return `The reconciler cannot reach the loader at ${loader.url}.`;
  }
  if (loader.pausedBy?.by === 'reconcile') {
    return loader.pausedBy.error ? `Paused by a reconcile run that failed (${loader.pausedBy.error}); it stays paused until a run succeeds.` : 'Paused by a reconcile run while it repairs.';
  }
  return undefined;
}

const LOADER_NOT_CONFIGURED = 'Add the loader URL on the configuration page to see throughput and row counts here.';

function Pipeline({ status, loader, loaderNote }: { status: ReconcilerStatus; loader?: LoaderStatus; loaderNote?: string }) {
  const s = useStyles2(getStyles);
  const lh = loaderHealth(status.loader.state, status.loader.reachable);
  const read = readProgress(loader);
  const progress = read ? ` (${read})` : '';
  return (
    <div className={s.flow} data-testid="pipeline-stages">
      <StageCard
        title="S3 source"
        health={loader ? (loader.lastError ? 'warning' : 'ok') : 'unknown'}
        rows={[
          { label: 'Source', value: loader?.source ?? '–' },
          { label: 'Read', value: loader ? `${formatBytes(loader.bytesRead)} of ${formatBytes(loader.bytesTotal)}${progress}` : '–' },
          { label: 'Object', value: loader?.currentObject ?? '–' },
        ]}
        note={loader?.lastError ? `Last error: ${loader.lastError}` : loaderNote}
      />
      <Icon name="arrow-right" size="xl" className={s.arrow} aria-hidden />
      <StageCard
        title={`Engine${loader ? ` (${loader.engine})` : ''}`}
        health={lh}
        healthText={status.loader.state}
        rows={[
          { label: 'Throughput', value: loader ? `${formatCount(loader.rowsPerSecond)} rows/s` : '–' },
          { label: 'Rows read', value: formatCount(loader?.rowsIn) },
          { label: 'Loader', value: status.loader.reachable ? sentenceCase(status.loader.state) : 'unreachable' },
        ]}
        note={engineNote(status)}
      />
      <Icon name="arrow-right" size="xl" className={s.arrow} aria-hidden />
      <div className={s.sinks}>
        <StageCard
          title="MySQL"
          health={status.mysql.up ? 'ok' : 'down'}
          healthText={status.mysql.up ? 'Up' : 'Down'}
          rows={[
            { label: 'Rows loaded', value: formatCount(loader?.rowsLoaded) },
            { label: 'Rows rejected', value: formatCount(loader?.rowsRejected) },
            { label: 'Duplicates skipped', value: formatCount(loader?.rowsDuplicate) },
          ]}
          note={!status.mysql.up ? 'MySQL does not answer. When it is back, the watchdog (or the Reconcile button) repairs the batches in doubt.' : undefined}
          testId="stage-mysql"
        />
        <StageCard
          title="Redis mirror"
          health={status.redis.up ? 'ok' : 'down'}
          healthText={status.redis.up ? 'Up' : 'Down'}
          rows={[
            { label: 'Mirror depth', value: `${formatCount(status.redis.mirrorBatches)} batches` },
            { label: 'Mirror size', value: formatBytes(status.redis.mirrorBytes) },
          ]}
          note={!status.redis.up ? 'Without the mirror, a reconcile re-reads missing batches from S3 (slower, still exact).' : undefined}
          testId="stage-redis"
        />
      </div>
    </div>
  );
}

function RecoveryState({ status }: { status: ReconcilerStatus }) {
  const s = useStyles2(getStyles);
  const doubt = status.wal.batchesInDoubt;
  const last = status.reconcile.last;
  const running = status.reconcile.running;
  const failure = status.reconcile.lastFailure;
  const outcome = last ? OUTCOME_LABELS[last.outcome] : undefined;
  return (
    <div className={s.grid}>
      <StageCard
        title="Batches in doubt"
        health={doubt > 0 ? 'warning' : 'ok'}
        healthText={doubt > 0 ? `${formatCount(doubt)} in doubt` : 'None'}
        rows={[
          { label: 'In doubt', value: formatCount(doubt) },
          { label: 'WAL', value: `${formatBytes(status.wal.bytes)} in ${plural(status.wal.segments, 'segment')}` },
        ]}
        note={status.wal.tornTail ? 'The WAL ends with a torn record (a crash mid-write); the reconciler ignores it safely.' : undefined}
        testId="card-doubt"
      >
        {doubt > 0 && !running && (
          <LinkButton href={`${config.appSubUrl ?? ''}${PLUGIN_BASE_URL}/${ROUTES.Reconcile}`} icon="sync" size="sm" className={s.cardAction}>
            Review and reconcile
          </LinkButton>
        )}
      </StageCard>
      <StageCard
        title="Last reconcile"
        health={running ? 'warning' : failure || last?.outcome === 'failed' ? 'down' : !last ? 'unknown' : 'ok'}
        healthText={running ? 'Running' : failure ? 'Failed' : outcome?.text ?? 'Never'}
        rows={
          running
            ? [
                { label: 'Phase', value: PHASE_LABELS[running.progress.phase] },
                { label: 'Batches', value: `${formatCount(running.progress.batchesDone)} of ${formatCount(running.progress.batchesTotal)}` },
                { label: 'Rows inserted', value: formatCount(running.progress.rowsInserted) },
              ]
            : last
              ? [
                  { label: 'Finished', value: <RelativeTime iso={last.finishedAt ?? last.startedAt} /> },
                  { label: 'Trigger', value: TRIGGER_LABELS[last.trigger] },
                  { label: 'Rows inserted', value: formatCount(last.rowsInserted) },
                  { label: 'Duration', value: formatDuration(last.durationSeconds) },
                ]
              : [{ label: 'Runs', value: 'none yet' }]
        }
        note={running ? undefined : failure ? `Error: ${failure.error}` : last?.error ? `Error: ${last.error}` : undefined}
        testId="card-last-reconcile"
      />
      <StageCard
        title="Watchdog"
        health={status.watchdog.enabled ? 'ok' : 'unknown'}
        healthText={status.watchdog.enabled ? 'On' : 'Off'}
        rows={[
          { label: 'Last decision', value: status.watchdog.lastDecision ?? '–' },
          { label: 'When', value: <RelativeTime iso={status.watchdog.lastDecisionAt} /> },
        ]}
        note={status.watchdog.enabled ? 'Reconciles by itself when MySQL comes back after an outage.' : 'Off: set PIPEWARDEN_WATCHDOG=true for automatic recovery.'}
      />
    </div>
  );
}

/**
 * Every pipeline with its own Reconcile & restart (and one for all of them when there are
 * several). Absent against services older than pipelines: the stages above are the whole story.
 */
function Pipelines({ status, loader }: { status: ReconcilerStatus; loader?: LoaderStatus }) {
  const s = useStyles2(getStyles);
  const flow = useReconcileFlow();
  const rows = pipelineRows(status, loader);
  const names = reconcilerPipelineNames(status);
  if (rows.length === 0) {
    return null;
  }
  // A user without reconcile:write sees no button at all; per pipeline only when the reconciler knows them.
  const actions = flow.mayReconcile && names.length > 0;
  return (
    <section aria-label="Pipelines" data-testid="pipelines">
      <div className={s.sectionHeader}>
        <h3 className={cx(s.sectionTitle, s.headerTitle)}>{plural(rows.length, 'pipeline')}</h3>
        {actions && names.length > 1 && (
          <Button icon="sync" variant="secondary" size="sm" disabled={flow.disabled} tooltip={flow.reason} onClick={() => flow.open(undefined)}>
            {allButtonText(names.length)}
          </Button>
        )}
      </div>
      <PipelinesTable
        rows={rows}
        onReconcile={actions ? (name) => flow.open(name) : undefined}
        disabled={flow.disabled}
        disabledReason={flow.reason}
      />
      <div className={s.flowView}>
        <ReconcileFlowView flow={flow} pipelineCount={names.length} />
      </div>
    </section>
  );
}

/** From Prometheus, so it shows even while the reconciler does not answer. */
function OverTime() {
  const s = useStyles2(getStyles);
  return (
    <section aria-label="Over time">
      <h3 className={s.sectionTitle}>Over time</h3>
      <PipelineOverTime />
    </section>
  );
}

function Dashboards() {
  const s = useStyles2(getStyles);
  return (
    <section aria-label="Dashboards" className={s.dashboards}>
      <h3 className={s.sectionTitle}>Dashboards</h3>
      <div className={s.dashboardLinks}>
        {DASHBOARDS.map((d) => (
          <LinkButton key={d.uid} href={`${config.appSubUrl ?? ''}/d/${d.uid}`} variant="secondary" icon="apps" tooltip={d.description}>
            {d.title}
          </LinkButton>
        ))}
      </div>
    </section>
  );
}

export function OverviewContent() {
  const s = useStyles2(getStyles);
  const status = useReconcilerStatus();
  const loader = useLoaderStatus();

  if (status.isPending && !status.isError) {
    return <LoadingPlaceholder text="Asking the reconciler for the pipeline's state…" />;
  }
  if (!status.data) {
    return (
      <>
        <ProblemAlert error={status.error} />
        <OverTime />
        <Dashboards />
      </>
    );
  }
  const st = status.data;
  const loaderNote = !loader.configured ? LOADER_NOT_CONFIGURED : loader.isError ? `The loader did not answer: ${loader.error?.message}.` : undefined;
  const nothingYet = st.wal.bytes === 0 && st.redis.mirrorBatches === 0 && !st.reconcile.last && (!loader.data || loader.data.rowsIn === 0);
  return (
    <div className={s.page}>
      {status.isError && <ProblemAlert error={status.error} context="Showing the last known state" />}
      <RecoveryBlocked status={st} />
      {nothingYet && (
        <Alert title="Nothing has been loaded yet" severity="info">
          Start a load with <code>pipewarden load s3://bucket/prefix</code> (or <code>pipewarden loader serve</code>); this page fills in as batches flow.
        </Alert>
      )}
      <Pipeline status={st} loader={loader.data} loaderNote={loaderNote} />
      <RecoveryState status={st} />
      <Pipelines status={st} loader={loader.data} />
      <OverTime />
      <Dashboards />
      <p className={s.footer} data-testid="overview-updated">
        Updated {timeAgo(new Date(status.dataUpdatedAt).toISOString())} · refreshes every {STATUS_POLL_MS / 1000} s
      </p>
    </div>
  );
}

export default function Overview() {
  return (
    <PluginPage subTitle="Live state of S3 → engine → MySQL + Redis mirror, and of recovery">
      <OverviewContent />
    </PluginPage>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  flow: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    '& > section, & > div': { flex: '1 1 0' },
    '& > svg': { flex: 'none' },
    [theme.breakpoints.down('lg')]: { flexDirection: 'column', alignItems: 'stretch', '& > svg': { transform: 'rotate(90deg)', alignSelf: 'center' } },
  }),
  arrow: css({ color: theme.colors.text.secondary }),
  sinks: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  grid: css({ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(260px, 1fr))', gap: theme.spacing(2) }),
  cardAction: css({ marginTop: theme.spacing(1) }),
  dashboards: css({ marginTop: theme.spacing(1) }),
  sectionTitle: css({ fontSize: theme.typography.h5.fontSize }),
  headerTitle: css({ margin: 0 }),
  sectionHeader: css({ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: theme.spacing(2), marginBottom: theme.spacing(1) }),
  flowView: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2), marginTop: theme.spacing(2), '&:empty': { display: 'none' } }),
  dashboardLinks: css({ display: 'flex', gap: theme.spacing(1), flexWrap: 'wrap' }),
  footer: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
