import React from 'react';
import { useSearchParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { EmptyState, Field, LoadingPlaceholder, RadioButtonGroup } from '@grafana/ui';

import { ProblemAlert } from '../components/ProblemAlert';
import { RunsTable } from '../components/RunsTable';
import { HISTORY_LIMIT } from '../constants';
import { useReconcilerStatus } from '../data/useReconcilerStatus';
import { useRuns } from '../data/useRuns';
import { reconcilerPipelineNames } from '../utils/pipelines';

const ALL = '';

/**
 * Which pipeline's runs to list (GET /runs?pipeline=), kept in the URL (`?pipeline=orders`)
 * so the Overview can link to one pipeline's history. Offered when the reconciler reports
 * more than one pipeline, or when the URL already names one.
 */
function PipelineFilter({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const status = useReconcilerStatus();
  const names = reconcilerPipelineNames(status.data);
  if (value !== ALL && !names.includes(value)) {
    names.push(value);
  }
  if (names.length < 2 && value === ALL) {
    return null;
  }
  const options = [{ label: 'All pipelines', value: ALL }, ...names.map((n) => ({ label: n, value: n }))];
  return (
    <Field label="Pipeline" data-testid="pipeline-filter">
      <RadioButtonGroup options={options} value={value} onChange={onChange} />
    </Field>
  );
}

export function HistoryContent() {
  const [params, setParams] = useSearchParams();
  const pipeline = params.get('pipeline') ?? ALL;
  const runs = useRuns(HISTORY_LIMIT, undefined, pipeline || undefined);
  const setPipeline = (v: string) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (v === ALL) {
          next.delete('pipeline');
        } else {
          next.set('pipeline', v);
        }
        return next;
      },
      { replace: true }
    );
  const filter = <PipelineFilter value={pipeline} onChange={setPipeline} />;

  if (runs.isPending && !runs.isError) {
    return (
      <>
        {filter}
        <LoadingPlaceholder text="Loading past reconcile runs…" />
      </>
    );
  }
  if (!runs.data) {
    return (
      <>
        {filter}
        <ProblemAlert error={runs.error} />
      </>
    );
  }
  if (runs.data.length === 0) {
    return (
      <>
        {filter}
        <EmptyState variant="completed" message={pipeline ? `No reconcile of pipeline ${pipeline} has run yet` : 'No reconcile has run yet'}>
          Runs appear here when the watchdog repairs batches after a MySQL outage, when an alert triggers one, or when an admin presses Reconcile &amp; restart.
        </EmptyState>
      </>
    );
  }
  return (
    <>
      {filter}
      {runs.isError && <ProblemAlert error={runs.error} context="Showing the last list loaded" />}
      <RunsTable runs={runs.data} />
      {runs.data.length >= HISTORY_LIMIT && <p>The last {HISTORY_LIMIT} runs; older ones are in the reconcile_runs table.</p>}
    </>
  );
}

export default function History() {
  return (
    <PluginPage subTitle="Every reconcile run: what started it, which pipeline, how long it took, what it inserted">
      <HistoryContent />
    </PluginPage>
  );
}
