// What the Overview plots over time and marks on it: Prometheus queries over the metrics of
// core/src/metrics.ts (the one source of metric names), the same the provisioned Pipeline
// dashboard uses, so the app and the dashboard never disagree.
import type { AnnotationQuery } from '@grafana/data';
import type { DataSourceRef } from '@grafana/schema';

import { METRICS } from '../../../core/src/metrics';

/** The Prometheus data source provisioning/grafana/datasources provisions (and the dashboards use). */
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: 'pipewarden-prometheus' };

export interface PanelSpec {
  key: string;
  title: string;
  description: string;
  unit: string;
  /** One Prometheus query per series group; legendFormat names the series. */
  queries: Array<{ refId: string; expr: string; legendFormat: string }>;
}

export const OVER_TIME_PANELS: PanelSpec[] = [
  {
    key: 'rows-loaded',
    title: 'Rows loaded per second',
    description: 'Rows inserted into MySQL per second (the batch ledger).',
    unit: 'rowsps',
    queries: [{ refId: 'A', expr: `sum(rate(${METRICS.rowsLoaded.name}[$__rate_interval]))`, legendFormat: 'loaded' }],
  },
  {
    key: 'rows-rejected',
    title: 'Rows rejected per second, by reason',
    description: 'Input rows sent to the dead-letter table per second, by reason.',
    unit: 'rowsps',
    queries: [{ refId: 'A', expr: `sum by (reason) (rate(${METRICS.rowsRejected.name}[$__rate_interval]))`, legendFormat: '{{reason}}' }],
  },
  {
    key: 'batches-in-doubt',
    title: 'Batches in doubt',
    description: 'WAL intents without a committed record: what a reconcile would examine.',
    unit: 'none',
    queries: [{ refId: 'A', expr: `max(${METRICS.batchesInDoubt.name})`, legendFormat: 'in doubt' }],
  },
  {
    key: 'mirror-depth',
    title: "The Redis mirror's depth",
    description: 'Batches held in the Redis mirror (kept for repairs until retention trims them).',
    unit: 'none',
    queries: [{ refId: 'A', expr: `max(${METRICS.mirrorBatches.name})`, legendFormat: 'batches mirrored' }],
  },
  {
    key: 'workers',
    title: 'Objects held, by loader',
    description: 'Source objects each loader (worker) holds a lease on: who loads what when several loaders share a source. A loader that died drops out once its leases lapse, and another takes its object over.',
    unit: 'none',
    queries: [{ refId: 'A', expr: `sum by (worker) (${METRICS.workerObjectsHeld.name})`, legendFormat: '{{worker}}' }],
  },
  {
    key: 'throttled',
    title: 'Loaders held back, by reason',
    description: 'The share of time the loaders waited before their batches: to stay within a rate cap (rows, bytes, and the totals across pipelines) or while MySQL was busy (Threads_running above PIPEWARDEN_BUSY_THREADS_RUNNING). 1 = one loader waiting all the time.',
    unit: 'percentunit',
    queries: [{ refId: 'A', expr: `sum by (reason) (rate(${METRICS.loaderThrottled.name}[$__rate_interval]))`, legendFormat: '{{reason}}' }],
  },
];

/**
 * The Pipeline dashboard's `$pipeline` variable at "All": the Overview shows every pipeline
 * (it has no pipeline picker), so its queries are the dashboard's with this in the variable's place.
 */
export const ALL_PIPELINES = '.*';

/** Reconcile runs and MySQL outages as annotations, as on the Pipeline dashboard (one series per pipeline). */
export const OVER_TIME_ANNOTATIONS: AnnotationQuery[] = [
  {
    name: 'Reconcile runs',
    datasource: PROMETHEUS,
    enable: true,
    iconColor: 'blue',
    expr: `sum by (pipeline, outcome) (changes(${METRICS.reconcileRuns.name}{pipeline=~"${ALL_PIPELINES}"}[$__interval]))`,
    step: '1m',
    titleFormat: 'Reconcile: {{outcome}}',
    textFormat: 'A reconcile run ended ({{outcome}}); History has its details.',
    tagKeys: 'outcome',
    useValueForTime: false,
  },
  {
    name: 'MySQL outages',
    datasource: PROMETHEUS,
    enable: true,
    iconColor: 'orange',
    expr: `1 - min(${METRICS.up.name}{target="mysql"})`,
    step: '30s',
    titleFormat: 'MySQL down',
    textFormat: "The exporter's probe could not reach MySQL; the loader waits and batches may be in doubt.",
    useValueForTime: false,
  },
];
