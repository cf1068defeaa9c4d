// HTTP contracts of the pipewarden services, shared by the services, the exporter's probes
// and the Grafana plugin (which imports these types and RUN_BATCH_DETAILS_MAX: that constant
// is all of this module the app bundles).
import type { LoaderState, ReconcileOutcome, ReconcileTrigger } from './metrics';

/**
 * The build answering, as `pipewarden --version` prints it. Optional for clients such as
 * the Grafana app, which may talk to a service older than the field.
 */
export interface ServiceBuild {
  version?: string;
  revision?: string;
}

/** What the loader reports of a load: one pipeline's, or the sum over them all. */
export interface LoaderFigures {
  state: LoaderState;
  source?: string;
  engine: 'inline' | 'spark';
  rowsIn: number;
  rowsLoaded: number;
  rowsRejected: number;
  rowsDuplicate: number;
  bytesRead: number;
  bytesTotal: number;
  rowsPerSecond: number;
  currentObject?: string;
  lastError?: string;
  /** Set while a reconcile run holds the loader paused (it says which run, and its error if it failed). */
  pausedBy?: LoaderPause;
  startedAt?: string;
  updatedAt: string;
}

/** One pipeline of the loader service (see core/src/pipelines.ts). */
export interface LoaderPipelineStatus extends LoaderFigures {
  /** The pipeline's name (`default` for a configuration without pipelines). */
  name: string;
  /** The dataset spec's name and the table it loads. */
  dataset: string;
  table: string;
  /** This loader's worker name among the loaders sharing the source (object leases). */
  worker?: string;
  /** Objects of the pipeline this loader holds a lease on now (the one it is loading). */
  holding?: string[];
}

/**
 * GET /status of the loader service. The top-level fields sum up every pipeline (rows and
 * bytes added, the state the most urgent one: failed > waiting_mysql > waiting_redis > paused > running >
 * finished > idle, pausedBy when every pipeline is paused); `pipelines` has each one.
 */
export interface LoaderStatus extends ServiceBuild, LoaderFigures {
  /** This loader's worker name (object leases: see pipewarden_worker_objects_held for every worker). */
  worker?: string;
  /** Every pipeline this loader runs (optional for clients of an older loader). */
  pipelines?: LoaderPipelineStatus[];
}

/** POST /pause body of the loader service, sent by the reconciler (a bare POST is an operator's pause). */
export interface LoaderPauseRequest {
  by: 'reconcile';
  runId: string;
  /** The pipeline to pause; absent = every pipeline. */
  pipeline?: string;
  /** The run failed: the loader stays paused until a later run succeeds or someone resumes it. */
  error?: string;
}

/** Why the loader is paused, as its /status reports it. */
export interface LoaderPause {
  by: 'reconcile' | 'operator';
  runId?: string;
  since: string;
  error?: string;
}

/** `cancelled`: a dry run stopped by POST /reconcile/:id/cancel or pre-empted by a real run (it writes nothing). */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type ReconcilePhase = 'lock' | 'pause_loader' | 'wait_mysql' | 'find_batches' | 'repair' | 'verify' | 'restart_loader' | 'done';

export interface ReconcileProgress {
  phase: ReconcilePhase;
  batchesTotal: number;
  batchesDone: number;
  rowsMissing: number;
  rowsInserted: number;
}

export interface BatchRepair {
  batchId: string;
  /** The batch's source object and its records there (1-based ordinal of the first, and how many). */
  sourceKey: string;
  firstRecord: number;
  records: number;
  /** Where the rows came from. 'ledger' = already complete in MySQL, nothing to insert. */
  source: 'mirror' | 's3' | 'ledger';
  rowsMissing: number;
  rowsInserted: number;
}

/** The cap on per-batch details a reconcile report (and a run's record) keeps; the counts cover all. */
export const RUN_BATCH_DETAILS_MAX = 100;

export interface ReconcileReport {
  runId: string;
  /** The pipeline this run repaired (`default` without pipelines). A job for every pipeline reports each in `pipelines`, and sums them here with pipeline null. */
  pipeline: string | null;
  pipelines?: ReconcileReport[];
  /** In a job over every pipeline: why this pipeline's run failed (the others still ran). */
  error?: string;
  dryRun: boolean;
  trigger: ReconcileTrigger;
  batchesExamined: number;
  batchesRepaired: number;
  rowsMissing: number;
  rowsInserted: number;
  verification: 'ok' | 'failed' | 'skipped';
  outcome: ReconcileOutcome;
  durationSeconds: number;
  loaderRestarted: boolean;
  /** Why the loader did not restart after the repairs (it stays paused). */
  loaderError?: string;
  /** Per-batch detail, at most RUN_BATCH_DETAILS_MAX entries (the counts above cover all). */
  batches: BatchRepair[];
}

/** A reconcile job of the reconciler service. POST /reconcile returns one (202). */
export interface ReconcileJob {
  id: string;
  /** The pipeline the job reconciles; null = every pipeline, one after the other. */
  pipeline: string | null;
  state: JobState;
  dryRun: boolean;
  trigger: ReconcileTrigger;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  progress: ReconcileProgress;
  result?: ReconcileReport;
  error?: string;
  /** True when the POST found this job already running (or queued) and started nothing new. */
  alreadyRunning?: boolean;
  /** The Grafana user who pressed the button (X-Grafana-User), when the request came through Grafana. */
  requestedBy?: string;
}

/** POST /reconcile body. */
export interface ReconcileRequest {
  dryRun?: boolean;
  /** One pipeline by name; absent = every pipeline. */
  pipeline?: string;
  trigger?: Extract<ReconcileTrigger, 'button' | 'api'>;
}

/** One row of GET /runs (from the reconcile_runs table). */
export interface ReconcileRun {
  runId: string;
  pipeline: string;
  trigger: ReconcileTrigger;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string | null;
  durationSeconds: number | null;
  batchesExamined: number;
  batchesRepaired: number;
  rowsMissing: number;
  rowsInserted: number;
  outcome: ReconcileOutcome | 'running';
  verification: string | null;
  error: string | null;
  /** The Grafana user who pressed the button; null for the watchdog, alerts, the CLI and plain API calls. */
  requestedBy: string | null;
}

/** GET /runs/:id: the run and its batches (the report's details, at most 100; the counts above cover all). */
export interface ReconcileRunDetail extends ReconcileRun {
  batches: BatchRepair[];
}

/** The last real run of this reconciler process failed; cleared by the next one that succeeds. */
export interface ReconcileFailure {
  runId: string;
  /** The pipeline whose run failed (its loader stays paused); null for a run over every pipeline. */
  pipeline?: string | null;
  trigger: ReconcileTrigger;
  error: string;
  finishedAt: string;
}

/** GET /status of the reconciler service. */
export interface ReconcilerStatus extends ServiceBuild {
  mysql: { up: boolean };
  redis: { up: boolean; mirrorBatches: number; mirrorBytes: number };
  /** `error`: the loader answered wrongly (a 401, a timeout…), as opposed to no loader service at all. */
  loader: { reachable: boolean; state: LoaderState; url: string; pausedBy?: LoaderPause; error?: string };
  /** Summed over every pipeline's WAL; `pipelines` has each. */
  wal: { bytes: number; segments: number; batchesInDoubt: number; tornTail: boolean };
  /** Every pipeline: its WAL and its last run (optional for clients of an older reconciler). */
  pipelines?: { name: string; dataset: string; table: string; wal: { bytes: number; segments: number; batchesInDoubt: number; tornTail: boolean }; last: ReconcileRun | null }[];
  /** `queued`: a real run waiting for a dry run it pre-empted to stop. */
  reconcile: { running: ReconcileJob | null; queued?: ReconcileJob | null; last: ReconcileRun | null; lastFailure?: ReconcileFailure | null };
  watchdog: { enabled: boolean; lastDecision: string | null; lastDecisionAt: string | null };
}

/** Error body of every pipewarden endpoint. */
export interface ApiError {
  error: string;
  hint?: string;
}

/** A finding of `pipewarden doctor` and of the reconciler's GET /doctor. */
export type DoctorVerdict = 'ok' | 'warn' | 'fail';

export interface DoctorFinding {
  /** Where: mysql, redis, wal (the WAL's disk), s3 (the source). */
  target: 'mysql' | 'redis' | 'wal' | 's3';
  /** What was checked, e.g. "innodb_flush_log_at_trx_commit". */
  check: string;
  /** What was found, as the server or system says it. */
  value: string;
  /** ok: as it should be; warn: works, with the cost or risk `meaning` says; fail: breaks a guarantee or the load. */
  verdict: DoctorVerdict;
  /** What it means for durability and speed, and what to change. */
  meaning: string;
}

/** GET /doctor (reconciler), `pipewarden doctor --json`. */
export interface DoctorReport {
  findings: DoctorFinding[];
  /** The worst verdict; the CLI exits 1 on fail. */
  verdict: DoctorVerdict;
}
