// The reconcile procedure (docs/architecture.md, "Recovery"), in the named phases execute()
// runs in turn: lock → openRun → pauseLoader → connectMysql (waits for MySQL) → holdPipeline
// → read the WAL → recordStart → findBatches → repairBatches (per batch: RowFetcher.rows, then
// writeBatch) → verify → record → resumeLoader → endRun; on a throw, fail, and always close.
// What a run does to the world goes through its RunEffects (./run-effects): a real run's
// (./real-run), or a dry run's, which change nothing, so a dry run's repair phase only counts.
// Every step is idempotent, so a reconciler killed mid-run is recovered by running it again.
// The decisions (candidates, order, rows, outcome) are pure functions in ./plan.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'mysql2/promise';
import {
  selectedPipelineConfigs,
  createLogger,
  createPool,
  errorMessage,
  readWalState,
  datasetOf,
  rulesFor,
  type Config,
  type Logger,
  type ReconcileProgress,
  type ReconcileReport,
  type ReconcileTrigger,
  type ResolvedSpec,
  type RowRules,
  type WalState,
} from '@pipewarden/core';
import { chooseWriteMethod } from '@pipewarden/loader';
import { acquireReconcileLock } from './lock';
import { RowFetcher } from './batch-rows';
import { findMissing, type RepairPlan } from './find-missing';
import { repair, type RunMysql } from './repair';
import { attempt, DryRunEffects, type RunEffects } from './run-effects';
import { RealRunEffects } from './real-run';
import { MYSQL_WAIT_SECONDS, waitForMysql } from './wait-mysql';
import { NOTHING_DONE, aggregateReport, runVerdict } from './plan';

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

class ReconcileRun {
  readonly report: ReconcileReport;
  private readonly progress: ReconcileProgress = { phase: 'lock', batchesTotal: 0, batchesDone: 0, rowsMissing: 0, rowsInserted: 0 };
  private readonly started = Date.now();
  /** What the run does to the world: a real run's effects, or a dry run's (none). */
  private readonly effects: RunEffects;
  private readonly fetcher: RowFetcher;
  /** The dataset: its table, key and duplicate policy decide what a repair writes. */
  private readonly spec: ResolvedSpec;
  private readonly rules: RowRules;
  private pool?: Pool;

  constructor(private readonly config: Config, private readonly opts: ReconcileOptions, private readonly log: Logger) {
    this.fetcher = new RowFetcher(config, log);
    this.spec = datasetOf(config);
    this.rules = rulesFor(this.spec);
    this.report = startReport(config.pipeline, opts);
    const step = (p: Partial<ReconcileProgress>) => this.step(p);
    this.effects = this.report.dryRun ? new DryRunEffects() : new RealRunEffects({ config, spec: this.spec, report: this.report, started: this.started, requestedBy: opts.requestedBy, restartLoader: opts.restartLoader !== false, step }, log);
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
      await this.effects.openRun();
      await this.effects.pauseLoader();
      const mysql = await this.connectMysql();
      await this.effects.holdPipeline(mysql);
      // Read once, with the loader paused and its lock held (a real run): nothing else writes it now.
      const wal = readWalState(this.config.wal.dir);
      await this.effects.recordStart(wal);
      const plan = await this.findBatches(mysql.pool, wal);
      const verified = await this.repairBatches(mysql.pool, plan);
      this.verify(plan, verified);
      await this.record();
      await this.effects.resumeLoader();
      await this.effects.endRun();
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

  /** Once MySQL answers (./wait-mysql): the run's pool, and how it writes rows. */
  private async connectMysql(): Promise<RunMysql> {
    this.step({ phase: 'wait_mysql' });
    await waitForMysql(this.config, { seconds: this.opts.mysqlWaitSeconds, deadline: this.opts.mysqlDeadline, checkCancelled: () => this.checkCancelled(), log: this.log });
    this.pool = createPool(this.config);
    return { pool: this.pool, method: await chooseWriteMethod(this.pool, this.config.mysql.writeMethod) };
  }

  /** The find phase (./find-missing), with the mirror connected for it and the fetch phase. */
  private async findBatches(pool: Pool, wal: WalState): Promise<RepairPlan> {
    this.step({ phase: 'find_batches' });
    const redis = await this.fetcher.connectMirror();
    const plan = await findMissing({ wal, pool, redis, keys: this.fetcher.keys, log: this.log, dryRun: this.report.dryRun });
    this.report.batchesExamined = plan.examined;
    return plan;
  }

  /** The repair phase (./repair), through the run's effects: returns whether every repaired batch verified. */
  private repairBatches(pool: Pool, plan: RepairPlan): Promise<boolean> {
    return repair({ plan, pool, spec: this.spec, rules: this.rules, fetcher: this.fetcher, writer: this.effects, report: this.report, step: (p) => this.step(p), checkCancelled: () => this.checkCancelled() });
  }

  private verify(plan: RepairPlan, verified: boolean): void {
    this.step({ phase: 'verify' });
    Object.assign(this.report, runVerdict(this.report.dryRun, { verified, batchesRepaired: this.report.batchesRepaired, resolvedFromLedger: plan.resolvedFromLedger.length }));
  }

  private async record(): Promise<void> {
    this.report.durationSeconds = (Date.now() - this.started) / 1000;
    await this.effects.recordOutcome();
  }

  private async fail(e: unknown): Promise<void> {
    this.report.outcome = 'failed';
    this.report.durationSeconds = (Date.now() - this.started) / 1000;
    await this.effects.fail(errorMessage(e), e instanceof ReconcileCancelledError);
  }

  private async close(): Promise<void> {
    await this.effects.close();
    const pool = this.pool;
    if (pool) await attempt(this.log, 'close the MySQL pool', () => pool.end());
    this.fetcher.close();
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

/** The report of a run that has done nothing yet. */
function startReport(pipeline: string, opts: ReconcileOptions): ReconcileReport {
  const dryRun = opts.dryRun === true;
  return { runId: opts.runId ?? randomUUID(), pipeline, dryRun, trigger: opts.trigger, batchesExamined: 0, batchesRepaired: 0, rowsMissing: 0, rowsInserted: 0, ...runVerdict(dryRun, NOTHING_DONE), durationSeconds: 0, loaderRestarted: false, batches: [] };
}

/** The report of a pipeline whose run threw (it recorded itself failed where it could). */
function failedReport(pipeline: string, runId: string, opts: ReconcileOptions, error: string): ReconcileReport {
  return { ...startReport(pipeline, { ...opts, runId }), verification: 'skipped', outcome: 'failed', error };
}
