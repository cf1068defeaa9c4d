// The open phase of a load run: everything the later phases work with — the WAL, the
// checkpoint, the first window of the listing with its ledger batches, the engine, the sink,
// the leases and the throttle — opened once, in an order that names the first thing missing
// (the source, then MySQL, then the schema), and closed at the run's end whatever happened.
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { Pool } from 'mysql2/promise';
import {
  LockHeldError,
  UserError,
  WalWriter,
  acquireLockFile,
  createPool,
  createRedis,
  deferIndexes,
  ensureHoldRow,
  ledgerRanges,
  loadCheckpoint,
  logDurability,
  writeCheckpoint,
  type Checkpoint,
  type Config,
  type LedgerRange,
  type LogDurability,
  type Logger,
  type ResolvedSpec,
  type RowRules,
} from '@pipewarden/core';
import { InlineEngine } from '../engine/inline';
import type { Engine } from '../engine/types';
import { ObjectLeases } from '../leases';
import type { LoaderMetrics } from '../metrics';
import { whileMysqlDown } from '../retry';
import { DualWriteSink, chooseWriteMethod, type SinkOptions } from '../sink';
import { Throttle } from '../throttle';
import type { DecodingSource, SourceObject } from '../source';
import { ObjectChanges } from './changes';
import { LoadTally } from './tally';
import type { LoadOptions } from './types';

/** The ledger's batches of listed objects: key → ETag → batches. */
export type LedgerMap = Map<string, Map<string, LedgerRange[]>>;

/** The ledger's batches of these objects, read again (waiting while MySQL is away). */
export function ledgerOf(s: LoadSession, keys: readonly string[]): Promise<LedgerMap> {
  return whileMysqlDown(() => ledgerRanges(s.pool, keys, s.config.pipeline), s.signal);
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

/** This host's checkpoint of the run (a cache of the ledger): the state the passes update, and when it is written. */
class RunCheckpoint {
  constructor(
    private readonly dir: string,
    readonly state: Checkpoint,
    private readonly fsync: Config['wal']['fsync'],
  ) {}

  /**
   * After each batch settled. Fsynced only under wal.fsync=always: a checkpoint that falls
   * behind (or is lost) after a power cut only makes the next run replay batches the ledger skips.
   */
  saveBatch(): void {
    writeCheckpoint(this.dir, this.state, this.fsync === 'always');
  }

  /** At an object's or a window's end: fsynced unless wal.fsync=never. */
  save(): void {
    writeCheckpoint(this.dir, this.state, this.fsync !== 'never');
  }
}

/** What the run closes at its end, whatever happened: filled in as the open phase gets it. */
export class RunResources {
  readonly pool: Pool;
  readonly redis: Redis;
  wal?: WalWriter;
  throttle?: Throttle;
  private readonly releaseLock: () => void;

  constructor(
    config: Config,
    readonly source: DecodingSource,
    private readonly log: Logger,
  ) {
    this.releaseLock = acquireLoaderLock(config.wal.dir);
    this.pool = createPool(config);
    // Fail fast while Redis is away (the sink retries); never queue commands unboundedly.
    this.redis = createRedis(config, { role: 'loader', log, behaviour: { lazyConnect: false, enableOfflineQueue: true, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 100, 1000) } });
  }

  async close(): Promise<void> {
    const { log } = this;
    // Closing after the run's outcome is known: a failure here changes nothing in MySQL, so
    // it is reported, not thrown over the run's own result or error. A WAL that cannot close
    // has already failed an append (and the run with it), or lost only commit records that
    // are re-derived from the ledger.
    await this.wal?.close().catch((e: unknown) => log.warn('closing the WAL failed', { error: (e as Error).message }));
    await this.throttle?.close();
    await this.pool.end().catch((e: unknown) => log.warn('closing the MySQL pool failed', { error: (e as Error).message }));
    this.redis.disconnect();
    this.source.close();
    this.releaseLock();
  }
}

/** Everything the plan, write and finish phases of one run work with. */
export interface LoadSession {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: LoaderMetrics;
  readonly signal: AbortSignal;
  readonly spec: ResolvedSpec;
  readonly rules: RowRules;
  readonly source: DecodingSource;
  readonly pool: Pool;
  readonly wal: WalWriter;
  readonly engine: Engine;
  readonly sink: DualWriteSink;
  readonly throttle: Throttle;
  readonly leases: ObjectLeases;
  readonly durability: LogDurability;
  readonly tally: LoadTally;
  readonly checkpoint: RunCheckpoint;
  readonly changes: ObjectChanges;
  /** Where an unusable checkpoint was moved (positions are then rebuilt from the ledger). */
  readonly movedAside?: string;
  /** The first window of the listing, and the ledger's batches of its objects. */
  readonly first: { objects: SourceObject[]; ledger: LedgerMap };
}

/** What the caller made before the open phase: the run's parts that exist from its first moment. */
export interface SessionBase {
  config: Config;
  opts: LoadOptions;
  log: Logger;
  metrics: LoaderMetrics;
  signal: AbortSignal;
  spec: ResolvedSpec;
  rules: RowRules;
  tally: LoadTally;
  resources: RunResources;
}

export async function openSession(base: SessionBase): Promise<LoadSession> {
  const { config, log, signal, resources: res, tally } = base;
  const wal = (res.wal = await WalWriter.open(config.wal.dir, 'loader', { fsync: config.wal.fsync, segmentBytes: config.wal.segmentBytes, retentionSeconds: config.wal.retentionSeconds }));
  if (wal.truncatedBytes > 0) log.warn('WAL ended in a torn record; cut it off', { bytes: wal.truncatedBytes });
  const loaded = loadCheckpoint(config.wal.dir);
  const movedAside = loaded.movedAside?.path;
  if (loaded.movedAside) log.warn('the checkpoint was unusable and is moved aside; every object goes on from what the ledger holds', { problem: loaded.movedAside.problem, moved_to: movedAside });
  const objects = await res.source.list({ limit: config.loader.listWindow });
  await res.source.probe(objects, signal); // compressed objects are read decoded, and never cut into ranges
  tally.progress.bytesTotal = objects.reduce((a, o) => a + o.size, 0);
  const engine = base.opts.engine ?? (await createEngine(config, base.rules, log));
  const method = await chooseWriteMethod(res.pool, config.mysql.writeMethod).catch((e) => {
    throw new UserError(`cannot reach MySQL at startup: ${(e as Error).message}`, 'check PIPEWARDEN_MYSQL_URL and that the server runs; `pipewarden migrate` creates the schema');
  });
  // Under innodb_flush_log_at_trx_commit=0/2 an acknowledged commit is durable only after the
  // server's next log flush: the run waits for it before its last proof (passes.ts).
  const durability = await logDurability(res.pool);
  const ledger = await ledgerRanges(res.pool, objects.map((o) => o.key), config.pipeline).catch((e) => {
    throw new UserError(`cannot read the batch ledger: ${(e as Error).message}`, '`pipewarden migrate` creates the schema');
  });
  await deferIndexesForLoad(config, res.pool, base.spec, log);
  const leases = new ObjectLeases(res.pool, config, log, signal, base.opts.worker);
  await leases.register(objects);
  await whileMysqlDown(() => ensureHoldRow(res.pool, config.pipeline), signal);
  const throttle = (res.throttle = new Throttle(config, res.redis, res.pool, base.metrics, log));
  const sink = new DualWriteSink(config, res.pool, res.redis, wal, method, base.metrics, log, sinkEvents(base));
  log.info('load starting', { pipeline: config.pipeline, source: res.source.url, objects: objects.length, bytes: tally.progress.bytesTotal, engine: engine.name, method });
  return {
    ...base,
    source: res.source,
    pool: res.pool,
    wal,
    engine,
    sink,
    throttle,
    leases,
    durability,
    checkpoint: new RunCheckpoint(config.wal.dir, loaded.checkpoint, config.wal.fsync),
    changes: new ObjectChanges(config.onChange, base.metrics, log),
    movedAside,
    first: { objects, ledger },
  };
}

async function createEngine(config: Config, rules: RowRules, log: Logger): Promise<Engine> {
  if (config.engine === 'inline') return new InlineEngine(rules);
  // Loaded lazily: the Spark engine pulls in process management only Spark users need.
  // require, not import(): under the CLI's CommonJS loader a dynamic import() goes to
  // Node's ESM resolver, which cannot load .ts files.
  const { createSparkEngine } = require('../engine/spark') as typeof import('../engine/spark');
  return createSparkEngine(config, log);
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

/** The sink's events become the run's state: the stores batches wait for (MySQL named first), and a reconcile run's hold. */
function sinkEvents(base: SessionBase): SinkOptions {
  const { log, tally } = base;
  const waitingFor = new Set<'mysql' | 'redis'>();
  const waitState = () => (waitingFor.has('mysql') ? 'waiting_mysql' : waitingFor.has('redis') ? 'waiting_redis' : 'running');
  return {
    abandonedHold: base.opts.abandonedHold ?? 'stop',
    onWaiting: (what, e) => {
      log.warn(`${what} unavailable; waiting for it to come back`, { error: (e as Error).message });
      waitingFor.add(what);
      tally.emit({ state: waitState(), lastError: `${what}: ${(e as Error).message}` });
    },
    onRecovered: (what) => {
      log.info(`${what} is back; resuming`);
      waitingFor.delete(what);
      tally.emit({ state: waitState() });
    },
    onHeld: (e) => {
      log.warn('a reconcile run holds this pipeline; every loader waits for it', { run: e.runId, ...(e.error ? { failed: e.error } : {}) });
      tally.emit({ state: 'paused', lastError: e.message });
    },
  };
}
