// Reconcile jobs of the service, kept in memory for progress polling (the durable history is
// the reconcile_runs table). One run at a time, but a dry run never stands in the way of a
// repair: a real run requested during a dry run cancels it (a dry run writes nothing) and
// starts as soon as it has stopped. A request the running (or queued) job covers gets that
// job, with `alreadyRunning: true`.
// Pipelines: a job reconciles one pipeline or every one (core/src/pipelines.ts); one job at
// a time per service still: a request for a pipeline the running job does not cover waits
// behind it (at most one job waits; it widens to every pipeline when another one asks). Failures are kept per pipeline: a run of one
// pipeline that succeeds does not clear another's failure (that loader is still paused).
import { randomUUID } from 'node:crypto';
import { DEFAULT_PIPELINE, errorMessage, pipelineNames, type Config, type Logger, type ReconcileFailure, type ReconcileJob, type ReconcileTrigger } from '@pipewarden/core';
import { ReconcileCancelledError, reconcile } from './reconcile';
import type { ReconcilerMetrics } from './metrics';
import { LockBusyError } from './lock';

/** A failed real run and the pipeline it failed for. */
export type PipelineFailure = ReconcileFailure & { pipeline: string };

const KEEP_JOBS = 50;

interface Active {
  job: ReconcileJob;
  ctl: AbortController;
  done: Promise<void>;
  /** Why it was asked to stop; the job's error only if it does stop (it may be past its last cancellation point). */
  cancelReason?: string;
}

/** What POST /reconcile/:id/cancel did. */
export type CancelResult = { ok: true; job: ReconcileJob } | { ok: false; status: 404 | 409; error: string };

export class JobManager {
  private jobs = new Map<string, ReconcileJob>();
  private running?: Active;
  /** A real run waiting for the dry run it cancelled to stop. */
  private queued?: ReconcileJob;
  /** Per pipeline, its last real run failed (cleared by one that succeeds): its loader stays paused. */
  private failures = new Map<string, PipelineFailure>();

  constructor(private readonly config: Config, private readonly metrics: ReconcilerMetrics, private readonly log: Logger) {
    this.metrics.publishPipelines(pipelineNames(config));
  }

  get current(): ReconcileJob | null {
    return this.running ? { ...this.running.job } : null;
  }

  get pending(): ReconcileJob | null {
    return this.queued ? { ...this.queued } : null;
  }

  /** The latest failure still standing (a pipeline whose last real run failed), or null. */
  get lastFailure(): PipelineFailure | null {
    let last: PipelineFailure | null = null;
    for (const f of this.failures.values()) if (!last || f.finishedAt > last.finishedAt) last = f;
    return last;
  }

  /** Every failure still standing, one per pipeline. */
  get standingFailures(): PipelineFailure[] {
    return [...this.failures.values()];
  }

  get(id: string): ReconcileJob | undefined {
    const j = this.jobs.get(id);
    return j ? { ...j } : undefined;
  }

  /**
   * Start a run of one pipeline (null: every pipeline; the caller checked the name), or queue
   * it behind the running one (a real run pre-empts a dry run), or return the job that stands
   * for it: the running or queued one, when that covers the request. A job of another
   * pipeline does not: an alert for pipeline b answered with pipeline a's run would be marked
   * seen and never acted on.
   */
  start(dryRun: boolean, trigger: ReconcileTrigger, requestedBy?: string, pipeline: string | null = null): ReconcileJob {
    // A real run stands for a dry one; a job over every pipeline (null) for any one.
    const covers = (j: ReconcileJob) => (j.pipeline === null || j.pipeline === pipeline) && (!j.dryRun || dryRun);
    const running = this.running;
    if (this.queued) {
      const q = this.queued;
      if (!covers(q)) {
        // One job waits at most: it widens to cover this request too.
        if (q.pipeline !== pipeline) q.pipeline = null;
        if (!dryRun) q.dryRun = false;
        this.log.info('the queued run widens to cover a request', { job: q.id, pipeline: q.pipeline, dryRun: q.dryRun, trigger });
        if (!q.dryRun && running?.job.dryRun) this.cancelRunning(`pre-empted by a real run (${trigger})`);
      }
      return { ...q, alreadyRunning: true };
    }
    if (running && covers(running.job)) return { ...running.job, alreadyRunning: true };
    const job = this.newJob(dryRun, trigger, requestedBy, pipeline);
    if (!running) {
      this.run(job);
      return { ...job };
    }
    this.queued = job;
    if (running.job.dryRun && !dryRun) {
      // A dry run is going and a repair is asked for: the repair must not wait behind a
      // preview that may itself wait ten minutes for MySQL.
      this.log.info('a real run pre-empts the dry run', { dryRun: running.job.id, job: job.id, trigger });
      this.cancelRunning(`pre-empted by a real run (${trigger})`);
    } else {
      this.log.info('a run waits for the running one (it does not cover the request)', { running: running.job.id, job: job.id, pipeline, trigger });
    }
    void running.done.then(() => {
      this.queued = undefined;
      this.run(job);
    });
    return { ...job };
  }

  /** Cancel a dry run (it writes nothing). A real run is never cancelled halfway: it finishes its repairs. */
  cancel(id: string): CancelResult {
    const job = this.jobs.get(id);
    if (!job) return { ok: false, status: 404, error: `no reconcile job ${id}` };
    if (!job.dryRun) return { ok: false, status: 409, error: `job ${id} is a real run; it is not cancelled halfway (it finishes its repairs and restarts the loader)` };
    if (this.running?.job.id === id) this.cancelRunning('cancelled by request');
    return { ok: true, job: { ...job } };
  }

  private cancelRunning(reason: string): void {
    const r = this.running!;
    r.cancelReason = reason;
    r.ctl.abort();
  }

  private newJob(dryRun: boolean, trigger: ReconcileTrigger, requestedBy: string | undefined, pipeline: string | null): ReconcileJob {
    const job: ReconcileJob = {
      id: randomUUID(),
      pipeline,
      state: 'queued',
      dryRun,
      trigger,
      createdAt: new Date().toISOString(),
      progress: { phase: 'lock', batchesTotal: 0, batchesDone: 0, rowsMissing: 0, rowsInserted: 0 },
      ...(requestedBy === undefined ? {} : { requestedBy }),
    };
    this.jobs.set(job.id, job);
    for (const id of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - KEEP_JOBS))) this.jobs.delete(id);
    return job;
  }

  private run(job: ReconcileJob): void {
    const ctl = new AbortController();
    const endTimer = this.metrics.runDuration.startTimer();
    const active: Active = { job, ctl, done: Promise.resolve() };
    active.done = (async () => {
      job.state = 'running';
      job.startedAt = new Date().toISOString();
      try {
        const result = await reconcile(this.config, { dryRun: job.dryRun, trigger: job.trigger, runId: job.id, pipeline: job.pipeline, requestedBy: job.requestedBy, log: this.log, signal: ctl.signal, onProgress: (p) => (job.progress = p) });
        job.result = result;
        job.state = result.outcome === 'failed' ? 'failed' : 'succeeded';
        if (result.outcome === 'failed') job.error = result.error ?? 'verification failed: see the reconciler log';
        // One count per pipeline run (each is a run of its own in reconcile_runs), under its pipeline.
        for (const r of result.pipelines ?? [result]) {
          const pipeline = r.pipeline ?? DEFAULT_PIPELINE;
          this.metrics.runs.inc({ pipeline, trigger: job.trigger, outcome: r.outcome });
          this.metrics.rowsInserted.inc({ pipeline }, r.rowsInserted);
        }
      } catch (e) {
        if (e instanceof ReconcileCancelledError) {
          job.state = 'cancelled';
          job.error = active.cancelReason ?? 'cancelled';
          this.log.info('dry run cancelled', { job: job.id, reason: job.error });
        } else {
          job.state = 'failed';
          job.error = e instanceof LockBusyError ? `${e.message}; try again when it ends` : errorMessage(e);
          // Threw before any pipeline's outcome: a failed run of each pipeline it was to cover.
          for (const pipeline of this.pipelinesOf(job)) this.metrics.runs.inc({ pipeline, trigger: job.trigger, outcome: 'failed' });
          this.log.error('reconcile failed', { job: job.id, error: job.error });
        }
      } finally {
        job.finishedAt = new Date().toISOString();
        endTimer();
        if (!job.dryRun) this.noteRealRun(job);
        this.running = undefined;
      }
    })();
    this.running = active;
  }

  /**
   * A failed real run leaves its pipeline's loader paused: say so (status, metric) until a
   * run of that pipeline succeeds. A cancelled real run (never: real runs are not cancelled)
   * changes nothing.
   */
  private noteRealRun(job: ReconcileJob): void {
    const finishedAt = job.finishedAt!;
    const note = (pipeline: string, r: { runId: string; error?: string } | null) => {
      if (r) this.failures.set(pipeline, { runId: r.runId, pipeline, trigger: job.trigger, error: r.error ?? 'failed', finishedAt });
      else this.failures.delete(pipeline);
    };
    const result = job.result;
    if (!result) {
      // Threw before any pipeline's outcome: a failure of each pipeline it was to cover.
      if (job.state === 'failed') for (const pipeline of this.pipelinesOf(job)) note(pipeline, { runId: job.id, error: job.error });
    } else {
      for (const r of result.pipelines ?? [result]) {
        const error = result.pipelines ? (r.error ?? 'verification failed: see the reconciler log') : job.error;
        note(r.pipeline ?? DEFAULT_PIPELINE, r.outcome === 'failed' ? { runId: r.runId, error } : null);
      }
    }
    this.publishFailures();
  }

  /** The pipelines a job covers: the one it names, or every one. */
  private pipelinesOf(job: ReconcileJob): string[] {
    return job.pipeline === null ? pipelineNames(this.config) : [job.pipeline];
  }

  /** pipewarden_reconcile_last_failed per pipeline: 1 while its failure stands, else 0. */
  private publishFailures(): void {
    const names = new Set([...pipelineNames(this.config), ...this.failures.keys()]);
    for (const pipeline of names) this.metrics.reconcileLastFailed.set({ pipeline }, this.failures.has(pipeline) ? 1 : 0);
  }

  /** Resolves when no run is going or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running.done.then(() => new Promise((r) => setImmediate(r)));
  }
}
