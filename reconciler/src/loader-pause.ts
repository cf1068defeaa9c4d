// The pause and resume phases of a real run: the loader service of the pipeline paused and
// the WAL's loader lock held before the run reads anything, both given back at its end — or,
// when the run failed, the service kept paused and told why.
import { UserError, errorMessage, type Config, type Logger } from '@pipewarden/core';
import { acquireLoaderLock } from '@pipewarden/loader';
import { LoaderClient, type ControlResult } from './loader-client';

export class RunLoaderPause {
  private readonly loader: LoaderClient;
  /** The loader service answered the pause (false: none listens). */
  private paused = false;
  private releaseLock?: () => void;

  constructor(private readonly config: Config, private readonly runId: string, private readonly log: Logger) {
    this.loader = new LoaderClient(config);
  }

  /**
   * Pause the loader service, then hold the loader lock for the run: the reconciler never
   * writes while a loader may still write (one it could not pause, or a one-shot
   * `pipewarden load` holding the lock). Only "no loader service listening" is fine.
   */
  async pause(): Promise<void> {
    const refuse = 'the reconciler will not write while a loader it could not pause may still write';
    try {
      this.paused = (await this.loader.pause({ by: 'reconcile', runId: this.runId, pipeline: this.config.pipeline })) === 'done';
    } catch (e) {
      throw new UserError(`${errorMessage(e)}; ${refuse}`, 'fix or stop the loader service, then reconcile again (a dry run still reports what is missing)');
    }
    this.log.info(this.paused ? 'loader paused' : 'no loader service listening; continuing without it', { pipeline: this.config.pipeline });
    try {
      this.releaseLock = acquireLoaderLock(this.config.wal.dir);
    } catch (e) {
      // acquireLoaderLock turns only a held lock into a UserError; a lock file it cannot
      // write (EACCES, ENOSPC) is another problem and keeps its own message.
      if (!(e instanceof UserError)) throw e;
      throw new UserError(`a loader process holds the WAL's loader lock (${errorMessage(e)}); ${refuse}`, 'let that load finish or stop it, then reconcile again');
    }
  }

  /** The loader lock goes back first, whatever the outcome; a no-op once released. */
  unlock(): void {
    this.releaseLock?.();
    this.releaseLock = undefined;
  }

  /** The service restarts the pipeline (it resumes from its checkpoint). */
  restart(): Promise<ControlResult> {
    return this.loader.restart(this.config.pipeline);
  }

  /** A failed run: the service stays paused, and its /status says why (when it answered the pause). */
  async keepPaused(error: string): Promise<void> {
    if (!this.paused) return;
    try {
      await this.loader.pause({ by: 'reconcile', runId: this.runId, pipeline: this.config.pipeline, error });
    } catch (e) {
      this.log.error('could not tell the loader why it stays paused', { error: errorMessage(e) });
    }
  }
}
