// The load run's contract with its callers (the CLI, the loader service, the benchmarks):
// what they pass in, what they see while it runs, and the summary it returns.
import type { LoaderState, Logger } from '@pipewarden/core';
import type { Engine } from '../engine/types';
import type { LoaderMetrics } from '../metrics';

/** The summary's `this_run`: what one run did itself (LoadTally's RunCounts in the JSON's names). */
export interface RunFigures {
  /** Records of the batches this run committed: rows_loaded + rows_rejected + rows_duplicate. */
  rows_in: number;
  rows_loaded: number;
  rows_rejected: number;
  rows_duplicate: number;
  batches_committed: number;
  /** Batches read again and found in the ledger (a resume or a replay): nothing written. */
  batches_skipped: number;
  /** Records of those batches. */
  records_skipped: number;
}

/**
 * The summary of a load. The top-level row counts cover the whole source (from the
 * checkpoint's totals, earlier runs included); `this_run` says what this run wrote.
 */
export interface LoadSummary {
  /** The pipeline this run loaded (`default` without a config file's `pipelines`). */
  pipeline: string;
  source: string;
  engine: 'inline' | 'spark';
  objects: number;
  rows_in: number;
  rows_loaded: number;
  rows_rejected: number;
  rows_duplicate: number;
  rejected_by_reason: Record<string, number>;
  /** Fields made NULL as impossible, in the batches this run read (a resumed run starts at its checkpoint). */
  fields_nulled: Record<string, number>;
  /** The dataset (spec name) and the table it loads into. */
  dataset: { name: string; table: string };
  /** Objects this run read from their top whose header lacks optional columns (loaded NULL): object key → column names. */
  columns_absent: Record<string, string[]>;
  /** This run's batches (same as this_run.batches_committed / batches_skipped). */
  batches_committed: number;
  batches_skipped: number;
  this_run: RunFigures;
  /** Objects the checkpoint called loaded further than the database knew: loaded again from their top. */
  objects_reloaded: string[];
  /** Objects whose ETag changed since or while they were loaded, by what PIPEWARDEN_ON_CHANGE did: skipped, or reloaded (the new version). */
  objects_changed: Record<string, 'skipped' | 'reloaded'>;
  /** Secondary indexes this run built at its end: deferred for an initial load (this run's or an interrupted one's). */
  indexes_built: string[];
  /** Where an unusable checkpoint was moved (positions were then rebuilt from the ledger). */
  checkpoint_moved_aside?: string;
  bytes: number;
  seconds: number;
  rows_per_second: number;
  /** rows_in = rows_loaded + rows_rejected + rows_duplicate */
  balanced: boolean;
}

export interface LoadProgress {
  state: LoaderState;
  object?: string;
  rowsIn: number;
  rowsLoaded: number;
  rowsRejected: number;
  rowsDuplicate: number;
  bytesRead: number;
  bytesTotal: number;
  startedAt: number;
  lastError?: string;
  /** This loader's name among the loaders sharing the source, and the objects it holds leases on. */
  worker?: string;
  holding?: string[];
}

export interface LoadOptions {
  source?: string;
  signal?: AbortSignal;
  log?: Logger;
  metrics?: LoaderMetrics;
  onProgress?: (p: LoadProgress) => void;
  /** Engine override (tests); default from config.engine. */
  engine?: Engine;
  /** This loader's worker name (the service keeps one for its life); default a new one. */
  worker?: string;
  /** What a pipeline hold whose reconcile run is no longer at work does: stop the run (default: a one-shot load) or wait (a service). */
  abandonedHold?: 'stop' | 'wait';
}
