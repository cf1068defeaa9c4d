// One load run, in named phases (docs/architecture.md, "Load"):
//   open    — the WAL, the checkpoint, the first window of the listing and its ledger
//             batches, the engine, the sink, the leases (load/session.ts: openSession);
//   prove   — per listing window (load/windows.ts), passes that plan every object from the
//             ledger (load/plan.ts) and write what it lacks (load/passes.ts), until a pass
//             finds every object done;
//   write   — per object or byte range (load/write-object.ts, load/split-object.ts): the
//             engine's batches through the dual-write sink (WAL intent, MySQL transaction
//             beside the Redis mirror, WAL commit), `pipelineDepth` in flight, each settled
//             batch advancing the checkpoint (load/tally.ts);
//   finish  — trim the mirror, prune the WAL, build deferred indexes; then the summary.
//
// The batch ledger (MySQL) is the truth and the checkpoint this host's cache of it. Objects
// are claimed with leases in MySQL (./leases.ts), so several loaders can share one source.
import { buildMissingIndexes, createLogger, datasetOf, readWalState, rulesFor, UserError, type Config } from '@pipewarden/core';
import { LoaderMetrics } from './metrics';
import { AbortedError, whileMysqlDown } from './retry';
import { openSource, type SourceObject } from './source';
import { ObjectWriter } from './load/write-object';
import { WindowPasses } from './load/passes';
import { RunResources, openSession, type LoadSession } from './load/session';
import { SplitLoader } from './load/split-object';
import { LoadTally, type RunCounts } from './load/tally';
import type { LoadOptions, LoadSummary, RunFigures } from './load/types';
import { ListingWindows } from './load/windows';

export * from './load/types';
export { acquireLoaderLock } from './load/session';

/** A run whose phases all ended: what the summary is made from. */
interface ProvedRun {
  session: LoadSession;
  windows: ListingWindows;
  passes: WindowPasses;
  indexesBuilt: string[];
}

export async function runLoad(config: Config, opts: LoadOptions = {}): Promise<LoadSummary> {
  const log = opts.log ?? createLogger('loader');
  const metrics = opts.metrics ?? new LoaderMetrics();
  const signal = opts.signal ?? new AbortController().signal;
  if (config.mirror.retentionBatches <= config.batch.pipelineDepth) {
    throw new UserError(`PIPEWARDEN_MIRROR_RETENTION_BATCHES (${config.mirror.retentionBatches}) must exceed PIPEWARDEN_PIPELINE_DEPTH (${config.batch.pipelineDepth})`);
  }
  // The dataset and its rules, read once: every batch's metrics and the summary name its columns.
  const spec = datasetOf(config);
  const rules = rulesFor(spec);
  const started = Date.now();
  const tally = new LoadTally(metrics, rules, log, opts.onProgress, started);
  // A compressed object's progress is its compressed bytes as they are read (its batches'
  // offsets are offsets into the decoded bytes).
  const source = openSource(opts.source ?? config.source, config, { log, onRetry: () => metrics.retries.inc({ operation: 's3' }), onEncodedBytes: (_obj, n) => tally.bytesRead(n) });
  const resources = new RunResources(config, source, log);
  let done: ProvedRun;
  try {
    const session = await openSession({ config, opts, log, metrics, signal, spec, rules, tally, resources });
    tally.emit();
    const { windows, passes } = await proveSource(session);
    done = { session, windows, passes, indexesBuilt: await finish(session) };
  } catch (e) {
    tally.emit({ state: signal.aborted ? 'stopping' : 'failed', lastError: (e as Error).message });
    throw e;
  } finally {
    await resources.close();
  }
  return summarize(done, started);
}

/** The prove phase over the whole source, a window at a time. */
async function proveSource(s: LoadSession): Promise<{ windows: ListingWindows; passes: WindowPasses }> {
  const windows = new ListingWindows(s);
  const writer = new ObjectWriter(s);
  const splitter = new SplitLoader(s, writer);
  const passes = new WindowPasses(s, windows, writer, splitter);
  const forget = (window: readonly SourceObject[]) => {
    passes.forget(window);
    splitter.forget(window);
    for (const o of window) s.tally.engineBytes.delete(o.key);
  };
  for (let first = true; ; first = false) {
    await passes.prove(first);
    if (s.signal.aborted || !windows.full) break;
    if (!(await windows.next(forget))) break;
  }
  return { windows, passes };
}

/** The finish phase: the mirror trimmed, resolved WAL segments pruned, deferred indexes built; returns the indexes built. */
async function finish(s: LoadSession): Promise<string[]> {
  await s.sink.trim();
  try {
    s.wal.removeResolvedSegments(readWalState(s.config.wal.dir));
  } catch (e) {
    s.log.warn('could not prune WAL segments', { error: (e as Error).message });
  }
  if (s.signal.aborted) throw new AbortedError();
  // When every object is done: build the spec's secondary indexes the table lacks, in one pass.
  const t0 = Date.now();
  const built = await whileMysqlDown(() => buildMissingIndexes(s.pool, s.spec), s.signal);
  if (built.length > 0) s.log.info('secondary indexes built', { table: s.spec.table, indexes: built, seconds: ((Date.now() - t0) / 1000).toFixed(1) });
  return built;
}

/** The run's own counts in the summary's JSON names: the one place they are spelled so. */
function runFigures(c: RunCounts): RunFigures {
  return {
    rows_in: c.rowsIn,
    rows_loaded: c.rowsLoaded,
    rows_rejected: c.rowsRejected,
    rows_duplicate: c.rowsDuplicate,
    batches_committed: c.batchesCommitted,
    batches_skipped: c.batchesSkipped,
    records_skipped: c.recordsSkipped,
  };
}

/** The summary: whole-source totals (the proved windows' sums and the last window's checkpoints), and what this run did. */
function summarize(done: ProvedRun, started: number): LoadSummary {
  const { session: s, windows, passes } = done;
  const { tally, config, spec } = s;
  const totals = windows.totals();
  const seconds = (Date.now() - started) / 1000;
  const thisRun = runFigures(tally.thisRun);
  const summary: LoadSummary = {
    pipeline: config.pipeline,
    source: s.source.url,
    engine: config.engine,
    objects: windows.listed,
    rows_in: totals.rowsIn,
    rows_loaded: totals.rowsLoaded,
    rows_rejected: totals.rowsRejected,
    rows_duplicate: totals.rowsDuplicate,
    rejected_by_reason: totals.rejectedByReason,
    fields_nulled: tally.oddities.byColumn(s.rules.columnNames),
    dataset: { name: spec.name, table: spec.table },
    columns_absent: tally.columnsAbsent,
    batches_committed: thisRun.batches_committed,
    batches_skipped: thisRun.batches_skipped,
    this_run: thisRun,
    objects_reloaded: [...passes.reloaded],
    objects_changed: s.changes.outcome,
    indexes_built: done.indexesBuilt,
    ...(s.movedAside ? { checkpoint_moved_aside: s.movedAside } : {}),
    bytes: tally.progress.bytesTotal,
    seconds,
    rows_per_second: tally.progress.rowsIn / Math.max(seconds, 1e-3),
    balanced: false,
  };
  summary.balanced = summary.rows_in === summary.rows_loaded + summary.rows_rejected + summary.rows_duplicate;
  tally.emit({ state: 'finished' });
  s.log.info('load finished', { rows_in: summary.rows_in, rows_loaded: summary.rows_loaded, rows_rejected: summary.rows_rejected, rows_duplicate: summary.rows_duplicate, seconds: seconds.toFixed(1) });
  return summary;
}
