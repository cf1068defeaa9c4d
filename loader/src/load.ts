// One load run: list the source, and for every object not yet done and not held by another
// loader, resume it, cut batches with the engine, write them through the dual-write sink
// with `pipelineDepth` batches in flight, and advance the checkpoint in order.
//
// The batch ledger (MySQL) is the truth and the checkpoint this host's cache of it. At the
// start of each pass one query reads the ledger's batches of every listed object; an
// object's checkpoint is trusted only as far as the ledger holds its batches, and where the
// ledger holds more (no checkpoint here, another loader's work) the object goes on where
// the ledger's batches end. An object (re)started from its top is cut with the batch size of
// its batches already in the ledger, whatever the configuration says, so batch ids never
// collide with batches of another size. Objects are claimed with leases in MySQL
// (./leases.ts), so several loaders can share one source.
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { Pool } from 'mysql2/promise';
import {
  BatchVanishedError,
  LeaseLostError,
  LockHeldError,
  buildMissingIndexes,
  deferIndexes,
  ensureHoldRow,
  OddityCounter,
  acquireLockFile,
  batchGeometry,
  ledgerRun,
  ledgerRanges,
  logDurability,
  waitForLogFlush,
  loadCheckpoint,
  UserError,
  WalWriter,
  createLogger,
  createPool,
  createRedis,
  datasetOf,
  rulesFor,
  readWalState,
  writeCheckpoint,
  type Checkpoint,
  type Config,
  type LedgerRange,
  type LeaseRow,
  type LoaderState,
  type Logger,
  type ObjectCheckpoint,
  type RangeRow,
  type ResolvedSpec,
  type RowRules,
} from '@pipewarden/core';
import { InlineEngine, readHeader } from './engine/inline';
import { ObjectLeases, leaseLabel } from './leases';
import { Throttle } from './throttle';
import type { BatchDraft, Engine, EngineStart } from './engine/types';
import { findRanges } from './range-finder';
import { LoaderMetrics } from './metrics';
import { AbortedError, mysqlRetryable, retryWhileDown, sleep } from './retry';
import { DualWriteSink, chooseWriteMethod, type BatchOutcome } from './sink';
import { ObjectChangedError, isRetryableS3Error, openSource, type SourceObject } from './source';

/** What one run did itself: batches it wrote, and batches it found already in the ledger. */
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

async function createEngine(config: Config, rules: RowRules, log: Logger): Promise<Engine> {
  if (config.engine === 'inline') return new InlineEngine(rules);
  // Loaded lazily: the Spark engine pulls in process management only Spark users need.
  // require, not import(): under the CLI's CommonJS loader a dynamic import() goes to
  // Node's ESM resolver, which cannot load .ts files.
  const { createSparkEngine } = require('./engine/spark') as typeof import('./engine/spark');
  return createSparkEngine(config, log);
}

/** One loader per WAL directory: a second one would interleave checkpoints. */
export function acquireLoaderLock(walDir: string): () => void {
  try {
    return acquireLockFile(join(walDir, 'loader.lock'));
  } catch (e) {
    if (!(e instanceof LockHeldError)) throw e;
    throw new UserError(`another loader (pid ${e.pid || 'unknown'}) is using the WAL in ${walDir}`, 'stop it, or point PIPEWARDEN_WAL_DIR elsewhere');
  }
}

/** Passes that find batches lost before a run gives up on a database that keeps losing them. */
const MAX_LOAD_PASSES = 3;

/** Row counts of objects, summed. */
interface Totals {
  rowsIn: number;
  rowsLoaded: number;
  rowsRejected: number;
  rowsDuplicate: number;
  rejectedByReason: Record<string, number>;
}

/** Bytes stored of these objects. */
function bytesOf(objects: readonly SourceObject[]): number {
  return objects.reduce((a, o) => a + o.size, 0);
}

function emptyTotals(): Totals {
  return { rowsIn: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0, rejectedByReason: {} };
}

function addTotals(t: Totals, oc: ObjectCheckpoint): void {
  t.rowsIn += oc.rowsIn;
  t.rowsLoaded += oc.rowsLoaded;
  t.rowsRejected += oc.rowsRejected;
  t.rowsDuplicate += oc.rowsDuplicate;
  for (const [r, n] of Object.entries(oc.rejectedByReason ?? {})) t.rejectedByReason[r] = (t.rejectedByReason[r] ?? 0) + n;
}

/** How often a loader with nothing to claim looks again at objects other loaders hold. */
const HELD_POLL_MS = 1000;

function emptyObjectCheckpoint(obj: SourceObject, batchSize: number): ObjectCheckpoint {
  return { etag: obj.etag, size: obj.size, nextRecord: 1, nextByte: 0, nextLine: 1, header: [], batchSize, done: false, rowsIn: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0 };
}

/**
 * An abort controller that also aborts with `parent` (the run's stop), so a lost lease can
 * stop one object's or range's read alone; `detach` when the read is over.
 */
function childAbort(parent: AbortSignal): AbortController & { detach(): void } {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  parent.addEventListener('abort', onAbort, { once: true });
  return Object.assign(ctl, { detach: () => parent.removeEventListener('abort', onAbort) });
}

/** An object a pass plans to load: where to take it up, and its lease row as the pass read it. */
interface Todo {
  obj: SourceObject;
  oc: ObjectCheckpoint;
  lease: LeaseRow | undefined;
}

/** Connections a load needs; opened once per run and closed at its end. */
export interface LoadResources {
  pool: Pool;
  redis: Redis;
}

export function openResources(config: Config, log?: Logger): LoadResources {
  const pool = createPool(config);
  // Fail fast while Redis is away (the sink retries); never queue commands unboundedly.
  const redis = createRedis(config, { role: 'loader', log, behaviour: { lazyConnect: false, enableOfflineQueue: true, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 100, 1000) } });
  return { pool, redis };
}

export async function closeResources(r: LoadResources, log?: Logger): Promise<void> {
  // Closing after the run's outcome is known: a failure here changes nothing in MySQL, so
  // it is reported, not thrown over the run's own result or error.
  await r.pool.end().catch((e: unknown) => log?.warn('closing the MySQL pool failed', { error: (e as Error).message }));
  r.redis.disconnect();
}

/**
 * Before the first batch: into an empty table, the spec's secondary indexes are left out
 * until the load finishes (core/src/db/deferred-indexes.ts). Never fatal: a load that cannot
 * drop them loads with them, only slower.
 */
async function deferIndexesForLoad(config: Config, pool: Pool, spec: ResolvedSpec, log: Logger): Promise<void> {
  if (config.mysql.deferIndexes === 'never') return;
  const d = await deferIndexes(pool, spec).catch((e: unknown) => {
    log.warn('could not drop the secondary indexes for the load; loading with them', { table: spec.table, error: (e as Error).message });
    return undefined;
  });
  if (!d) return;
  if (d.dropped.length > 0) log.info('secondary indexes dropped for this initial load; they are built when it finishes', { table: spec.table, indexes: d.dropped });
  if (d.missing.length > 0) log.info('secondary indexes missing (an interrupted initial load); they are built when this load finishes', { table: spec.table, indexes: d.missing });
  if (d.kept) log.debug('secondary indexes kept during the load', { table: spec.table, why: d.kept });
}

/** When every object is done: build the spec's secondary indexes the table lacks, in one pass. */
async function buildIndexesAfterLoad(pool: Pool, spec: ResolvedSpec, log: Logger, signal: AbortSignal): Promise<string[]> {
  const t0 = Date.now();
  const built = await retryWhileDown(() => buildMissingIndexes(pool, spec), { operation: 'mysql', signal, retryable: mysqlRetryable });
  if (built.length > 0) log.info('secondary indexes built', { table: spec.table, indexes: built, seconds: ((Date.now() - t0) / 1000).toFixed(1) });
  return built;
}

export async function runLoad(config: Config, opts: LoadOptions = {}): Promise<LoadSummary> {
  const log = opts.log ?? createLogger('loader');
  const metrics = opts.metrics ?? new LoaderMetrics();
  const signal = opts.signal ?? new AbortController().signal;
  const sourceUrl = opts.source ?? config.source;
  if (config.mirror.retentionBatches <= config.batch.pipelineDepth) {
    throw new UserError(`PIPEWARDEN_MIRROR_RETENTION_BATCHES (${config.mirror.retentionBatches}) must exceed PIPEWARDEN_PIPELINE_DEPTH (${config.batch.pipelineDepth})`);
  }
  // The dataset and its rules, read once: every batch's metrics and the summary name its columns.
  const spec = datasetOf(config);
  const rules = rulesFor(spec);
  const started = Date.now();
  // A compressed object's progress is its compressed bytes as they are read (its batches'
  // offsets are offsets into the decoded bytes).
  const source = openSource(sourceUrl, config, {
    log,
    onRetry: () => metrics.retries.inc({ operation: 's3' }),
    onEncodedBytes: (_obj, n) => {
      metrics.bytesRead.inc(n);
      emit({ bytesRead: progress.bytesRead + n });
    },
  });
  const releaseLock = acquireLoaderLock(config.wal.dir);
  const res = openResources(config, log);
  let wal: WalWriter | undefined;
  let throttle: Throttle | undefined;
  const progress: LoadProgress = { state: 'running', rowsIn: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0, bytesRead: 0, bytesTotal: 0, startedAt: started };
  const emit = (patch: Partial<LoadProgress> = {}) => {
    Object.assign(progress, patch);
    metrics.setState(progress.state);
    opts.onProgress?.({ ...progress });
  };
  const oddities = new OddityCounter();
  const columnsAbsent: Record<string, string[]> = {};
  // Progress in bytes of objects whose batches carry no byte offsets (the Spark engine):
  // how far the engine said its batches reach, per object.
  const engineBytes = new Map<string, number>();
  const run: RunFigures = { rows_in: 0, rows_loaded: 0, rows_rejected: 0, rows_duplicate: 0, batches_committed: 0, batches_skipped: 0, records_skipped: 0 };
  const reloaded = new Set<string>();
  // Objects whose ETag changed since or while they loaded, and what PIPEWARDEN_ON_CHANGE made of them.
  const changedObjects: Record<string, 'skipped' | 'reloaded'> = {};
  let relist = false;
  // Headers of split objects, read once per object version (key and ETag) for all of its ranges.
  const headers = new Map<string, string[]>();
  let objects: SourceObject[] = [];
  // Objects listed so far, and the totals of windows already proved (their checkpoint entries are gone).
  let listed = 0;
  const tallied = emptyTotals();
  let cp: Checkpoint = { version: 1, objects: {}, updatedAt: 0 };
  let movedAside: string | undefined;
  let indexesBuilt: string[] = [];
  try {
    wal = await WalWriter.open(config.wal.dir, 'loader', { fsync: config.wal.fsync, segmentBytes: config.wal.segmentBytes, retentionSeconds: config.wal.retentionSeconds });
    if (wal.truncatedBytes > 0) log.warn('WAL ended in a torn record; cut it off', { bytes: wal.truncatedBytes });
    const loaded = loadCheckpoint(config.wal.dir);
    cp = loaded.checkpoint;
    if (loaded.movedAside) {
      movedAside = loaded.movedAside.path;
      log.warn('the checkpoint was unusable and is moved aside; every object goes on from what the ledger holds', { problem: loaded.movedAside.problem, moved_to: movedAside });
    }
    // The source is listed, planned and proved a window of objects at a time, in key order
    // (PIPEWARDEN_LIST_WINDOW): a source of millions of objects is never held whole.
    const windowSize = config.loader.listWindow;
    let windowAfter: string | undefined;
    // Windows after the first are listed mid-load: S3 down then is waited out, as a read is.
    const listWindow = (after: string | undefined) =>
      retryWhileDown(() => source.list({ after, limit: windowSize }), {
        operation: 's3',
        signal,
        retryable: isRetryableS3Error,
        onRetry: (attempt, e) => attempt === 1 && log.warn('listing the source failed; retrying', { error: (e as Error).message }),
      });
    objects = await source.list({ limit: windowSize });
    await source.probe(objects, signal); // compressed objects are read decoded, and never cut into ranges
    progress.bytesTotal = bytesOf(objects);
    listed = objects.length;
    const engine = opts.engine ?? (await createEngine(config, rules, log));
    const method = await chooseWriteMethod(res.pool, config.mysql.writeMethod).catch((e) => {
      throw new UserError(`cannot reach MySQL at startup: ${(e as Error).message}`, 'check PIPEWARDEN_MYSQL_URL and that the server runs; `pipewarden migrate` creates the schema');
    });
    // Under innodb_flush_log_at_trx_commit=0/2 an acknowledged commit is durable only after the
    // server's next log flush: the run waits for it before its last proof (below).
    const durability = await logDurability(res.pool);
    let ledger = await ledgerRanges(
      res.pool,
      objects.map((o) => o.key),
      config.pipeline,
    ).catch((e) => {
      throw new UserError(`cannot read the batch ledger: ${(e as Error).message}`, '`pipewarden migrate` creates the schema');
    });
    await deferIndexesForLoad(config, res.pool, spec, log);
    const leases = new ObjectLeases(res.pool, config, log, signal, opts.worker);
    await leases.register(objects);
    await retryWhileDown(() => ensureHoldRow(res.pool, config.pipeline), { operation: 'mysql', signal, retryable: mysqlRetryable });
    const throttled = (throttle = new Throttle(config, res.redis, res.pool, metrics, log));
    const emitHolding = (object?: string) => emit({ worker: leases.owner, holding: leases.holding(), ...(object ? { object } : {}) });
    // The stores batches wait for: running again only once none is down (MySQL named first).
    const waitingFor = new Set<'mysql' | 'redis'>();
    const waitState = () => (waitingFor.has('mysql') ? 'waiting_mysql' : waitingFor.has('redis') ? 'waiting_redis' : 'running');
    const sink = new DualWriteSink(config, res.pool, res.redis, wal, method, metrics, log, {
      abandonedHold: opts.abandonedHold ?? 'stop',
      onWaiting: (what, e) => {
        log.warn(`${what} unavailable; waiting for it to come back`, { error: (e as Error).message });
        waitingFor.add(what);
        emit({ state: waitState(), lastError: `${what}: ${(e as Error).message}` });
      },
      onRecovered: (what) => {
        log.info(`${what} is back; resuming`);
        waitingFor.delete(what);
        emit({ state: waitState() });
      },
      onHeld: (e) => {
        log.warn('a reconcile run holds this pipeline; every loader waits for it', { run: e.runId, ...(e.error ? { failed: e.error } : {}) });
        emit({ state: 'paused', lastError: e.message });
      },
    });
    log.info('load starting', { pipeline: config.pipeline, source: source.url, objects: objects.length, bytes: progress.bytesTotal, engine: engine.name, method });
    emit();

    // A pass plans every object from the ledger and loads those it does not yet hold in full.
    // The database can lose batches while the run goes on (a crash under
    // innodb_flush_log_at_trx_commit=0/2, a backup restored under the loader), so the run
    // ends only when a pass finds every object done: the last pass proves them all.
    let committedWhenDurable = 0;
    let lossyPasses = 0;
    let vanished = false;
    // Objects this run finished: one found unfinished again means the database lost batches.
    const finished = new Set<string>();
    for (let firstWindow = true; ; firstWindow = false) {
      await proveWindow(firstWindow);
      if (signal.aborted || objects.length < windowSize) break;
      // The window is proved: its objects' totals are kept as sums, their checkpoint entries
      // dropped (the ledger and the objects' done marks answer for them on a rerun).
      windowAfter = objects[objects.length - 1].key;
      closeWindow(objects);
      objects = await listWindow(windowAfter);
      if (objects.length === 0) break;
      await source.probe(objects, signal);
      listed += objects.length;
      progress.bytesTotal += bytesOf(objects);
      await leases.register(objects);
      log.info('next window of the listing', { after: windowAfter, objects: objects.length, listed });
      emit();
    }

    /** Plan the window's objects from the ledger, load what it lacks, until a pass proves them all. */
    async function proveWindow(firstWindow: boolean): Promise<void> {
      for (let pass = 1; ; pass++) {
        if (pass > 1) {
          sink.startPass();
          if (relist) {
            // An object changed while it loaded (PIPEWARDEN_ON_CHANGE=reload): take its new version.
            relist = false;
            const was = objects;
            objects = await listWindow(windowAfter);
            await source.probe(objects, signal);
            await leases.register(objects);
            listed += objects.length - was.length;
            progress.bytesTotal += bytesOf(objects) - bytesOf(was);
          }
        }
        if (pass > 1 || !firstWindow) ledger = await retryWhileDown(() => ledgerRanges(res.pool, objects.map((o) => o.key), config.pipeline), { operation: 'mysql', signal, retryable: mysqlRetryable });
        const leaseOf = await leases.rows(objects);
        const todo: Todo[] = [];
        let lost = vanished;
        vanished = false;
        const changedNow: string[] = [];
        for (const obj of objects) {
          if (changedObjects[obj.key] === 'skipped') continue;
          const was = changedFrom(obj, cp.objects[obj.key], ledger.get(obj.key));
          if (was !== undefined && !onChange(obj, was, 'since it was loaded')) {
            if (config.onChange === 'fail') changedNow.push(`${obj.key} (ETag ${was} → ${obj.etag})`);
            continue;
          }
          const ranges = ledger.get(obj.key)?.get(obj.etag) ?? [];
          const oc = (cp.objects[obj.key] = planObject(obj, cp.objects[obj.key], ranges, leaseOf.get(obj.key)));
          if (pass === 1) progress.bytesRead += oc.done ? obj.size : obj.encoding ? 0 : oc.nextByte;
          if (oc.done) continue;
          const mark = leaseOf.get(obj.key);
          todo.push({ obj, oc, lease: mark });
          if (finished.delete(obj.key)) lost = true;
          if (mark?.etag === obj.etag && mark.doneRecords !== null) await leases.reopen(obj, mark.doneRecords);
        }
        if (changedNow.length > 0) {
          throw new UserError(
            `${changedNow.length} object(s) changed since they were loaded: ${changedNow.slice(0, 3).join(', ')}${changedNow.length > 3 ? ', …' : ''}; nothing of them was written`,
            'set PIPEWARDEN_ON_CHANGE=reload to load the new versions (their rows go through the duplicate policy; the old versions\' batches stay) or skip to leave them, or restore the old versions',
          );
        }
        if (todo.length === 0) {
          // Every object is in the ledger. Under relaxed durability the commits of this run may
          // still vanish in a crash: wait until they are on the server's disk, then prove again,
          // so "finished" never stands for rows a crash a moment later takes away.
          if (durability.flushAtCommit === 1 || run.batches_committed === committedWhenDurable) break;
          committedWhenDurable = run.batches_committed;
          const how = await retryWhileDown(() => waitForLogFlush(res.pool, durability, (ms) => sleep(ms, signal)), { operation: 'mysql', signal, retryable: mysqlRetryable });
          if (how === 'lsn-late') log.warn('MySQL had not flushed its log after five flush intervals; proving the objects against the ledger anyway', { innodb_flush_log_at_trx_commit: durability.flushAtCommit });
          continue;
        }
        if (lost && ++lossyPasses >= MAX_LOAD_PASSES) {
          throw new UserError(
            `the database lost committed batches of ${todo.length} object(s) again and again during this run (${todo.map((t) => t.obj.key).slice(0, 3).join(', ')})`,
            'check the MySQL server (crashes, restores, innodb_flush_log_at_trx_commit) and run the load again: what the ledger holds is skipped',
          );
        }
        const held = await loadClaimable(todo);
        if (signal.aborted) break;
        if (held.claimed === 0 && held.elsewhere > 0) {
          // Everything left is another loader's for now: look again shortly (a lease that is
          // not renewed expires, and its object is then taken over here).
          if (pass === 1 || pass % 30 === 0) log.info('the objects left are held by other loaders; waiting for them to finish or lapse', { objects: held.elsewhere, worker: leases.owner });
          await sleep(HELD_POLL_MS, signal).catch(() => undefined);
          if (signal.aborted) break;
        }
      }
    }

    /** Fold a proved window into the run's totals and drop its objects from the checkpoint. */
    function closeWindow(window: SourceObject[]): void {
      for (const o of window) {
        // What the run keeps per object ends with its window, so memory holds one window.
        finished.delete(o.key);
        engineBytes.delete(o.key);
        headers.delete(`${o.key}\0${o.etag}`);
        const oc = cp.objects[o.key];
        if (!oc) continue;
        addTotals(tallied, oc);
        if (oc.done) delete cp.objects[o.key];
      }
      source.forget(window);
      cp.provedThrough = window[window.length - 1].key;
      writeCheckpoint(config.wal.dir, cp, config.wal.fsync !== 'never');
    }

    await sink.trim();
    try {
      wal.removeResolvedSegments(readWalState(config.wal.dir));
    } catch (e) {
      log.warn('could not prune WAL segments', { error: (e as Error).message });
    }
    if (signal.aborted) throw new AbortedError();
    indexesBuilt = await buildIndexesAfterLoad(res.pool, spec, log, signal);

    /**
     * Load each object of the pass whose lease this loader gets; objects other loaders hold
     * are left to them. A lost lease leaves the object to its new holder; a lost batch ends
     * the pass (the next one starts from what the ledger holds).
     */
    async function loadClaimable(todo: Todo[]): Promise<{ claimed: number; elsewhere: number }> {
      let claimed = 0;
      let elsewhere = 0;
      for (const { obj, oc, lease } of todo) {
        if (splits(obj, lease)) {
          try {
            const r = await loadSplit(obj, oc, lease);
            claimed += r.claimed;
            elsewhere += r.elsewhere;
          } catch (e) {
            if (afterFailure(e, obj, obj.key) === 'leave') continue;
            break;
          }
          if (vanished || relist || signal.aborted) break;
          continue;
        }
        const claim = await leases.claim(obj);
        if (claim.result === 'held') elsewhere++;
        if (claim.result !== 'claimed') continue; // done by another loader since the plan: the next pass proves it
        claimed++;
        noteTakeover(obj.key, claim);
        emitHolding(obj.key);
        try {
          await loadObject(obj, oc);
          if (oc.done) {
            await leases.finish(obj, oc.nextRecord - 1);
            finished.add(obj.key);
          }
        } catch (e) {
          if (afterFailure(e, obj, obj.key) === 'leave') continue;
          break;
        } finally {
          if (!oc.done) await leases.release(obj);
          emitHolding();
        }
        if (signal.aborted) break;
      }
      return { claimed, elsewhere };
    }

    /**
     * The version of an object the database or this host loaded before, when the listed one
     * is another and has no batch in the ledger yet (a new version begun earlier goes on).
     */
    function changedFrom(obj: SourceObject, cached: ObjectCheckpoint | undefined, byEtag: Map<string, LedgerRange[]> | undefined): string | undefined {
      if (byEtag?.get(obj.etag)?.length) return undefined;
      if (cached && cached.etag !== obj.etag && (cached.rowsIn > 0 || cached.nextRecord > 1)) return cached.etag;
      for (const etag of byEtag?.keys() ?? []) if (etag !== obj.etag) return etag;
      return undefined;
    }

    /**
     * PIPEWARDEN_ON_CHANGE for an object whose ETag changed (`when`: since it was loaded, or
     * while it loaded): true when it loads (reload), false when it does not (skip; fail, for
     * which the caller raises the error).
     */
    function onChange(obj: SourceObject, was: string, when: string): boolean {
      const policy = config.onChange;
      if (policy === 'fail') return false;
      const action = policy === 'skip' ? 'skipped' : 'reloaded';
      if (changedObjects[obj.key] !== action) {
        changedObjects[obj.key] = action;
        metrics.objectsChanged.inc({ action });
        log.warn(policy === 'skip' ? `object changed ${when}; skipped (PIPEWARDEN_ON_CHANGE=skip): what was loaded of it stays` : `object changed ${when}; loading the new version (PIPEWARDEN_ON_CHANGE=reload)`, { object: obj.key, was, now: obj.etag });
      }
      return policy === 'reload';
    }

    /**
     * What a failed load of an object (or a range of one) means for the pass: another loader
     * holds it now (leave it, go on), the object changed while it loaded (by
     * PIPEWARDEN_ON_CHANGE: fail, leave it, or end the pass so the next one lists its new
     * version), or the ledger lost batches (end the pass: the next one starts from what the
     * ledger holds); anything else is the run's error.
     */
    function afterFailure(e: unknown, obj: SourceObject, what: string): 'leave' | 'end-pass' {
      if (e instanceof ObjectChangedError) {
        if (!onChange(obj, e.was, 'while it loaded')) {
          if (config.onChange === 'fail') throw e;
          return 'leave';
        }
        relist = true;
        return 'end-pass';
      }
      if (e instanceof LeaseLostError) {
        log.warn('another loader holds this now; leaving it', { object: what, worker: leases.owner });
        return 'leave';
      }
      if (!(e instanceof BatchVanishedError)) throw e;
      log.warn('the batch ledger lost batches this run had committed; starting again from what the ledger holds (a crash under innodb_flush_log_at_trx_commit=0/2, or a restored backup)', { object: what, batch: e.batchId });
      vanished = true;
      return 'end-pass';
    }

    function noteTakeover(what: string, claim: { tookOverFrom?: string; ownSeat?: boolean }): void {
      if (claim.tookOverFrom && claim.ownSeat) {
        log.info('took back an object an earlier loader on this run folder held when it stopped', { object: what, from: claim.tookOverFrom, worker: leases.owner });
      } else if (claim.tookOverFrom) {
        log.warn("took over an object whose loader's lease lapsed; resuming it from the ledger", { object: what, from: claim.tookOverFrom, worker: leases.owner });
        metrics.leaseTakeovers.inc();
      }
    }

    /** Objects cut into ranges: large ones when PIPEWARDEN_RANGE_BYTES is set, and any another loader began cutting. */
    function splits(obj: SourceObject, lease: LeaseRow | undefined): boolean {
      if (engine.name !== 'inline') return false; // Spark parallelizes an object itself
      if (obj.encoding) return false; // a compressed stream is read from its top: a range could only be reached by decoding all before it
      if (obj.format === 'parquet') return false; // its row groups are its parts, read by one loader
      return (config.loader.rangeBytes > 0 && obj.size > config.loader.rangeBytes) || (lease?.etag === obj.etag && lease.split !== null);
    }

    /**
     * A large object cut into ranges (core/src/db/ranges.ts): find its ranges unless they all
     * are (holding the object's lease), then load free ranges until none is left to claim.
     * Other loaders do the same at once, so the object loads in parallel.
     */
    async function loadSplit(obj: SourceObject, oc: ObjectCheckpoint, lease: LeaseRow | undefined): Promise<{ claimed: number; elsewhere: number }> {
      let claimed = 0;
      // Another loader registered a newer version of the object than this run listed: its
      // ranges are that version's, and this loader's reads would be refused anyway.
      if (lease !== undefined && lease.etag !== obj.etag) throw new ObjectChangedError(obj.key, obj.etag, lease.etag);
      if (lease?.split !== 1) {
        const claim = await leases.claim(obj);
        if (claim.result === 'done') return { claimed: 0, elsewhere: 0 };
        if (claim.result === 'claimed') {
          claimed++;
          noteTakeover(obj.key, claim);
          emitHolding(obj.key);
          try {
            await findObjectRanges(obj, oc);
          } catch (e) {
            if (!(e instanceof LeaseLostError)) throw e;
            log.warn('another loader holds this object now; it goes on finding its ranges', { object: obj.key, worker: leases.owner });
          } finally {
            await leases.release(obj);
            emitHolding();
          }
        }
      }
      await reopenUnconfirmedRanges(obj);
      while (!signal.aborted && changedObjects[obj.key] !== 'skipped') {
        const claim = await leases.claimRange(obj);
        const range = claim.range;
        if (!range) break;
        claimed++;
        noteTakeover(leaseLabel(obj.key, range), claim);
        emitHolding(obj.key);
        let done = false;
        try {
          done = await loadRange(obj, range);
          if (done && (await leases.finishRange(obj, range))) finished.add(obj.key);
        } catch (e) {
          if (afterFailure(e, obj, leaseLabel(obj.key, range)) === 'leave') continue;
          break;
        } finally {
          if (!done) await leases.release(obj, range);
          emitHolding();
        }
      }
      // Nothing left to claim: if every range is done, the object is (its last range's loader
      // may have died between marking the range and the object).
      if (!signal.aborted && changedObjects[obj.key] !== 'skipped' && (await leases.finishSplit(obj))) {
        finished.add(obj.key);
        claimed++;
      }
      return { claimed, elsewhere: claimed === 0 ? 1 : 0 };
    }

    /** Find the object's ranges, from the last one published (a finder that stopped) or its top. */
    async function findObjectRanges(obj: SourceObject, oc: ObjectCheckpoint): Promise<void> {
      const known = await leases.ranges(obj);
      const last = known[known.length - 1];
      const from = last ? { firstRecord: last.firstRecord + last.records, byte: last.endByte, line: last.nextLine } : { firstRecord: 1, byte: 0, line: 1 };
      const ctl = childAbort(signal);
      const lease = leases.hold(obj, () => ctl.abort());
      const t0 = Date.now();
      try {
        const found = await findRanges(source, obj, from, {
          batchSize: last?.batchSize ?? oc.batchSize,
          rangeBytes: config.loader.rangeBytes,
          signal: ctl.signal,
          publish: (ranges, complete) => leases.publish(obj, ranges, complete),
        });
        if (lease.lost) throw new LeaseLostError(obj.key, leases.owner);
        if (signal.aborted) return;
        await leases.finishSplit(obj); // an object whose records are all blank lines has no range to finish
        log.info('object cut into ranges for the loaders to share', { object: obj.key, ranges: known.length + found, from_record: from.firstRecord, seconds: ((Date.now() - t0) / 1000).toFixed(1) });
      } catch (e) {
        // Losing the lease aborts the read: what happened is the lost lease, not the abort.
        throw lease.lost && !signal.aborted ? new LeaseLostError(obj.key, leases.owner) : e;
      } finally {
        lease.stop();
        ctl.detach();
      }
    }

    /**
     * A range's done mark counts only while the ledger holds its batches: a server that lost
     * them (a crash under relaxed durability, a restored backup) gets them loaded again. The
     * ledger is read after the marks, so a range another loader just finished is confirmed.
     */
    async function reopenUnconfirmedRanges(obj: SourceObject): Promise<void> {
      const done = (await leases.ranges(obj)).filter((r) => r.doneRecords !== null);
      if (done.length === 0) return;
      const batches = (await retryWhileDown(() => ledgerRanges(res.pool, [obj.key], config.pipeline), { operation: 'mysql', signal, retryable: mysqlRetryable })).get(obj.key)?.get(obj.etag) ?? [];
      for (const r of done) {
        const end = r.firstRecord + r.records;
        if (ledgerRun(batches, r.firstRecord, end).nextRecord !== end) await leases.reopenRange(obj, r);
      }
    }

    /** Load one range from where the ledger's batches in it end; true once it is whole in the ledger. */
    async function loadRange(obj: SourceObject, range: RangeRow): Promise<boolean> {
      const end = range.firstRecord + range.records;
      const batches = (await retryWhileDown(() => ledgerRanges(res.pool, [obj.key], config.pipeline), { operation: 'mysql', signal, retryable: mysqlRetryable })).get(obj.key)?.get(obj.etag) ?? [];
      const run = ledgerRun(batches, range.firstRecord, end);
      if (run.nextRecord >= end) return true;
      const at = run.resume && run.nextRecord > range.firstRecord ? { nextRecord: run.nextRecord, nextByte: run.resume.nextByte, nextLine: run.resume.nextLine } : { nextRecord: range.firstRecord, nextByte: range.startByte, nextLine: range.startLine };
      const version = `${obj.key}\0${obj.etag}`;
      let header = headers.get(version);
      if (!header) headers.set(version, (header = await readHeader(source, obj, signal)));
      const rc: ObjectCheckpoint = { ...emptyObjectCheckpoint(obj, range.batchSize), ...at, header };
      await loadObject(obj, rc, range);
      return rc.done;
    }

    /** Load an object (its checkpoint `oc`), or one range of it (`oc` then the range's own, kept in memory only). */
    async function loadObject(obj: SourceObject, oc: ObjectCheckpoint, range?: RangeRow): Promise<void> {
      const inflight: { draft: BatchDraft; done: Promise<BatchOutcome> }[] = [];
      const settle = async () => {
        const head = inflight.shift()!;
        const out = await head.done;
        advance(obj, oc, head.draft, out);
        // Fsynced per batch only under wal.fsync=always: a checkpoint that falls behind (or
        // is lost) after a power cut only makes the next run replay batches the ledger skips.
        if (!range) writeCheckpoint(config.wal.dir, cp, config.wal.fsync === 'always');
        await sink.trim();
      };
      const ctl = childAbort(signal);
      const lease = leases.hold(obj, () => ctl.abort(), range);
      try {
        // A position from the ledger (no checkpoint here) comes without the header.
        if (oc.nextByte > 0 && !oc.header.length) oc.header = await readHeader(source, obj, ctl.signal);
        const start: EngineStart = { nextRecord: oc.nextRecord, nextByte: oc.nextByte, nextLine: oc.nextLine, header: oc.header.length ? oc.header : undefined, batchSize: oc.batchSize };
        if (range) start.end = { byte: range.endByte, record: range.firstRecord + range.records };
        for await (const draft of engine.batches(source, obj, start, ctl.signal)) {
          if (draft.header.length && !oc.header.length) oc.header = draft.header;
          if (draft.src.records === 0) {
            if (draft.last) oc.done = true;
            continue;
          }
          await throttled.beforeBatch(draft.keys.length, draft.tsv.length, ctl.signal);
          const done = sink.write(draft, ctl.signal, lease.fence);
          done.catch(() => undefined);
          inflight.push({ draft, done });
          if (inflight.length >= config.batch.pipelineDepth) await settle();
        }
        while (inflight.length > 0) await settle();
        if (lease.lost) throw new LeaseLostError(obj.key, leases.owner);
        if (!signal.aborted) {
          oc.done = true;
          // Done means every byte read: what lies after the last record (and, for an engine
          // without byte offsets, what its last, empty batch would have reported).
          const rest = (range ? range.endByte : obj.size) - (engineBytes.get(obj.key) ?? oc.nextByte);
          if (rest > 0 && !obj.encoding) {
            metrics.bytesRead.inc(rest);
            emit({ bytesRead: progress.bytesRead + rest });
          }
          if (!range) writeCheckpoint(config.wal.dir, cp, config.wal.fsync !== 'never');
        }
      } catch (e) {
        ctl.abort();
        // Let in-flight batches finish or fail before the connections close.
        await Promise.allSettled(inflight.map((x) => x.done));
        throw lease.lost && !signal.aborted ? new LeaseLostError(obj.key, leases.owner) : e;
      } finally {
        lease.stop();
        ctl.detach();
      }
    }

    /**
     * Where to take up an object: its checkpoint as far as the ledger confirms it, else its
     * top, cut with the batch size of its ledger batches (the configured one if none).
     */
    function planObject(obj: SourceObject, cached: ObjectCheckpoint | undefined, ranges: LedgerRange[], lease: LeaseRow | undefined): ObjectCheckpoint {
      let geometry;
      try {
        // When the ledger knows one batch only, the size this object version was begun with
        // (its checkpoint's), else the configured one, settles whether it is full or the tail.
        geometry = batchGeometry(ranges, [cached?.etag === obj.etag ? cached.batchSize : undefined, config.batch.size]);
      } catch (e) {
        throw new UserError(`${obj.key}: ${(e as Error).message}`, 'the ledger must tell one batch size per object version: run `pipewarden verify` on this object, and reload it into a fresh schema if rows are missing');
      }
      let oc = cached;
      if (oc && oc.etag !== obj.etag) {
        log.warn('object changed since its last load; loading the new version from the start', { object: obj.key, was: oc.etag, now: obj.etag });
        oc = undefined;
      }
      if (oc && oc.nextRecord > geometry.contiguousEnd) {
        // The checkpoint says records up to nextRecord are in; the ledger lacks some of them
        // (a restored or recreated database, or commits lost by a crash under
        // innodb_flush_log_at_trx_commit=0/2).
        log.warn('the database knows less than the checkpoint; loading the object again from where the ledger\'s batches end', {
          object: obj.key,
          checkpoint_records: oc.nextRecord - 1,
          ledger_records_from_top: geometry.contiguousEnd - 1,
        });
        reloaded.add(obj.key);
        oc = undefined;
      }
      // A single short ledger batch ending where the checkpoint ends is the object's whole
      // content: any batch size at least its length cuts it the same way.
      const wholeObject = oc !== undefined && oc.done && ranges.length === 1 && geometry.contiguousEnd === oc.nextRecord && oc.batchSize >= geometry.records;
      if (oc && geometry.batchSize !== undefined && oc.batchSize !== geometry.batchSize && !wholeObject) {
        log.warn('the checkpoint cuts the object unlike its ledger batches; reading it again from the top with their batch size', { object: obj.key, checkpoint: oc.batchSize, ledger: geometry.batchSize });
        oc = undefined;
      }
      if (oc && !oc.done && oc.nextRecord > 1 && oc.engine !== undefined && oc.engine !== engine.name) {
        // Spark batches carry no byte offsets: start the object again; the ledger skips what is in.
        log.warn('object was begun by another engine; reading it again from the start', { object: obj.key, was: oc.engine, now: engine.name });
        oc = undefined;
      }
      const batchSize = geometry.batchSize ?? oc?.batchSize ?? config.batch.size;
      if (!oc && batchSize !== config.batch.size) {
        log.warn('object keeps its original batch size (the one of its batches in the ledger), not the configured one', { object: obj.key, batch_size: batchSize, configured: config.batch.size });
      }
      oc = fromLedger(obj, oc, ranges, batchSize, lease);
      oc.engine = engine.name;
      return oc;
    }

    /**
     * The ledger is the durable truth, the checkpoint this host's cache of it: an object
     * another loader finished (its lease says done with a record count the ledger confirms)
     * is done here too, and an object the ledger holds further than the checkpoint (begun
     * by another loader, or on a host whose run folder is gone) resumes where the ledger's
     * run of batches ends, without reading them again. Spark batches carry no byte offsets:
     * such an object is read from its top and the ledger skips its batches. A Parquet
     * object's batches carry none either, but it is entered at any row.
     */
    function fromLedger(obj: SourceObject, oc: ObjectCheckpoint | undefined, ranges: LedgerRange[], batchSize: number, lease: LeaseRow | undefined): ObjectCheckpoint {
      if (oc?.done) return oc;
      const run = ledgerRun(ranges);
      const doneElsewhere = lease?.etag === obj.etag && lease.doneRecords !== null && lease.doneRecords === run.nextRecord - 1;
      // A Parquet object is entered at any row (its row groups are indexed): the ledger's run end is enough.
      const byRow = obj.format === 'parquet';
      const further = (run.resume !== undefined || byRow) && engine.name === 'inline' && run.nextRecord > (oc?.nextRecord ?? 1);
      if (!doneElsewhere && !further) return oc ?? emptyObjectCheckpoint(obj, batchSize);
      const resumeAt = run.resume ?? { nextByte: 0, nextLine: run.nextRecord };
      const at = further ? { nextRecord: run.nextRecord, ...resumeAt } : { nextRecord: run.nextRecord, nextByte: obj.size, nextLine: oc?.nextLine ?? 1 };
      return {
        ...emptyObjectCheckpoint(obj, batchSize),
        ...at,
        header: oc?.header ?? [],
        done: doneElsewhere,
        rowsIn: run.rowsIn,
        rowsLoaded: run.rowsLoaded,
        rowsDuplicate: run.rowsDuplicate,
        rowsRejected: run.rowsRejected,
      };
    }

    function advance(obj: SourceObject, oc: ObjectCheckpoint, draft: BatchDraft, out: BatchOutcome): void {
      const prevByte = oc.nextByte;
      const prevEngineBytes = engineBytes.get(draft.src.key) ?? 0;
      if (draft.src.endByte < 0) engineBytes.set(draft.src.key, Math.max(prevEngineBytes, draft.bytesRead));
      oc.nextRecord = draft.src.firstRecord + draft.src.records;
      if (draft.src.endByte >= 0) oc.nextByte = draft.src.endByte;
      if (draft.nextLine !== undefined) oc.nextLine = draft.nextLine;
      oc.rowsIn += out.records;
      oc.rowsLoaded += out.inserted;
      oc.rowsDuplicate += out.duplicate;
      oc.rowsRejected += out.rejected;
      if (draft.last) oc.done = true;
      if (out.result === 'committed') {
        run.batches_committed++;
        run.rows_in += out.records;
        run.rows_loaded += out.inserted;
        run.rows_rejected += out.rejected;
        run.rows_duplicate += out.duplicate;
      } else {
        run.batches_skipped++;
        run.records_skipped += out.records;
      }
      const byReason = (oc.rejectedByReason ??= {});
      for (const d of draft.rejects) byReason[d.reason] = (byReason[d.reason] ?? 0) + 1;
      oddities.add(draft.oddities);
      draft.oddities.counts.forEach((c, i) => c > 0 && metrics.fieldsNulled.inc({ column: rules.columnNames[i] }, c));
      if (draft.src.firstRecord === 1 && draft.absent?.length && !columnsAbsent[draft.src.key]) {
        columnsAbsent[draft.src.key] = draft.absent;
        for (const column of draft.absent) metrics.columnsAbsent.inc({ column });
        log.warn("the object's header lacks optional columns; they load as NULL", { object: draft.src.key, absent: draft.absent });
      }
      metrics.rowsIn.inc(out.records);
      metrics.rowsLoaded.inc(out.inserted);
      metrics.rowsDuplicate.inc(out.duplicate);
      for (const d of draft.rejects) metrics.rowsRejected.inc({ reason: d.reason });
      const bytes = Math.max(0, draft.src.endByte >= 0 ? draft.src.endByte - prevByte : draft.bytesRead - prevEngineBytes);
      // A compressed object's stored bytes are counted as the source reads them (openSource above).
      if (obj.encoding) metrics.decodedBytes.inc(bytes);
      else metrics.bytesRead.inc(bytes);
      emit({
        rowsIn: progress.rowsIn + out.records,
        rowsLoaded: progress.rowsLoaded + out.inserted,
        rowsDuplicate: progress.rowsDuplicate + out.duplicate,
        rowsRejected: progress.rowsRejected + out.rejected,
        bytesRead: progress.bytesRead + (obj.encoding ? 0 : bytes),
      });
    }
  } catch (e) {
    emit({ state: signal.aborted ? 'stopping' : 'failed', lastError: (e as Error).message });
    throw e;
  } finally {
    // A WAL that cannot close has already failed an append (and the run with it), or lost
    // only commit records that are re-derived from the ledger: say so, keep the run's result.
    await wal?.close().catch((e: unknown) => log.warn('closing the WAL failed', { error: (e as Error).message }));
    await throttle?.close();
    await closeResources(res, log);
    source.close();
    releaseLock();
  }

  // The summary covers the whole source: the proved windows' sums and the last window's checkpoints.
  const totals = { ...tallied, rejectedByReason: { ...tallied.rejectedByReason } };
  for (const o of objects) if (cp.objects[o.key]) addTotals(totals, cp.objects[o.key]);
  const seconds = (Date.now() - started) / 1000;
  const summary: LoadSummary = {
    pipeline: config.pipeline,
    source: source.url,
    engine: config.engine,
    objects: listed,
    rows_in: totals.rowsIn,
    rows_loaded: totals.rowsLoaded,
    rows_rejected: totals.rowsRejected,
    rows_duplicate: totals.rowsDuplicate,
    rejected_by_reason: totals.rejectedByReason,
    fields_nulled: oddities.byColumn(rules.columnNames),
    dataset: { name: spec.name, table: spec.table },
    columns_absent: columnsAbsent,
    batches_committed: run.batches_committed,
    batches_skipped: run.batches_skipped,
    this_run: run,
    objects_reloaded: [...reloaded],
    objects_changed: changedObjects,
    indexes_built: indexesBuilt,
    ...(movedAside ? { checkpoint_moved_aside: movedAside } : {}),
    bytes: progress.bytesTotal,
    seconds,
    rows_per_second: progress.rowsIn / Math.max(seconds, 1e-3),
    balanced: false,
  };
  summary.balanced = summary.rows_in === summary.rows_loaded + summary.rows_rejected + summary.rows_duplicate;
  emit({ state: 'finished' });
  log.info('load finished', { rows_in: summary.rows_in, rows_loaded: summary.rows_loaded, rows_rejected: summary.rows_rejected, rows_duplicate: summary.rows_duplicate, seconds: seconds.toFixed(1) });
  return summary;
}
