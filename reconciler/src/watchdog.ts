// The watchdog: notices MySQL going away, waits for it to come back, reconciles and
// restarts the loader — no human involved. It does not stop at the down→up edge: while the
// last real run failed, or batches stay in doubt, it tries again with a growing pause
// (a failed run keeps the loader paused, so giving up would stall the pipeline silently).
// At start-up it also reconciles when MySQL started after batches of the WAL were written:
// after a host crash nothing is in doubt in the WAL, yet a MySQL with relaxed durability
// may have lost those batches' commits; and when a pipeline is still held by a run that
// failed or was killed (core/src/db/holds.ts: every loader of it waits until a run succeeds). Each decision is logged and counted.
// Pipelines: MySQL going away concerns every pipeline, so those runs cover all; the WAL
// findings (in doubt at start-up, written before MySQL started, stuck) and failed runs are
// per pipeline, so the run covers the one pipeline concerned, or every one when several are.
import type { RowDataPacket } from 'mysql2/promise';
import { TABLES, allPipelineConfigs, connect, errorMessage, holdAbandoned, mysqlUptime, pingMysql, readWalState, type Config, type Logger, type WalState } from '@pipewarden/core';
import type { JobManager } from './jobs';
import type { ReconcilerMetrics } from './metrics';
import { jobPipeline } from './plan';

export type WatchdogDecision =
  | 'mysql_down'
  | 'mysql_back_reconcile'
  | 'mysql_restarted_reconcile'
  | 'startup_in_doubt_reconcile'
  | 'startup_mysql_restarted_reconcile'
  | 'startup_held_reconcile'
  | 'retry_failed_reconcile'
  | 'retry_in_doubt_reconcile'
  | 'reconcile_already_running';

/** A batch in doubt this long is stuck, not in flight: a loader's batch takes seconds at most. */
const STUCK_IN_DOUBT_SECONDS = 60;
/** The pause between retries doubles from the first up to the cap. */
export const RETRY_FIRST_SECONDS = 2;
export const RETRY_MAX_SECONDS = 300;

/** Seconds to wait before retry number `attempt` (0-based). */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2 ** Math.min(attempt, 20));
}

export interface RetryState {
  /** Retries since the trouble began. */
  attempts: number;
  /** When the next retry may start (ms); 0 = no trouble seen. */
  nextRetryAt: number;
}

/**
 * Whether to reconcile again now: while the last real run failed or batches are stuck in
 * doubt, retry with a doubling pause (the first one after a pause too, so a run that just
 * failed is not redone at once); once neither holds, start over.
 */
export function retryDecision(v: RetryState & { failed: boolean; stuck: number; now: number }): RetryState & { reconcile: boolean } {
  if (!v.failed && v.stuck === 0) return { attempts: 0, nextRetryAt: 0, reconcile: false };
  if (v.nextRetryAt === 0) return { attempts: 0, nextRetryAt: v.now + retryDelaySeconds(0) * 1000, reconcile: false };
  if (v.now < v.nextRetryAt) return { attempts: v.attempts, nextRetryAt: v.nextRetryAt, reconcile: false };
  const attempts = v.attempts + 1;
  return { attempts, nextRetryAt: v.now + retryDelaySeconds(attempts) * 1000, reconcile: true };
}

/**
 * MySQL's `Uptime` is whole seconds between two whole-second clocks (the query's start and
 * the server's), so the start it implies is up to a second early or late. Also allow for
 * the probe's own latency: a batch counts as written before MySQL started unless it is
 * clearly after. Counting one too many costs a ledger check; one too few loses rows.
 */
const UPTIME_SLACK_MS = 2000;

/** How many WAL batches (by intent time, ms) may predate a MySQL that reported `uptimeSeconds` at `now`. */
export function writtenBeforeMysqlStarted(intentTimes: Iterable<number>, uptimeSeconds: number, now: number): number {
  const startedBy = now - uptimeSeconds * 1000 + UPTIME_SLACK_MS;
  let n = 0;
  for (const ts of intentTimes) if (ts < startedBy) n++;
  return n;
}

export class Watchdog {
  private timer?: NodeJS.Timeout;
  private mysqlUp: boolean | undefined;
  private uptime = -1;
  private busy = false;
  /** Retries since the last run that left nothing to retry for. */
  private attempts = 0;
  private nextRetryAt = 0;
  /** When each batch now in doubt was first seen so, by pipeline. */
  private inDoubtSince = new Map<string, Map<string, number>>();
  /** When retryIfNeeded last decoded the WAL. */
  private lastWalScanAt = 0;
  /** Each pipeline's WAL as start() decoded it, for the start-up check (at most one interval later): decoding costs the WAL's whole size. */
  private startupWal?: Map<string, WalState>;
  lastDecision: string | null = null;
  lastDecisionAt: string | null = null;

  /** Every pipeline's Config (its WAL folder). */
  private readonly pipelines: Config[];

  constructor(private readonly config: Config, private readonly jobs: JobManager, private readonly metrics: ReconcilerMetrics, private readonly log: Logger, pipelines?: Config[]) {
    this.pipelines = pipelines ?? allPipelineConfigs(config);
  }

  private get names(): string[] {
    return this.pipelines.map((p) => p.pipeline);
  }

  private decide(d: WatchdogDecision, fields: Record<string, unknown> = {}): void {
    this.lastDecision = d;
    this.lastDecisionAt = new Date().toISOString();
    this.metrics.watchdogDecisions.inc({ decision: d });
    this.log.info(`watchdog: ${d}`, fields);
  }

  /** Start a run of `pipeline` (null: every pipeline). */
  private reconcile(decision: WatchdogDecision, fields: Record<string, unknown> = {}, pipeline: string | null = null): void {
    const job = this.jobs.start(false, 'watchdog', undefined, pipeline);
    this.decide(job.alreadyRunning ? 'reconcile_already_running' : decision, { ...fields, pipeline: job.pipeline, job: job.id });
  }

  /** Each pipeline's count (from its WAL) where it is above zero. */
  private perPipeline(count: (pc: Config) => number): Map<string, number> {
    const out = new Map<string, number>();
    for (const pc of this.pipelines) {
      const n = count(pc);
      if (n > 0) out.set(pc.pipeline, n);
    }
    return out;
  }

  start(): void {
    // Batches left in doubt by a crash before this process started get repaired at once
    // (looked at now, before a loader started meanwhile has batches of its own in flight).
    const states = new Map(this.pipelines.map((pc) => [pc.pipeline, readWalState(pc.wal.dir)]));
    this.startupWal = states;
    const inDoubt = this.perPipeline((pc) => states.get(pc.pipeline)!.inDoubt.size);
    // A probe that throws (not a MySQL error: a bug) is logged; the watchdog keeps watching.
    const report = (e: unknown) => this.log.error('watchdog probe failed', { error: errorMessage(e) });
    if (inDoubt.size > 0) {
      const fields = { inDoubt: sum(inDoubt), pipelines: [...inDoubt.keys()] };
      pingMysql(this.config).then((up) => up && this.reconcile('startup_in_doubt_reconcile', fields, jobPipeline([...inDoubt.keys()], this.names)), report);
    }
    this.timer = setInterval(() => this.tick().catch(report), this.config.reconciler.watchdogIntervalSeconds * 1000);
    this.timer.unref();
  }

  /**
   * The first answer from MySQL since this process started: batches the WAL holds from
   * before MySQL's own start may have lost their commits (innodb_flush_log_at_trx_commit 0
   * or 2 and a host crash), though nothing is in doubt. A run checks them against the ledger.
   */
  private startupCheck(uptimeSeconds: number): void {
    const now = Date.now();
    const states = this.startupWal;
    const state = (pc: Config) => states?.get(pc.pipeline) ?? readWalState(pc.wal.dir);
    const before = this.perPipeline((pc) => writtenBeforeMysqlStarted([...state(pc).intents.values()].map((i) => i.ts), uptimeSeconds, now));
    if (before.size > 0) this.reconcile('startup_mysql_restarted_reconcile', { batchesWrittenBeforeMysqlStarted: sum(before), pipelines: [...before.keys()] }, jobPipeline([...before.keys()], this.names));
    else void this.heldPipelines().then((held) => held.length > 0 && this.reconcile('startup_held_reconcile', { pipelines: held }, jobPipeline(held, this.names)));
  }

  /** Pipelines a run that is no longer at work still holds (a live run's hold, another host's, is left to it). */
  private async heldPipelines(): Promise<string[]> {
    try {
      const conn = await connect(this.config);
      try {
        const [rows] = await conn.query<RowDataPacket[]>(`SELECT pipeline, held_by FROM \`${TABLES.holds}\` WHERE held_by IS NOT NULL AND pipeline IN (?)`, [this.names]);
        const abandoned: string[] = [];
        for (const r of rows) if (await holdAbandoned(conn, String(r.pipeline), String(r.held_by))) abandoned.push(String(r.pipeline));
        return abandoned;
      } finally {
        await conn.end();
      }
    } catch (e) {
      this.log.warn('watchdog: could not read the pipeline holds', { error: errorMessage(e) });
      return [];
    }
  }

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const uptime = await mysqlUptime(this.config, Math.max(500, this.config.reconciler.watchdogIntervalSeconds * 900));
      const up = uptime !== null;
      this.metrics.setMysqlUp(up);
      if (this.mysqlUp === true && !up) this.decide('mysql_down');
      if (this.mysqlUp === undefined && up) this.startupCheck(uptime);
      else if (this.mysqlUp === false && up) this.reconcile('mysql_back_reconcile');
      // A restart quicker than one probe interval still shows: the server's uptime went back.
      else if (up && this.mysqlUp === true && uptime < this.uptime) this.reconcile('mysql_restarted_reconcile');
      else if (up) this.retryIfNeeded();
      this.startupWal = undefined; // only the first probe's start-up check uses it
      this.mysqlUp = up;
      if (uptime !== null) this.uptime = uptime;
    } finally {
      this.busy = false;
    }
  }

  /** Reconcile again, with backoff, while the last real run failed or batches stay in doubt. */
  private retryIfNeeded(): void {
    if (this.jobs.current || this.jobs.pending) return;
    const now = Date.now();
    const failures = this.jobs.standingFailures;
    const failed = this.jobs.lastFailure;
    // Decoding the WAL costs its whole size: only when no failure decides already, and at
    // most a few times per STUCK_IN_DOUBT_SECONDS (decisions about stuck batches wait for a fresh scan).
    if (!failed) {
      if (now - this.lastWalScanAt < (STUCK_IN_DOUBT_SECONDS * 1000) / 6) return;
      this.lastWalScanAt = now;
      const since = new Map<string, Map<string, number>>();
      for (const pc of this.pipelines) {
        const before = this.inDoubtSince.get(pc.pipeline);
        const mine = new Map<string, number>();
        for (const id of readWalState(pc.wal.dir).inDoubt.keys()) mine.set(id, before?.get(id) ?? now);
        if (mine.size > 0) since.set(pc.pipeline, mine);
      }
      this.inDoubtSince = since;
    }
    const stuckBy = new Map<string, number>();
    for (const [name, ids] of this.inDoubtSince) {
      const n = [...ids.values()].filter((t) => now - t >= STUCK_IN_DOUBT_SECONDS * 1000).length;
      if (n > 0) stuckBy.set(name, n);
    }
    const stuck = sum(stuckBy);
    const d = retryDecision({ failed: failed !== null, stuck, now, attempts: this.attempts, nextRetryAt: this.nextRetryAt });
    this.attempts = d.attempts;
    this.nextRetryAt = d.nextRetryAt;
    if (!d.reconcile) return;
    // The pipelines concerned: those whose last run failed, else those with stuck batches.
    const concerned = failed ? failures.map((f) => f.pipeline) : [...stuckBy.keys()];
    this.reconcile(failed ? 'retry_failed_reconcile' : 'retry_in_doubt_reconcile', { attempt: d.attempts, lastError: failed?.error, stuck }, jobPipeline(concerned, this.names));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

function sum(counts: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of counts.values()) n += v;
  return n;
}
