// Reconcile jobs of the service: single-flight (a request while a run goes gets that run),
// kept in memory for progress polling; the durable history is the reconcile_runs table.
import { randomUUID } from 'node:crypto';
import type { Config, Logger, ReconcileJob, ReconcileTrigger } from '@pipewarden/core';
import { reconcile } from './reconcile';
import type { ReconcilerMetrics } from './metrics';
import { LockBusyError } from './lock';

const KEEP_JOBS = 50;

export class JobManager {
  private jobs = new Map<string, ReconcileJob>();
  private running?: { job: ReconcileJob; done: Promise<void> };

  constructor(private readonly config: Config, private readonly metrics: ReconcilerMetrics, private readonly log: Logger) {}

  get current(): ReconcileJob | null {
    return this.running ? { ...this.running.job } : null;
  }

  get(id: string): ReconcileJob | undefined {
    const j = this.jobs.get(id);
    return j ? { ...j } : undefined;
  }

  /** Start a run, or return the one already going (`alreadyRunning: true`). */
  start(dryRun: boolean, trigger: ReconcileTrigger): ReconcileJob {
    if (this.running) return { ...this.running.job, alreadyRunning: true };
    const job: ReconcileJob = {
      id: randomUUID(),
      state: 'queued',
      dryRun,
      trigger,
      createdAt: new Date().toISOString(),
      progress: { phase: 'lock', batchesTotal: 0, batchesDone: 0, rowsMissing: 0, rowsInserted: 0 },
    };
    this.jobs.set(job.id, job);
    for (const id of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - KEEP_JOBS))) this.jobs.delete(id);
    const endTimer = this.metrics.runDuration.startTimer();
    const done = (async () => {
      job.state = 'running';
      job.startedAt = new Date().toISOString();
      try {
        const result = await reconcile(this.config, { dryRun, trigger, runId: job.id, log: this.log, onProgress: (p) => (job.progress = p) });
        job.result = result;
        job.state = result.outcome === 'failed' ? 'failed' : 'succeeded';
        if (result.outcome === 'failed') job.error = 'verification failed: see the reconciler log';
        this.metrics.runs.inc({ trigger, outcome: result.outcome });
        this.metrics.rowsInserted.inc(result.rowsInserted);
      } catch (e) {
        job.state = 'failed';
        job.error = e instanceof LockBusyError ? `${e.message}; try again when it ends` : (e as Error).message;
        this.metrics.runs.inc({ trigger, outcome: 'failed' });
        this.log.error('reconcile failed', { job: job.id, error: job.error });
      } finally {
        job.finishedAt = new Date().toISOString();
        endTimer();
        this.running = undefined;
      }
    })();
    this.running = { job, done };
    return { ...job };
  }

  /** Resolves when the current run (if any) ends. */
  async idle(): Promise<void> {
    await this.running?.done;
  }
}
