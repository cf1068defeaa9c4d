import React from 'react';
import { PluginPage } from '@grafana/runtime';
import { EmptyState, LoadingPlaceholder } from '@grafana/ui';

import { ProblemAlert } from '../components/ProblemAlert';
import { RunsTable } from '../components/RunsTable';
import { HISTORY_LIMIT } from '../constants';
import { useRuns } from '../data/useRuns';

export function HistoryContent() {
  const runs = useRuns();
  if (runs.isPending && !runs.isError) {
    return <LoadingPlaceholder text="Loading past reconcile runs…" />;
  }
  if (!runs.data) {
    return <ProblemAlert error={runs.error} />;
  }
  if (runs.data.length === 0) {
    return (
      <EmptyState variant="completed" message="No reconcile has run yet">
        Runs appear here when the watchdog repairs batches after a MySQL outage, when an alert triggers one, or when an admin presses Reconcile &amp; restart.
      </EmptyState>
    );
  }
  return (
    <>
      {runs.isError && <ProblemAlert error={runs.error} context="Showing the last list loaded" />}
      <RunsTable runs={runs.data} />
      {runs.data.length >= HISTORY_LIMIT && <p>The last {HISTORY_LIMIT} runs; older ones are in the reconcile_runs table.</p>}
    </>
  );
}

export default function History() {
  return (
    <PluginPage subTitle="Every reconcile run: what started it, how long it took, what it inserted">
      <HistoryContent />
    </PluginPage>
  );
}
