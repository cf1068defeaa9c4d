// The reconcile procedure (docs/architecture.md, "Recovery"), in named phases:
// lock → pause the loader → wait for MySQL → record the start → find the batches MySQL lacks
// → fetch their rows → repair (or, in a dry run, count) → verify → record → resume the loader.
// Every step is idempotent, so a reconciler killed mid-run is recovered by running it again.
// The decisions (candidates, order, rows, outcome) are pure functions in ./plan.
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { Pool } from 'mysql2/promise';
import {
  TABLES,
  UserError,
  selectedPipelineConfigs,
  WalWriter,
  createLogger,
  createPool,
  createRedis,
  errorMessage,
  ledgerHasAny,
  listMirror,
  mirrorKeys,
  parseChecksum,
  pingMysql,
  readWalState,
  RUN_BATCH_DETAILS_MAX,
  splitTsv,
  writeBatchTx,
  datasetOf,
  formatChecksum,
  keysPresent,
  keyTuples,
  type KeyTuple,
  rulesFor,
  serverKeyChecksum,
  faultAt,
  type BatchRepair,
  type Config,
  type IntentRecord,
  type Logger,
  type MirrorKeys,
  type ReconcileProgress,
  type ReconcileReport,
  type ReconcileTrigger,
  type ResolvedSpec,
  type RowRules,
  type WalState,
  type WriteMethod,
} from '@pipewarden/core';
import { acquireLoaderLock, chooseWriteMethod } from '@pipewarden/loader';
import { acquireReconcileLock } from './lock';
import { RunHold } from './run-hold';
import { LoaderClient } from './loader-client';
import { SourceRereader, rowsFromMirror, type BatchRows } from './batch-rows';
import { aggregateReport, candidateIds, firstOccurrences, inSourceOrder, incomplete, runOutcome } from './plan';

/** How long a run waits for MySQL to answer, by default. */
const MYSQL_WAIT_SECONDS = 600;

export interface ReconcileOptions {
  dryRun?: boolean;
  trigger: ReconcileTrigger;
  runId?: string;
  log?: Logger;
  onProgress?: (p: ReconcileProgress) => void;
  /** How long to wait for MySQL to answer (default 10 minutes). */
  mysqlWaitSeconds?: number;
  /** When that wait ends (ms since the epoch): reconcile() sets it once for a job over every pipeline, so the pipelines after the first do not wait again for a MySQL that is down. */
  mysqlDeadline?: number;
  /** Restart the loader service afterwards (default true; never on a dry run). */
  restartLoader?: boolean;
  /** Cancels the run between steps (the service cancels dry runs this way). */
  signal?: AbortSignal;
  /** The Grafana user who pressed the button, recorded with the run. */
  requestedBy?: string;
}

/** The run was cancelled through its signal. */
export class ReconcileCancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'ReconcileCancelledError';
  }
}

/** Distinct keys of a batch's lines (key text → the lines' key values), in first-seen order. */
function distinctKeys(spec: ResolvedSpec, rules: RowRules, lines: readonly string[]): Map<string, KeyTuple> {
  const firstSeen = new Map<string, string>();
  for (const line of lines) {
    const k = rules.keyOfLine(line);
    if (!firstSeen.has(k)) firstSeen.set(k, line);
  }
  const tuples = keyTuples(spec, [...firstSeen.values()]);
  return new Map([...firstSeen.keys()].map((k, i) => [k, tuples[i]]));
}

/** A batch the ledger lacks, with its rows when the find phase already read them (mirror-only batches). */
interface RepairItem {
  id: string;
  intent: IntentRecord;
  rows?: BatchRows;
}

interface Plan {
  /** In source order. */
  items: RepairItem[];
  /** WAL intents in doubt whose batch the ledger has: the commit record was lost, not the data. */
  resolvedFromLedger: string[];
}

class ReconcileRun {
  readonly report: ReconcileReport;
  private readonly progress: ReconcileProgress = { phase: 'lock', batchesTotal: 0, batchesDone: 0, rowsMissing: 0, rowsInserted: 0 };
  private readonly dryRun: boolean;
  private readonly started = Date.now();
  private readonly loader: LoaderClient;
  private readonly rereader: SourceRereader;
  private readonly keys: MirrorKeys;
  private wal?: WalWriter;
  private pool?: Pool;
  private method: WriteMethod = 'load-data';
  private redis?: Redis;
  /** The dataset: its table, key and duplicate policy decide what a repair writes. */
  private readonly spec: ResolvedSpec;
  private readonly rules: RowRules;
  private releaseLoaderLock?: () => void;
  private loaderPaused = false;
  /** This run's hold on the pipeline in MySQL: no loader, on any host, commits a batch meanwhile. */
  private hold?: RunHold;
  private recorded = false;

  constructor(private readonly config: Config, private readonly opts: ReconcileOptions, private readonly log: Logger) {
    this.dryRun = opts.dryRun === true;
    this.loader = new LoaderClient(config);
    this.rereader = new SourceRereader(config, log);
    this.keys = mirrorKeys(config.redis.keyPrefix);
    this.spec = datasetOf(config);
    this.rules = rulesFor(this.spec);
    this.report = {
      runId: opts.runId ?? randomUUID(),
      pipeline: config.pipeline,
      dryRun: this.dryRun,
      trigger: opts.trigger,
      batchesExamined: 0,
      batchesRepaired: 0,
      rowsMissing: 0,
      rowsInserted: 0,
      verification: this.dryRun ? 'skipped' : 'ok',
      outcome: this.dryRun ? 'dry_run' : 'nothing_to_do',
      durationSeconds: 0,
      loaderRestarted: false,
      batches: [],
    };
  }

  private step(patch: Partial<ReconcileProgress>): void {
    Object.assign(this.progress, patch);
    this.opts.onProgress?.({ ...this.progress });
  }

  private checkCancelled(): void {
    if (this.opts.signal?.aborted) throw new ReconcileCancelledError();
  }

  async execute(): Promise<ReconcileReport> {
    this.step({ phase: 'lock' });
    const releaseLock = acquireReconcileLock(this.config.wal.dir);
    try {
      if (!this.dryRun) {
        await this.openRun();
        await this.pauseLoader();
      }
      await this.waitForMysql();
      if (!this.dryRun) await this.holdEveryLoader();
      // Read once, with the loader paused and its lock held (a real run): nothing else writes it now.
      const wal = readWalState(this.config.wal.dir);
      if (!this.dryRun) await this.recordStart(wal);
      const plan = await this.findMissing(wal);
      const verified = await this.repair(plan);
      this.verify(plan, verified);
      await this.record();
      await this.resumeLoader();
      await this.wal?.append({ t: 'run', run: this.report.runId, phase: 'end', outcome: this.report.outcome, ts: Date.now() });
      this.step({ phase: 'done' });
      const r = this.report;
      this.log.info('reconcile finished', { run: r.runId, outcome: r.outcome, batches: r.batchesRepaired, rowsMissing: r.rowsMissing, rowsInserted: r.rowsInserted, verification: r.verification, seconds: r.durationSeconds.toFixed(2) });
      return r;
    } catch (e) {
      await this.fail(e);
      throw e;
    } finally {
      await this.close();
      releaseLock();
    }
  }

  /** The run's start in the reconciler's WAL series: a run killed from here on is visible to the next one. */
  private async openRun(): Promise<void> {
    this.wal = await WalWriter.open(this.config.wal.dir, 'reconciler', { fsync: 'always', segmentBytes: this.config.wal.segmentBytes });
    await this.wal.append({ t: 'run', run: this.report.runId, phase: 'start', ts: Date.now() });
  }

  /**
   * Pause the loader service, then hold the loader lock for the run: the reconciler never
   * writes while a loader may still write (one it could not pause, or a one-shot
   * `pipewarden load` holding the lock). Only "no loader service listening" is fine.
   */
  private async pauseLoader(): Promise<void> {
    this.step({ phase: 'pause_loader' });
    const refuse = 'the reconciler will not write while a loader it could not pause may still write';
    try {
      this.loaderPaused = (await this.loader.pause({ by: 'reconcile', runId: this.report.runId, pipeline: this.config.pipeline })) === 'done';
    } catch (e) {
      throw new UserError(`${errorMessage(e)}; ${refuse}`, 'fix or stop the loader service, then reconcile again (a dry run still reports what is missing)');
    }
    this.log.info(this.loaderPaused ? 'loader paused' : 'no loader service listening; continuing without it', { pipeline: this.config.pipeline });
    try {
      this.releaseLoaderLock = acquireLoaderLock(this.config.wal.dir);
    } catch (e) {
      // acquireLoaderLock turns only a held lock into a UserError; a lock file it cannot
      // write (EACCES, ENOSPC) is another problem and keeps its own message.
      if (!(e instanceof UserError)) throw e;
      throw new UserError(`a loader process holds the WAL's loader lock (${errorMessage(e)}); ${refuse}`, 'let that load finish or stop it, then reconcile again');
    }
  }

  /**
   * Hold every loader of the pipeline, wherever it runs (core/src/db/holds.ts): returns once
   * the batch transactions in flight have ended; from then on none commits until the hold
   * is released (a successful run) or an operator resumes (a failed run keeps it).
   */
  private async holdEveryLoader(): Promise<void> {
    this.hold = await RunHold.take(this.config, this.pool!, this.report.runId, this.log);
  }

  private async waitForMysql(): Promise<void> {
    this.step({ phase: 'wait_mysql' });
    const seconds = this.opts.mysqlWaitSeconds ?? MYSQL_WAIT_SECONDS;
    const deadline = this.opts.mysqlDeadline ?? Date.now() + seconds * 1000;
    let logged = false;
    while (!(await pingMysql(this.config, 2000))) {
      this.checkCancelled();
      if (Date.now() > deadline) throw new UserError(`MySQL did not answer within ${seconds} s`, 'start MySQL (or fix PIPEWARDEN_MYSQL_URL), then reconcile again');
      if (!logged) this.log.info('waiting for MySQL to answer');
      logged = true;
      await new Promise((r) => setTimeout(r, 500));
    }
    this.checkCancelled();
    this.pool = createPool(this.config);
    this.method = await chooseWriteMethod(this.pool, this.config.mysql.writeMethod);
  }

  /** Close runs a killed reconciler left open (this run redoes their work); record this one. */
  private async recordStart(state: WalState): Promise<void> {
    const pool = this.pool!;
    const { runId } = this.report;
    if (state.unfinishedRuns.length > 0) {
      await pool.query(`UPDATE \`${TABLES.reconcileRuns}\` SET outcome = 'failed', error = 'interrupted (the reconciler stopped mid-run); redone by a later run', finished_at = NOW(3) WHERE run_id IN (?) AND outcome = 'running'`, [state.unfinishedRuns]);
      for (const r of state.unfinishedRuns.filter((r) => r !== runId)) await this.wal!.append({ t: 'run', run: r, phase: 'end', outcome: 'failed', ts: Date.now() });
    }
    await pool.query(`INSERT INTO \`${TABLES.reconcileRuns}\` (run_id, pipeline, trigger_source, dry_run, started_at, outcome, requested_by) VALUES (?, ?, ?, 0, FROM_UNIXTIME(?), 'running', ?)`, [runId, this.config.pipeline, this.opts.trigger, this.started / 1000, this.opts.requestedBy ?? null]);
    this.recorded = true;
  }

  private async connectRedis(): Promise<Redis | undefined> {
    // No retries: a Redis that is down means the rows come from the source, not a wait.
    const redis = createRedis(this.config, { role: 'reconciler', log: this.log, connectTimeoutMs: 2000, behaviour: { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null } });
    this.redis = redis;
    try {
      await redis.connect();
      return redis;
    } catch (e) {
      this.log.warn('Redis mirror unreachable; batches will be re-read from the source', { error: errorMessage(e) });
      return undefined;
    }
  }

  /**
   * Every batch the WAL or the mirror knows, checked against the ledger. Committed batches
   * count too: MySQL at innodb_flush_log_at_trx_commit 0 or 2 loses acknowledged commits in
   * a power cut, and the WAL's commit record then proves nothing.
   */
  private async findMissing(wal: WalState): Promise<Plan> {
    this.step({ phase: 'find_batches' });
    const pool = this.pool!;
    const redis = await this.connectRedis();
    const { intents: walIntents, inDoubt } = wal;
    const mirrored = redis ? await this.listMirrored(redis) : [];
    const candidates = candidateIds(walIntents, mirrored);
    const inLedger = await ledgerHasAny(pool, candidates);
    const items: RepairItem[] = [];
    for (const id of incomplete(candidates, inLedger)) {
      const intent = walIntents.get(id);
      if (intent) {
        items.push({ id, intent });
        continue;
      }
      // Known only to the mirror: its entry carries the intent, and the rows with it.
      const rows = await rowsFromMirror(redis, this.keys, id, this.log);
      if (!rows?.intent) throw new Error(`batch ${id} is in the mirror index but its entry is unreadable, and the WAL no longer has its intent`);
      items.push({ id, intent: rows.intent, rows });
    }
    const plan: Plan = { items: inSourceOrder(items), resolvedFromLedger: [...inDoubt.keys()].filter((id) => inLedger.has(id)) };
    this.report.batchesExamined = candidates.length;
    this.log.info('batches examined', { examined: candidates.length, walIntents: walIntents.size, inDoubt: inDoubt.size, mirrored: mirrored.length, toRepair: items.length, dryRun: this.dryRun });
    return plan;
  }

  /** Batch ids in the mirror; none when Redis fails now (the WAL's intents are still checked). */
  private async listMirrored(redis: Redis): Promise<string[]> {
    try {
      return await listMirror(redis, this.keys);
    } catch (e) {
      this.log.warn('cannot list the Redis mirror; checking the WAL intents only', { error: errorMessage(e) });
      return [];
    }
  }

  /** The batch's rows: from the find phase, else the mirror, else the source. */
  private async fetchRows(item: RepairItem): Promise<BatchRows> {
    return item.rows ?? (await rowsFromMirror(this.redis?.status === 'ready' ? this.redis : undefined, this.keys, item.id, this.log)) ?? (await this.rereader.rows(item.intent));
  }

  /**
   * Batches in source order, each getting the rows MySQL lacks. A dry run counts them and
   * writes nothing. Returns whether every repaired batch verified. By duplicate policy:
   * - first: the lines whose key the table lacks, first occurrence per key across the run
   *   (earlier batches first, so a later batch's row never takes a key first);
   * - last: the whole batch; each row's source position decides against the row the table
   *   has (a later batch's newer row stays), so the order of repairs does not matter;
   * - keep (keyless): the whole batch: the ledger lacks it, and a batch commits whole with its
   *   ledger row, so none of its rows are in the table.
   */
  private async repair(plan: Plan): Promise<boolean> {
    this.step({ phase: 'repair', batchesTotal: plan.items.length });
    const { report, spec, rules } = this;
    if (!this.dryRun) {
      for (const id of plan.resolvedFromLedger) await this.wal!.append({ t: 'repair', id, inserted: 0, run: report.runId, source: 'ledger', ts: Date.now() });
    }
    const claimed = new Set<string>();
    let verified = true;
    for (const item of plan.items) {
      this.checkCancelled();
      const rows = await this.fetchRows(item);
      const lines = splitTsv(rows.tsv.toString('utf8'));
      const keys = spec.key.length > 0 ? distinctKeys(spec, rules, lines) : undefined;
      let toInsert = lines;
      let missing = lines.length;
      if (keys) {
        const present = await keysPresent(this.pool!, spec, [...keys.values()]);
        const lacking = new Set([...keys.keys()].filter((k) => !present.has(k)));
        if (spec.duplicates === 'last') {
          // Each lacking key counted once across the run (a dry run writes nothing in between).
          missing = 0;
          for (const k of lacking) {
            if (claimed.has(k)) continue;
            claimed.add(k);
            missing++;
          }
        } else {
          toInsert = firstOccurrences(lines, lacking, claimed, (l) => rules.keyOfLine(l));
          missing = toInsert.length;
        }
      }
      const { key: sourceKey, firstRecord, records } = item.intent.src;
      const detail: BatchRepair = { batchId: item.id, sourceKey, firstRecord, records, source: rows.source, rowsMissing: missing, rowsInserted: 0 };
      report.rowsMissing += missing;
      if (!this.dryRun) verified = (await this.writeBatch(item.intent, rows, toInsert, keys, detail)) && verified;
      if (report.batches.length < RUN_BATCH_DETAILS_MAX) report.batches.push(detail);
      this.step({ batchesDone: this.progress.batchesDone + 1, rowsMissing: report.rowsMissing, rowsInserted: report.rowsInserted });
    }
    return verified;
  }

  /**
   * One batch's rows, dead letters and ledger row in one transaction; then its check: the
   * keys' count and checksum computed by MySQL against the intent's, or, keyless, that every
   * row went in with the ledger row (rows carry no batch id to recount them by).
   */
  private async writeBatch(intent: IntentRecord, rows: BatchRows, toInsert: string[], keys: Map<string, KeyTuple> | undefined, detail: BatchRepair): Promise<boolean> {
    const pool = this.pool!;
    const conn = await pool.getConnection();
    let written = true;
    try {
      const tx = await writeBatchTx(conn, { spec: this.spec, intent, tsv: Buffer.from(toInsert.map((l) => l + '\n').join(''), 'utf8'), rejects: rows.rejects, committedBy: 'reconciler', method: this.method, pipeline: this.config.pipeline });
      detail.rowsInserted = tx.inserted;
      written = tx.written;
    } finally {
      conn.release();
    }
    let ok: boolean;
    if (keys) {
      const expected = parseChecksum(intent.check);
      const got = await serverKeyChecksum(pool, this.spec, [...keys.values()]);
      ok = got.count === expected.count && got.crcSum === expected.crcSum;
      if (!ok) this.log.error('batch verification failed', { batch: intent.id, expected: intent.check, got: formatChecksum(got) });
    } else {
      // Not written: the ledger had the batch already (its rows came with it).
      ok = !written || detail.rowsInserted === toInsert.length;
      if (!ok) this.log.error('batch verification failed', { batch: intent.id, expected: `${toInsert.length} rows`, got: `${detail.rowsInserted} inserted` });
    }
    await this.wal!.append({ t: 'repair', id: intent.id, inserted: detail.rowsInserted, run: this.report.runId, source: rows.source, ts: Date.now() });
    this.report.rowsInserted += detail.rowsInserted;
    this.report.batchesRepaired++;
    faultAt('after-repair', this.report.batchesRepaired);
    return ok;
  }

  private verify(plan: Plan, verified: boolean): void {
    this.step({ phase: 'verify' });
    if (this.dryRun) return;
    this.report.verification = verified ? 'ok' : 'failed';
    this.report.outcome = runOutcome({ verified, batchesRepaired: this.report.batchesRepaired, resolvedFromLedger: plan.resolvedFromLedger.length });
  }

  private async record(): Promise<void> {
    this.report.durationSeconds = (Date.now() - this.started) / 1000;
    if (this.recorded) await recordRun(this.pool!, this.report);
  }

  /**
   * Give the loader back: the lock first, then the service's restart (it resumes from its
   * checkpoint). After a failed verification the loader stays paused and is told why.
   */
  private async resumeLoader(): Promise<void> {
    this.releaseLoaderLock?.();
    this.releaseLoaderLock = undefined;
    if (this.dryRun) return;
    if (this.report.outcome === 'failed') {
      await this.holdLoader('verification failed: see the reconciler log');
      return;
    }
    if (this.hold) {
      await this.hold.release();
      this.hold = undefined;
    }
    if (this.opts.restartLoader === false) return;
    this.step({ phase: 'restart_loader' });
    try {
      this.report.loaderRestarted = (await this.loader.restart(this.config.pipeline)) === 'done';
    } catch (e) {
      this.report.loaderError = errorMessage(e);
      this.log.error('the loader did not restart; it stays paused', { error: this.report.loaderError });
    }
  }

  /** A failed run keeps the loaders paused (later batches must not land before the missing ones) and says so in the service's /status and the hold. */
  private async holdLoader(error: string): Promise<void> {
    const hold = this.hold;
    this.hold = undefined;
    if (hold) await this.attempt('record the failure in the pipeline hold', () => hold.keepFailed(error));
    if (!this.loaderPaused) return;
    try {
      await this.loader.pause({ by: 'reconcile', runId: this.report.runId, pipeline: this.config.pipeline, error });
    } catch (e) {
      this.log.error('could not tell the loader why it stays paused', { error: errorMessage(e) });
    }
  }

  private async fail(e: unknown): Promise<void> {
    const cancelled = e instanceof ReconcileCancelledError;
    this.report.outcome = 'failed';
    this.report.durationSeconds = (Date.now() - this.started) / 1000;
    this.releaseLoaderLock?.();
    this.releaseLoaderLock = undefined;
    if (this.recorded && this.pool) await this.attempt('record the failed run', () => recordRun(this.pool!, this.report, errorMessage(e)));
    if (this.wal) await this.attempt('close the failed run in the WAL', () => this.wal!.append({ t: 'run', run: this.report.runId, phase: 'end', outcome: 'failed', ts: Date.now() }));
    if (!cancelled) await this.holdLoader(errorMessage(e));
    else if (this.hold) {
      const hold = this.hold;
      this.hold = undefined;
      await this.attempt('release the pipeline hold', () => hold.release());
    }
  }

  private async close(): Promise<void> {
    this.hold?.end();
    if (this.wal) await this.attempt('close the WAL', () => this.wal!.close());
    if (this.pool) await this.attempt('close the MySQL pool', () => this.pool!.end());
    this.redis?.disconnect();
    this.rereader.close();
  }

  /** Clean-up after the outcome is decided: a failure here is logged, never hides the run's own error. */
  private async attempt(what: string, f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (err) {
      this.log.error(`could not ${what}`, { error: errorMessage(err) });
    }
  }
}

/**
 * Reconcile one pipeline, given its Config (`pipelineConfig(config, name)`: its WAL folder,
 * mirror prefix, dataset and table). The loader is paused, repaired and restarted for this
 * pipeline only. Throws when the run fails before its outcome (a failed verification is an
 * outcome: the report says 'failed').
 */
export async function reconcilePipeline(pipelineCfg: Config, opts: ReconcileOptions): Promise<ReconcileReport> {
  return new ReconcileRun(pipelineCfg, opts, opts.log ?? createLogger('reconciler')).execute();
}

/**
 * Reconcile the deployment's pipelines: `opts.pipeline` names one (an unknown name is a
 * UserError naming them), absent or null means every one, in the config's order. `config`
 * is the deployment's Config (not one pipeline's: that is derived here).
 *
 * One pipeline (named, or the only one of a config without `pipelines`): that run's report,
 * its run id opts.runId; a failure throws, as a single run always did.
 * Every pipeline of a config with `pipelines`: each runs in turn with its own run id and run
 * row, and the report sums them (pipeline null, the worst outcome, each in `pipelines`); a
 * pipeline whose run throws is reported failed with its `error` and the others still run
 * (its loader stays paused, theirs are restarted). Only a cancellation stops the job.
 */
export async function reconcile(config: Config, opts: ReconcileOptions & { pipeline?: string | null }): Promise<ReconcileReport> {
  const log = opts.log ?? createLogger('reconciler');
  const chosen = selectedPipelineConfigs(config, opts.pipeline);
  if (opts.pipeline != null || !config.pipelines?.length) return reconcilePipeline(chosen[0], { ...opts, log });
  const started = Date.now();
  const mysqlDeadline = started + (opts.mysqlWaitSeconds ?? MYSQL_WAIT_SECONDS) * 1000;
  const reports: ReconcileReport[] = [];
  for (const pc of chosen) {
    if (opts.signal?.aborted) throw new ReconcileCancelledError();
    const runId = randomUUID();
    try {
      reports.push(await reconcilePipeline(pc, { ...opts, runId, mysqlDeadline, log: log.child(pc.pipeline) }));
    } catch (e) {
      if (e instanceof ReconcileCancelledError) throw e;
      log.error('reconcile of a pipeline failed; the others go on', { pipeline: pc.pipeline, run: runId, error: errorMessage(e) });
      reports.push(failedReport(pc.pipeline, runId, opts, errorMessage(e)));
    }
  }
  const report = aggregateReport({ runId: opts.runId ?? randomUUID(), dryRun: opts.dryRun === true, trigger: opts.trigger, durationSeconds: (Date.now() - started) / 1000 }, reports);
  log.info('reconcile of every pipeline finished', { run: report.runId, outcome: report.outcome, pipelines: reports.map((r) => `${r.pipeline}:${r.outcome}`).join(' '), rowsInserted: report.rowsInserted });
  return report;
}

/** The report of a pipeline whose run threw (it recorded itself failed where it could). */
function failedReport(pipeline: string, runId: string, opts: ReconcileOptions, error: string): ReconcileReport {
  const dryRun = opts.dryRun === true;
  return { runId, pipeline, dryRun, trigger: opts.trigger, batchesExamined: 0, batchesRepaired: 0, rowsMissing: 0, rowsInserted: 0, verification: 'skipped', outcome: 'failed', durationSeconds: 0, loaderRestarted: false, batches: [], error };
}

/** The run's outcome and its batch details (upserted: a run whose recording failed is recorded again as failed). */
async function recordRun(pool: Pool, r: ReconcileReport, error?: string): Promise<void> {
  if (r.batches.length > 0) {
    await pool.query(
      `INSERT INTO \`${TABLES.reconcileRunBatches}\` (run_id, seq, batch_id, source_key, first_record, record_count, rows_source, rows_missing, rows_inserted) VALUES ? ON DUPLICATE KEY UPDATE rows_missing = VALUES(rows_missing), rows_inserted = VALUES(rows_inserted)`,
      [r.batches.map((b, i) => [r.runId, i, b.batchId, b.sourceKey, b.firstRecord, b.records, b.source, b.rowsMissing, b.rowsInserted])],
    );
  }
  await pool.query(
    `UPDATE \`${TABLES.reconcileRuns}\` SET finished_at = NOW(3), duration_seconds = ?, batches_examined = ?, batches_repaired = ?, rows_missing = ?, rows_inserted = ?, outcome = ?, verification = ?, error = ? WHERE run_id = ?`,
    [r.durationSeconds, r.batchesExamined, r.batchesRepaired, r.rowsMissing, r.rowsInserted, r.outcome, r.verification, error ?? null, r.runId],
  );
}
