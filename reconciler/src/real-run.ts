// A real run's effects (./run-effects): it pauses the loader (./loader-pause), holds every
// loader of the pipeline (./run-hold), records itself (./run-recorder) and writes each batch
// it repairs (./repair's writeBatch). A failed run keeps the hold and the loader paused; a
// cancelled one gives them back.
import { errorMessage, faultAt, type Config, type ReconcileProgress, type ReconcileReport, type Logger, type ResolvedSpec, type WalState } from '@pipewarden/core';
import { RunLoaderPause } from './loader-pause';
import { RunHold } from './run-hold';
import { RunRecorder } from './run-recorder';
import { attempt, type RunEffects } from './run-effects';
import { writeBatch, type BatchWrite, type RunMysql, type WriteTarget } from './repair';

/** What a real run's effects know of the run. */
export interface RealRunContext {
  config: Config;
  spec: ResolvedSpec;
  /** The run's report: the effects add the batches they repaired and the loader's restart. */
  report: ReconcileReport;
  /** When the run started (ms since the epoch). */
  started: number;
  /** The Grafana user who pressed the button, recorded with the run. */
  requestedBy?: string;
  /** Restart the loader service after a run that did not fail. */
  restartLoader: boolean;
  step: (p: Partial<ReconcileProgress>) => void;
}

export class RealRunEffects implements RunEffects {
  private readonly loader: RunLoaderPause;
  private recorder?: RunRecorder;
  private target?: WriteTarget;
  /** This run's hold on the pipeline in MySQL: no loader, on any host, commits a batch meanwhile. */
  private hold?: RunHold;

  constructor(private readonly run: RealRunContext, private readonly log: Logger) {
    this.loader = new RunLoaderPause(run.config, run.report.runId, log);
  }

  async openRun(): Promise<void> {
    this.recorder = await RunRecorder.open(this.run.config, this.run.report.runId);
    await this.recorder.start();
  }

  async pauseLoader(): Promise<void> {
    this.run.step({ phase: 'pause_loader' });
    await this.loader.pause();
  }

  /**
   * Hold every loader of the pipeline, wherever it runs (core/src/db/holds.ts): returns once
   * the batch transactions in flight have ended; from then on none commits until the hold
   * is released (a successful run) or an operator resumes (a failed run keeps it).
   */
  async holdPipeline(mysql: RunMysql): Promise<void> {
    const { config, spec, report } = this.run;
    this.target = { ...mysql, spec, pipeline: config.pipeline, log: this.log };
    this.hold = await RunHold.take(config, mysql.pool, report.runId, this.log);
  }

  async recordStart(wal: WalState): Promise<void> {
    const { config, report, started, requestedBy } = this.run;
    await this.recorder!.recordStart(this.target!.pool, wal, { runId: report.runId, pipeline: config.pipeline, trigger: report.trigger, startedAt: started, requestedBy });
  }

  async resolvedFromLedger(ids: readonly string[]): Promise<void> {
    await this.recorder!.settledInLedger(ids);
  }

  async writeBatch(b: BatchWrite): Promise<boolean> {
    const { report } = this.run;
    this.hold?.assertHeld();
    const ok = await writeBatch(this.target!, b);
    await this.recorder!.settled(b.intent.id, b.detail.rowsInserted, b.rows.source);
    report.rowsInserted += b.detail.rowsInserted;
    report.batchesRepaired++;
    faultAt('after-repair', report.batchesRepaired);
    return ok;
  }

  async recordOutcome(): Promise<void> {
    await this.recorder!.recordOutcome(this.run.report);
  }

  /**
   * Give the loader back: the lock first, then the hold, then the service's restart (it
   * resumes from its checkpoint). After a failed verification the loader stays paused and
   * is told why.
   */
  async resumeLoader(): Promise<void> {
    this.loader.unlock();
    if (this.run.report.outcome === 'failed') return this.keepLoaderPaused('verification failed: see the reconciler log');
    if (this.hold) {
      await this.hold.release();
      this.hold = undefined;
    }
    if (this.run.restartLoader) await this.restartLoader();
  }

  private async restartLoader(): Promise<void> {
    const { report } = this.run;
    this.run.step({ phase: 'restart_loader' });
    try {
      report.loaderRestarted = (await this.loader.restart()) === 'done';
    } catch (e) {
      report.loaderError = errorMessage(e);
      this.log.error('the loader did not restart; it stays paused', { error: report.loaderError });
    }
  }

  async endRun(): Promise<void> {
    await this.recorder!.end(this.run.report.outcome);
  }

  async fail(error: string, cancelled: boolean): Promise<void> {
    const { report } = this.run;
    this.loader.unlock();
    const recorder = this.recorder;
    if (recorder) {
      await attempt(this.log, 'record the failed run', () => recorder.recordOutcome(report, error));
      await attempt(this.log, 'close the failed run in the WAL', () => recorder.end(report.outcome));
    }
    if (cancelled) await this.releaseHold();
    else await this.keepLoaderPaused(error);
  }

  /** A cancelled run lets every loader go on. */
  private async releaseHold(): Promise<void> {
    const hold = this.hold;
    this.hold = undefined;
    if (hold) await attempt(this.log, 'release the pipeline hold', () => hold.release());
  }

  /** A failed run keeps the loaders paused (later batches must not land before the missing ones) and says so in the service's /status and the hold. */
  private async keepLoaderPaused(error: string): Promise<void> {
    const hold = this.hold;
    this.hold = undefined;
    if (hold) await attempt(this.log, 'record the failure in the pipeline hold', () => hold.keepFailed(error));
    await this.loader.keepPaused(error);
  }

  async close(): Promise<void> {
    this.hold?.end();
    const recorder = this.recorder;
    if (recorder) await attempt(this.log, 'close the WAL', () => recorder.close());
  }
}
