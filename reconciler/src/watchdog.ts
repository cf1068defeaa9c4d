// The watchdog: notices MySQL going away, waits for it to come back, reconciles and
// restarts the loader — no human involved. Each decision is logged and counted.
import mysql from 'mysql2/promise';
import { mysqlOptions, pingMysql, readWalState, type Config, type Logger } from '@pipewarden/core';
import type { JobManager } from './jobs';
import type { ReconcilerMetrics } from './metrics';

export type WatchdogDecision = 'mysql_down' | 'mysql_back_reconcile' | 'mysql_restarted_reconcile' | 'startup_in_doubt_reconcile' | 'reconcile_already_running';

export class Watchdog {
  private timer?: NodeJS.Timeout;
  private mysqlUp: boolean | undefined;
  private uptime = -1;
  private busy = false;
  lastDecision: string | null = null;
  lastDecisionAt: string | null = null;

  constructor(private readonly config: Config, private readonly jobs: JobManager, private readonly metrics: ReconcilerMetrics, private readonly log: Logger) {}

  private decide(d: WatchdogDecision, fields: Record<string, unknown> = {}): void {
    this.lastDecision = d;
    this.lastDecisionAt = new Date().toISOString();
    this.metrics.watchdogDecisions.inc({ decision: d });
    this.log.info(`watchdog: ${d}`, fields);
  }

  private reconcile(decision: WatchdogDecision): void {
    const job = this.jobs.start(false, 'watchdog');
    this.decide(job.alreadyRunning ? 'reconcile_already_running' : decision, { job: job.id });
  }

  start(): void {
    // Batches left in doubt by a crash before this process started get repaired at once.
    if (readWalState(this.config.wal.dir).inDoubt.size > 0) {
      void pingMysql(this.config).then((up) => up && this.reconcile('startup_in_doubt_reconcile'));
    }
    this.timer = setInterval(() => void this.tick(), this.config.reconciler.watchdogIntervalSeconds * 1000);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const uptime = await mysqlUptime(this.config, Math.max(500, this.config.reconciler.watchdogIntervalSeconds * 900));
      const up = uptime !== null;
      this.metrics.mysqlUp.set(up ? 1 : 0);
      if (this.mysqlUp === true && !up) this.decide('mysql_down');
      if (this.mysqlUp === false && up) this.reconcile('mysql_back_reconcile');
      // A restart quicker than one probe interval still shows: the server's uptime went back.
      else if (up && this.mysqlUp === true && uptime < this.uptime) this.reconcile('mysql_restarted_reconcile');
      this.mysqlUp = up;
      if (uptime !== null) this.uptime = uptime;
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** MySQL's Uptime in seconds, or null when it does not answer in time. */
export async function mysqlUptime(config: Config, timeoutMs: number): Promise<number | null> {
  let conn: mysql.Connection | undefined;
  const timer = new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref());
  try {
    return await Promise.race([
      (async () => {
        conn = await mysql.createConnection({ ...(mysqlOptions(config) as mysql.ConnectionOptions), connectTimeout: timeoutMs });
        const [rows] = await conn.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Uptime'");
        return Number(rows[0]?.Value ?? 0);
      })(),
      timer,
    ]);
  } catch {
    return null;
  } finally {
    conn?.destroy();
  }
}
