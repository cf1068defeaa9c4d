// A run's hold on every loader of its pipeline (core/src/db/holds.ts), taken on a MySQL
// session of its own: the session's run lock is what tells loaders the run is still at work,
// so it lives exactly as long as the run's claim and ends whatever way the run ends. The
// session is a connection of its own, not one of the run's pool: a pool of one connection
// (PIPEWARDEN_MYSQL_CONNECTIONS=1) would otherwise have none left for the repair, and the
// run would wait for ever (nemesis seed 28013).
//
// The session must also end soon after its run does, and not end before it. MySQL ends an
// idle session only after wait_timeout (8 h by default), and notices a host that vanished
// without closing TCP no sooner: its lock would keep every later run out for hours. So the
// session gets a short wait_timeout and a heartbeat that keeps a live run's session busy;
// a heartbeat that fails means the claim is gone (a KILL, a proxy's idle cut, a restart), and
// the run stops before its next write instead of repairing beside a run that took it over.
import type { Connection, Pool } from 'mysql2/promise';
import { UserError, connect, errorMessage, holdPipeline, keepHoldFailed, releaseHold, type Config, type Logger } from '@pipewarden/core';

/** Seconds of silence after which MySQL ends the hold's session (and frees its lock): a run on a vanished host. */
const SESSION_WAIT_TIMEOUT_SECONDS = 120;
/** How often a live run shows its session is alive: well inside that timeout. */
const HEARTBEAT_MS = 20_000;

export class RunHold {
  private readonly heartbeat: NodeJS.Timeout;
  /** Why the run's claim on the hold was lost, once it was. */
  private lostBecause?: string;

  private constructor(
    private readonly pool: Pool,
    private session: Connection | undefined,
    private readonly pipeline: string,
    private readonly runId: string,
    private readonly log: Logger,
    heartbeatMs: number,
  ) {
    this.heartbeat = setInterval(() => void this.beat(), heartbeatMs);
    this.heartbeat.unref();
  }

  /** Returns once the loaders' batch transactions in flight have ended; none commits after. */
  static async take(config: Config, pool: Pool, runId: string, log: Logger, opts: { heartbeatMs?: number } = {}): Promise<RunHold> {
    const { pipeline } = config;
    const session = await connect(config);
    try {
      await session.query('SET SESSION wait_timeout = ?', [SESSION_WAIT_TIMEOUT_SECONDS]);
      await holdPipeline(session, pipeline, runId);
    } catch (e) {
      session.destroy();
      throw e;
    }
    log.info('every loader of the pipeline held', { pipeline });
    return new RunHold(pool, session, pipeline, runId, log, opts.heartbeatMs ?? HEARTBEAT_MS);
  }

  /** Before each write of the run: throws when its claim on the hold is gone (another run may hold the pipeline now). */
  assertHeld(): void {
    if (this.lostBecause === undefined) return;
    throw new UserError(`the run lost its hold on pipeline ${this.pipeline} (${this.lostBecause}): it stopped before writing more, since another run may hold the pipeline now`, 'reconcile again');
  }

  private async beat(): Promise<void> {
    if (!this.session || this.lostBecause !== undefined) return;
    try {
      await this.session.query('DO 1');
    } catch (e) {
      this.lostBecause = `its MySQL session ended: ${errorMessage(e)}`;
      this.log.error('the reconcile run lost its MySQL session, and its claim on the pipeline hold with it; it stops before its next write', { pipeline: this.pipeline, error: errorMessage(e) });
    }
  }

  /** The run succeeded (or was cancelled): every loader goes on. */
  release(): Promise<void> {
    return this.lastWrite((c) => releaseHold(c, this.pipeline, this.runId));
  }

  /** The run failed: every loader stays held (later batches must not land before the missing ones), and the hold says why. */
  keepFailed(error: string): Promise<void> {
    return this.lastWrite((c) => keepHoldFailed(c, this.pipeline, this.runId, error));
  }

  /**
   * The run's last write to the hold, then the end of its session. On the run's own session
   * when it still answers (it also lets the lock go), else on the pool: a MySQL restarted
   * mid-run took the session, and its lock, with it.
   */
  private async lastWrite(write: (conn: Pick<Pool, 'query'>) => Promise<void>): Promise<void> {
    try {
      if (this.session) {
        try {
          await write(this.session);
          return;
        } catch (e) {
          this.log.warn('the run lost its MySQL session; writing the pipeline hold on a new one', { error: errorMessage(e) });
        }
      }
      await write(this.pool);
    } finally {
      this.end();
    }
  }

  /** Ends the run's session (MySQL frees its lock with it); a no-op once ended. */
  end(): void {
    clearInterval(this.heartbeat);
    this.session?.destroy();
    this.session = undefined;
  }
}
