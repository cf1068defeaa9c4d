// A run's hold on every loader of its pipeline (core/src/db/holds.ts), taken on a MySQL
// session of its own: the session's run lock is what tells loaders the run is still at work,
// so it lives exactly as long as the run's claim and ends whatever way the run ends. The
// session is a connection of its own, not one of the run's pool: a pool of one connection
// (PIPEWARDEN_MYSQL_CONNECTIONS=1) would otherwise have none left for the repair, and the
// run would wait for ever (nemesis seed 28013).
import type { Connection, Pool } from 'mysql2/promise';
import { connect, errorMessage, holdPipeline, keepHoldFailed, releaseHold, type Config, type Logger } from '@pipewarden/core';

export class RunHold {
  private constructor(
    private readonly pool: Pool,
    private session: Connection | undefined,
    private readonly pipeline: string,
    private readonly runId: string,
    private readonly log: Logger,
  ) {}

  /** Returns once the loaders' batch transactions in flight have ended; none commits after. */
  static async take(config: Config, pool: Pool, runId: string, log: Logger): Promise<RunHold> {
    const { pipeline } = config;
    const session = await connect(config);
    try {
      await holdPipeline(session, pipeline, runId);
    } catch (e) {
      session.destroy();
      throw e;
    }
    log.info('every loader of the pipeline held', { pipeline });
    return new RunHold(pool, session, pipeline, runId, log);
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
    this.session?.destroy();
    this.session = undefined;
  }
}
