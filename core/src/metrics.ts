// The metric contract: every name, type, help text and label set pipewarden exports.
// Exporter, loader, reconciler, dashboards, alert rules and the Grafana plugin use these
// names; test/contract checks that everything provisioning/ and the plugin mention is here
// (or in the standard exporters listed in STANDARD_EXPORTER_METRIC_PREFIXES).

type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDef {
  name: string;
  type: MetricType;
  help: string;
  labels: readonly string[];
  /** Which process exports it. */
  owner: 'exporter' | 'loader' | 'reconciler';
  buckets?: number[];
}

function m(owner: MetricDef['owner'], name: string, type: MetricType, help: string, labels: string[] = [], buckets?: number[]): MetricDef {
  return { owner, name, type, help, labels, buckets };
}

/** The label every pipeline-scoped series carries (see isPipelineScoped). */
const PIPELINE_LABEL = 'pipeline';

/** Probe targets of the exporter (`target` label values). */
export const PROBE_TARGETS = ['mysql', 'redis', 's3', 'loader', 'reconciler'] as const;
export type ProbeTarget = (typeof PROBE_TARGETS)[number];

/** Loader states (values of the `state` label of pipewarden_loader_state). */
// waiting_mysql / waiting_redis: that store is down and the batch in hand waits for it (never skipped).
export const LOADER_STATES = ['idle', 'running', 'paused', 'waiting_mysql', 'waiting_redis', 'stopping', 'finished', 'failed', 'unreachable'] as const;
export type LoaderState = (typeof LOADER_STATES)[number];

/** Reconcile outcomes (values of `outcome`). */
export const RECONCILE_OUTCOMES = ['success', 'nothing_to_do', 'failed', 'dry_run'] as const;
export type ReconcileOutcome = (typeof RECONCILE_OUTCOMES)[number];

/** What started a reconcile (values of `trigger`). */
export type ReconcileTrigger = 'cli' | 'button' | 'api' | 'watchdog' | 'alert';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const METRICS = {
  // exporter: pipeline state collected at scrape time. Every pipeline-scoped series carries
  // `pipeline` (core/src/pipelines.ts; `default` for a deployment without pipelines), and
  // every configured pipeline has its series from the first scrape, zeros included, so
  // alerts and the dashboards' pipeline variable see it before its first batch. Service-level
  // series (Redis memory, probes, the exporter's own) have no pipeline.
  rowsLoaded: m('exporter', 'pipewarden_rows_loaded_total', 'counter', "Rows inserted into the dataset's table (ledger sum).", ['pipeline']),
  rowsRejected: m('exporter', 'pipewarden_rows_rejected_total', 'counter', 'Input rows sent to the dead-letter table, by reason.', ['pipeline', 'reason']),
  rowsDuplicate: m('exporter', 'pipewarden_rows_duplicate_total', 'counter', 'Input rows whose key was already in the table (ledger sum).', ['pipeline']),
  rowsRepaired: m('exporter', 'pipewarden_rows_repaired_total', 'counter', 'Rows inserted by reconcile runs.', ['pipeline']),
  batchesCommitted: m('exporter', 'pipewarden_batches_committed_total', 'counter', 'Batches in the ledger.', ['pipeline']),
  batchesInDoubt: m('exporter', 'pipewarden_batches_in_doubt', 'gauge', 'WAL intents without a committed record.', ['pipeline']),
  walBytes: m('exporter', 'pipewarden_wal_bytes', 'gauge', "Size of the pipeline's write-ahead log on disk.", ['pipeline']),
  walSegments: m('exporter', 'pipewarden_wal_segments', 'gauge', 'WAL segment files on disk.', ['pipeline']),
  walDiskFreeBytes: m('exporter', 'pipewarden_wal_disk_free_bytes', 'gauge', 'Free bytes on the file system holding the WAL.', ['pipeline']),
  mirrorBatches: m('exporter', 'pipewarden_mirror_batches', 'gauge', 'Batches held in the Redis mirror.', ['pipeline']),
  mirrorBytes: m('exporter', 'pipewarden_mirror_bytes', 'gauge', 'Bytes of batch payloads held in the Redis mirror.', ['pipeline']),
  redisUsedMemory: m('exporter', 'pipewarden_redis_used_memory_bytes', 'gauge', 'Redis used_memory as reported by INFO.'),
  redisMaxMemory: m('exporter', 'pipewarden_redis_maxmemory_bytes', 'gauge', 'Redis maxmemory (0 = unlimited).'),
  sourceObjects: m('exporter', 'pipewarden_source_objects', 'gauge', "Objects in the pipeline's source: what its loader lists (a glob and PIPEWARDEN_SOURCE_MATCH select them).", ['pipeline']),
  sourceObjectsPending: m('exporter', 'pipewarden_source_objects_pending', 'gauge', 'Source objects not fully loaded.', ['pipeline']),
  sourceBytesPending: m('exporter', 'pipewarden_source_bytes_pending', 'gauge', 'Source bytes not yet loaded (from the checkpoint).', ['pipeline']),
  loaderState: m('exporter', 'pipewarden_loader_state', 'gauge', "The pipeline's loader state: 1 for the current state, 0 for the others.", ['pipeline', 'state']),
  lastReconcileTimestamp: m('exporter', 'pipewarden_last_reconcile_timestamp_seconds', 'gauge', 'End time of the last reconcile run (Unix seconds).', ['pipeline']),
  lastReconcileSuccess: m('exporter', 'pipewarden_last_reconcile_success', 'gauge', '1 if the last reconcile run succeeded, 0 if it failed.', ['pipeline']),
  lastReconcileRowsInserted: m('exporter', 'pipewarden_last_reconcile_rows_inserted', 'gauge', 'Rows the last reconcile run inserted.', ['pipeline']),
  reconcileRuns: m('exporter', 'pipewarden_reconcile_runs_total', 'counter', 'Reconcile runs recorded in reconcile_runs, by outcome.', ['pipeline', 'outcome']),
  up: m('exporter', 'pipewarden_up', 'gauge', '1 if the target answered its probe.', ['target']),
  probeDuration: m('exporter', 'pipewarden_probe_duration_seconds', 'gauge', 'Duration of the last probe of the target.', ['target']),
  scrapeDuration: m('exporter', 'pipewarden_exporter_scrape_duration_seconds', 'gauge', 'Time the last scrape spent collecting.'),
  workerObjectsHeld: m('exporter', 'pipewarden_worker_objects_held', 'gauge', 'Objects, or byte ranges of a large object, a loader (worker) holds a live lease on, by pipeline and worker: who loads what when several loaders share a source.', ['pipeline', 'worker']),
  collectorSuccess: m('exporter', 'pipewarden_exporter_collector_success', 'gauge', '1 if the collector succeeded in the last scrape.', ['collector']),

  // loader: in-process figures, per pipeline (`pipeline`; one `loader serve` runs them all)
  loaderRowsIn: m('loader', 'pipewarden_loader_rows_in_total', 'counter', 'Input records read by this loader process.', ['pipeline']),
  loaderRowsLoaded: m('loader', 'pipewarden_loader_rows_loaded_total', 'counter', 'Rows this loader process inserted into MySQL.', ['pipeline']),
  loaderRowsRejected: m('loader', 'pipewarden_loader_rows_rejected_total', 'counter', 'Rows this loader process sent to dead letters, by reason.', ['pipeline', 'reason']),
  loaderRowsDuplicate: m('loader', 'pipewarden_loader_rows_duplicate_total', 'counter', 'Rows this loader process found already present.', ['pipeline']),
  loaderFieldsNulled: m('loader', 'pipewarden_loader_fields_nulled_total', 'counter', 'Field values turned into NULL as impossible, by column.', ['pipeline', 'column']),
  loaderColumnsAbsent: m('loader', 'pipewarden_loader_columns_absent_total', 'counter', "Source objects whose header lacks an optional column of the dataset (the column loads as NULL), by column.", ['pipeline', 'column']),
  loaderBytesRead: m('loader', 'pipewarden_loader_source_bytes_read_total', 'counter', 'Source bytes read (as stored: compressed bytes of a compressed object).', ['pipeline']),
  loaderObjectsChanged: m('loader', 'pipewarden_loader_objects_changed_total', 'counter', 'Objects whose ETag changed since or while they were loaded, by what PIPEWARDEN_ON_CHANGE did (skipped, reloaded); under fail the load stops instead.', ['pipeline', 'action']),
  loaderDecodedBytes: m('loader', 'pipewarden_loader_decoded_bytes_total', 'counter', 'Bytes of compressed objects after decoding (gzip, zstd, bzip2), as far as their batches reach: against source_bytes_read_total, the decompressed rate.', ['pipeline']),
  loaderBatches: m('loader', 'pipewarden_loader_batches_total', 'counter', 'Batches written by this process, by result (committed, skipped).', ['pipeline', 'result']),
  loaderBatchDuration: m('loader', 'pipewarden_loader_batch_duration_seconds', 'histogram', 'Time to write one batch, per sink.', ['pipeline', 'sink'], LATENCY_BUCKETS),
  loaderRetries: m('loader', 'pipewarden_loader_retries_total', 'counter', 'Retried operations, by operation.', ['pipeline', 'operation']),
  loaderLeaseTakeovers: m('loader', 'pipewarden_loader_lease_takeovers_total', 'counter', "Objects this loader took over from another loader whose lease had lapsed (it died or stalled).", ['pipeline']),
  loaderThrottled: m('loader', 'pipewarden_loader_throttled_seconds_total', 'counter', 'Time this loader waited before batches to keep within a rate cap, while MySQL was busy or while the watched replica lagged, by reason (rows, bytes, total_rows, total_bytes, mysql_busy, replica_lag).', ['pipeline', 'reason']),
  loaderReplicaLag: m('loader', 'pipewarden_loader_replica_lag_seconds', 'gauge', "The watched replica's lag (PIPEWARDEN_REPLICA_URL: its Seconds_Behind_Master) as this loader last read it before a batch; absent while unknown (not replicating, unreachable, no replica watched).", ['pipeline']),
  loaderRateLimit: m('loader', 'pipewarden_loader_rate_limit', 'gauge', 'The load controls in force, by limit (rows_per_second, bytes_per_second, total_rows_per_second, total_bytes_per_second, busy_threads_running, max_replica_lag_seconds); 0 = none.', ['pipeline', 'limit']),
  loaderStateInProcess: m('loader', 'pipewarden_loader_service_state', 'gauge', 'Loader state inside the loader process.', ['pipeline', 'state']),
  loaderPausedByReconcile: m('loader', 'pipewarden_loader_paused_by_reconcile', 'gauge', '1 while a reconcile run holds the loader service paused (it stays so after a failed run).', ['pipeline']),

  // reconciler: in-process figures. Runs, rows and the standing failure are per pipeline (a
  // job over every pipeline runs each in turn); run duration, watchdog decisions, alert
  // notifications and the MySQL probe are the service's own, without a pipeline.
  reconcilerRuns: m('reconciler', 'pipewarden_reconciler_runs_total', 'counter', 'Reconcile runs of this process, by pipeline, trigger and outcome.', ['pipeline', 'trigger', 'outcome']),
  reconcilerRowsInserted: m('reconciler', 'pipewarden_reconciler_rows_inserted_total', 'counter', 'Rows inserted by this process.', ['pipeline']),
  reconcilerRunDuration: m('reconciler', 'pipewarden_reconciler_run_duration_seconds', 'histogram', 'Duration of reconcile runs.', [], [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]),
  watchdogDecisions: m('reconciler', 'pipewarden_watchdog_decisions_total', 'counter', 'Watchdog decisions, by decision.', ['decision']),
  alertNotifications: m('reconciler', 'pipewarden_reconciler_alert_notifications_total', 'counter', 'Alertmanager notifications received, by action taken.', ['action']),
  reconcilerMysqlUp: m('reconciler', 'pipewarden_reconciler_mysql_up', 'gauge', 'MySQL reachability as the watchdog last saw it.'),
  reconcileLastFailed: m('reconciler', 'pipewarden_reconcile_last_failed', 'gauge', "1 when the pipeline's last real reconcile run of this process failed (its loader stays paused), 0 once one succeeds.", ['pipeline']),
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;
export const ALL_METRICS: MetricDef[] = Object.values(METRICS);

/** Whether a metric's series are per pipeline (dashboards filter them by the pipeline variable, alerts fire per pipeline). */
export function isPipelineScoped(def: MetricDef): boolean {
  return def.labels.includes(PIPELINE_LABEL);
}

/**
 * Metrics from the standard exporters pipewarden documents and provisions rather than
 * rewrites (mysqld_exporter, redis_exporter, node_exporter) and Prometheus itself.
 */
export const STANDARD_EXPORTER_METRIC_PREFIXES = ['mysql_', 'redis_', 'node_', 'process_', 'up', 'scrape_', 'ALERTS', 'prometheus_', 'alertmanager_', 'nodejs_'];

/** Names a metric really produces in the exposition (histograms add suffixes). */
export function exposedNames(def: MetricDef): string[] {
  return def.type === 'histogram' ? [`${def.name}_bucket`, `${def.name}_sum`, `${def.name}_count`] : [def.name];
}
