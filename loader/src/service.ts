// `pipewarden loader serve`: the loader as a long-running service with a control API. One
// process runs every pipeline of the deployment (core/src/pipelines.ts), each in its own
// run loop with its own state, so a pipeline that fails or is paused leaves the others
// loading. Pause, resume and restart all come down to "stop the current run, maybe start
// a new one": every run starts from the checkpoint and batches are idempotent (ledger), so
// a restart can neither skip nor duplicate a row.
import express from 'express';
import type { Server } from 'node:http';
import {
  allPipelineConfigs,
  closeServer,
  connect,
  releaseHold,
  buildInfo,
  createLogger,
  datasetOf,
  installErrorHandlers,
  listen,
  pingMysql,
  requireBearer,
  requireToken,
  sendError,
  type Config,
  type LoaderPause,
  type LoaderPauseRequest,
  type LoaderPipelineStatus,
  type LoaderState,
  type LoaderStatus,
  type Logger,
} from '@pipewarden/core';
import { runLoad, type LoadProgress, type LoadSummary } from './load';
import { workerName } from './leases';
import { LoaderMetricSet, type LoaderMetrics } from './metrics';
import { AbortedError, sleep } from './retry';

export interface LoaderServiceOptions {
  /** Source override for a deployment without `pipelines` (the `--source` flag); pipelines name their own. */
  source?: string;
  /** Seconds between looks for new objects after a finished run; 0 = stay finished. */
  watchSeconds?: number;
  log?: Logger;
}

/** A logger that adds fields to every line (the pipeline's name when the process runs several). */
function withFields(log: Logger, extra: Record<string, unknown>): Logger {
  return {
    debug: (m, f) => log.debug(m, { ...extra, ...f }),
    info: (m, f) => log.info(m, { ...extra, ...f }),
    warn: (m, f) => log.warn(m, { ...extra, ...f }),
    error: (m, f) => log.error(m, { ...extra, ...f }),
    child: (c) => withFields(log.child(c), extra),
  };
}

/** One pipeline's run loop: its state, progress, pause, resume and restart. */
export class PipelineRunner {
  private state: LoaderState = 'idle';
  private progress?: LoadProgress;
  private lastSummary?: LoadSummary;
  private lastError?: string;
  private run?: { ctl: AbortController; done: Promise<void> };
  private paused = false;
  /** Who paused the pipeline (a reconcile run keeps it paused after failing, and says so here). */
  private pausedBy?: LoaderPause;
  private stopped = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  readonly name: string;

  constructor(
    readonly config: Config,
    private readonly metrics: LoaderMetrics,
    readonly log: Logger,
    private readonly opts: { source?: string; watchSeconds?: number; worker: string },
  ) {
    this.name = config.pipeline;
  }

  private setState(s: LoaderState): void {
    if (s !== this.state) this.log.info('state', { from: this.state, to: s });
    this.state = s;
    this.metrics.setState(s);
  }

  get summary(): LoadSummary | undefined {
    return this.lastSummary;
  }

  start(): void {
    this.loop = this.runLoop();
  }

  private async runLoop(): Promise<void> {
    while (!this.stopped) {
      if (this.paused) {
        this.setState('paused');
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      const ctl = new AbortController();
      this.setState('running');
      const done = runLoad(this.config, {
        source: this.opts.source,
        signal: ctl.signal,
        log: this.log,
        metrics: this.metrics,
        worker: this.opts.worker,
        // A service waits out even a hold no run is at work on: its reconciler's watchdog retries, or an operator resumes.
        abandonedHold: 'wait',
        onProgress: (p) => {
          this.progress = p;
          // 'paused' here: a reconcile run (perhaps started on another host) holds the pipeline in MySQL.
          if (!ctl.signal.aborted && (p.state === 'running' || p.state === 'waiting_mysql' || p.state === 'waiting_redis' || p.state === 'paused')) this.setState(p.state);
        },
      }).then(
        (summary) => {
          this.lastSummary = summary;
          this.lastError = undefined;
          this.setState('finished');
        },
        (e) => {
          if (e instanceof AbortedError || ctl.signal.aborted) return;
          this.lastError = (e as Error).message;
          this.log.error('load failed', { error: this.lastError });
          this.setState('failed');
        },
      );
      this.run = { ctl, done };
      await done;
      this.run = undefined;
      if (this.stopped || this.paused || ctl.signal.aborted) continue;
      // Finished or failed: look again later (new objects, or the cause fixed), or on demand.
      const wait = this.state === 'failed' ? 30 : this.opts.watchSeconds ?? 0;
      await new Promise<void>((r) => {
        this.wake = r;
        if (wait > 0) sleep(wait * 1000).then(r, r);
      });
    }
  }

  private async stopRun(): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.setState('stopping');
    run.ctl.abort();
    await run.done;
  }

  /** Pause; `req` when a reconcile run asks (again with its error when the run failed). */
  async pause(req?: LoaderPauseRequest): Promise<void> {
    this.paused = true;
    const since = this.pausedBy && this.pausedBy.runId === req?.runId ? this.pausedBy.since : new Date().toISOString();
    this.setPausedBy(req ? { by: 'reconcile', runId: req.runId, since, error: req.error } : { by: 'operator', since });
    if (req?.error) this.log.error('a reconcile run failed; the loader stays paused until one succeeds or someone resumes it', { run: req.runId, error: req.error });
    await this.stopRun();
    this.setState('paused');
    this.wake?.();
  }

  private setPausedBy(p: LoaderPause | undefined): void {
    this.pausedBy = p;
    this.metrics.setPausedByReconcile(p?.by === 'reconcile');
  }

  async resume(): Promise<void> {
    this.paused = false;
    this.setPausedBy(undefined);
    await this.releaseHold();
    this.wake?.();
    // Answer with the state the loop moved to, not the one it is leaving.
    for (let i = 0; i < 500 && this.state === 'paused'; i++) await new Promise((r) => setTimeout(r, 10));
  }

  /**
   * An operator's resume lets every loader of the pipeline go on, on every host: it
   * releases the pipeline hold a failed reconcile run left in MySQL (core/src/db/holds.ts).
   */
  private async releaseHold(): Promise<void> {
    const conn = await connect(this.config).catch((e: unknown) => {
      this.log.warn('could not reach MySQL to release the pipeline hold; loaders on other hosts stay held until a reconcile succeeds', { error: (e as Error).message });
      return undefined;
    });
    if (!conn) return;
    try {
      await releaseHold(conn, this.config.pipeline);
    } catch (e) {
      this.log.warn('could not release the pipeline hold', { error: (e as Error).message });
    } finally {
      await conn.end().catch(() => undefined);
    }
  }

  /** Stop the upload, reopen connections (a new run opens its own), resume from the checkpoint. */
  async restart(): Promise<void> {
    this.paused = false;
    this.setPausedBy(undefined);
    await this.stopRun();
    this.wake?.();
  }

  /** Graceful shutdown: abandon the current batch safely (it replays from the checkpoint). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopRun();
    this.wake?.();
    await this.loop;
  }

  status(): LoaderPipelineStatus {
    const p = this.progress;
    const secs = p ? Math.max((Date.now() - p.startedAt) / 1000, 0.001) : 1;
    const spec = datasetOf(this.config);
    return {
      name: this.name,
      dataset: spec.name,
      table: spec.table,
      state: this.state,
      source: this.opts.source ?? this.config.source,
      engine: this.config.engine,
      rowsIn: p?.rowsIn ?? 0,
      rowsLoaded: p?.rowsLoaded ?? 0,
      rowsRejected: p?.rowsRejected ?? 0,
      rowsDuplicate: p?.rowsDuplicate ?? 0,
      bytesRead: p?.bytesRead ?? 0,
      bytesTotal: p?.bytesTotal ?? 0,
      rowsPerSecond: p ? p.rowsIn / secs : 0,
      currentObject: p?.object,
      lastError: this.lastError ?? p?.lastError,
      pausedBy: this.pausedBy,
      worker: this.opts.worker,
      holding: p?.holding ?? [],
      startedAt: p ? new Date(p.startedAt).toISOString() : undefined,
      updatedAt: new Date().toISOString(),
    };
  }
}

/** The aggregate state: the most urgent of the pipelines'. */
const URGENCY: LoaderState[] = ['failed', 'waiting_mysql', 'waiting_redis', 'paused', 'stopping', 'running', 'finished', 'idle', 'unreachable'];

/** A pipeline name that is not one of the service's (answered 404, naming them). */
class UnknownPipelineError extends Error {
  constructor(readonly pipeline: string, readonly names: string[]) {
    super(`no pipeline "${pipeline}" (pipelines: ${names.join(', ')})`);
    this.name = 'UnknownPipelineError';
  }
}

export class LoaderService {
  readonly metricSet = new LoaderMetricSet(true);
  readonly log: Logger;
  readonly runners: PipelineRunner[];
  private readonly startedAt = new Date().toISOString();
  /** This service's name among the loaders sharing a source (object leases), for its life. */
  readonly worker: string;

  constructor(private readonly config: Config, opts: LoaderServiceOptions = {}) {
    this.log = opts.log ?? createLogger('loader');
    // Every pipeline gets its share of the MySQL connections: they run at once.
    const configs = allPipelineConfigs(config, { shareConnections: true });
    const several = config.pipelines !== undefined && config.pipelines.length > 0;
    this.worker = workerName(config);
    this.runners = configs.map(
      (c) =>
        new PipelineRunner(c, this.metricSet.pipeline(c.pipeline), several ? withFields(this.log, { pipeline: c.pipeline }) : this.log, {
          // --source stands for the one source of a deployment without pipelines; pipelines name their own.
          source: several ? undefined : opts.source,
          watchSeconds: opts.watchSeconds,
          worker: this.worker,
        }),
    );
  }

  /** The runner of each pipeline named; all of them when `name` is absent. */
  select(name?: string): PipelineRunner[] {
    if (name === undefined) return this.runners;
    const r = this.runners.find((x) => x.name === name);
    if (!r) throw new UnknownPipelineError(name, this.runners.map((x) => x.name));
    return [r];
  }

  start(): void {
    for (const r of this.runners) r.start();
  }

  /** Pause every pipeline, or `pipeline` (also `req.pipeline`); `req` when a reconcile run asks. */
  async pause(req?: LoaderPauseRequest, pipeline: string | undefined = req?.pipeline): Promise<void> {
    await Promise.all(this.select(pipeline).map((r) => r.pause(req)));
  }

  async resume(pipeline?: string): Promise<void> {
    await Promise.all(this.select(pipeline).map((r) => r.resume()));
  }

  async restart(pipeline?: string): Promise<void> {
    await Promise.all(this.select(pipeline).map((r) => r.restart()));
  }

  /** Graceful shutdown of every pipeline. */
  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }

  summaryOf(pipeline: string): LoadSummary | undefined {
    return this.select(pipeline)[0].summary;
  }

  /** Every pipeline, and the sum of them at the top level (state: the most urgent). */
  status(): LoaderStatus {
    const ps = this.runners.map((r) => r.status());
    const sum = (f: (p: LoaderPipelineStatus) => number) => ps.reduce((a, p) => a + f(p), 0);
    const state = ps.length ? URGENCY.find((s) => ps.some((p) => p.state === s)) ?? ps[0].state : 'idle';
    const one = ps.length === 1 ? ps[0] : undefined;
    const same = <T>(f: (p: LoaderPipelineStatus) => T): T | undefined => (ps.length && ps.every((p) => f(p) === f(ps[0])) ? f(ps[0]) : undefined);
    const allPaused = ps.length > 0 && ps.every((p) => p.pausedBy);
    const errors = ps.filter((p) => p.lastError);
    return {
      ...buildInfo(),
      worker: this.worker,
      state,
      source: one ? one.source : same((p) => p.source),
      engine: same((p) => p.engine) ?? ps[0]?.engine ?? this.config.engine,
      rowsIn: sum((p) => p.rowsIn),
      rowsLoaded: sum((p) => p.rowsLoaded),
      rowsRejected: sum((p) => p.rowsRejected),
      rowsDuplicate: sum((p) => p.rowsDuplicate),
      bytesRead: sum((p) => p.bytesRead),
      bytesTotal: sum((p) => p.bytesTotal),
      rowsPerSecond: sum((p) => p.rowsPerSecond),
      currentObject: one ? one.currentObject : ps.find((p) => p.currentObject && (p.state === 'running' || p.state === 'waiting_mysql' || p.state === 'waiting_redis'))?.currentObject,
      lastError: one ? one.lastError : errors.length ? errors.map((p) => `${p.name}: ${p.lastError}`).join('; ') : undefined,
      // A reconcile's hold (with its error) says more than an operator's pause.
      pausedBy: one ? one.pausedBy : allPaused ? (ps.find((p) => p.pausedBy?.error) ?? ps.find((p) => p.pausedBy?.by === 'reconcile') ?? ps[0]).pausedBy : undefined,
      pipelines: ps,
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
    };
  }

  app(token: string): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true, state: this.status().state });
    });
    app.get('/readyz', async (_req, res) => {
      const mysql = await pingMysql(this.config, 1000);
      const state = this.status().state;
      res.status(mysql && state !== 'failed' ? 200 : 503).json({ ready: mysql && state !== 'failed', mysql, state });
    });
    app.get('/metrics', async (_req, res) => {
      res.set('Content-Type', this.metricSet.registry.contentType).send(await this.metricSet.registry.metrics());
    });
    const auth = requireBearer(token);
    app.get('/status', auth, (_req, res) => {
      res.json(this.status());
    });
    // Each control request names one pipeline or none (= every pipeline); a name the
    // service does not run is a 404 that lists the ones it does.
    const control = (fn: (req: express.Request) => Promise<void> | string): express.RequestHandler => async (req, res, next) => {
      try {
        const r = fn(req);
        if (typeof r === 'string') return sendError(res, 400, r);
        await r;
        res.json(this.status());
      } catch (e) {
        if (e instanceof UnknownPipelineError) return sendError(res, 404, e.message);
        next(e);
      }
    };
    const json = express.json({ limit: '16kb' });
    app.post(
      '/pause',
      auth,
      json,
      control((req) => {
        const parsed = pauseRequest(req.body, req.query.pipeline);
        return typeof parsed === 'string' ? parsed : this.pause(parsed.req, parsed.pipeline);
      }),
    );
    app.post(
      '/resume',
      auth,
      json,
      control((req) => {
        const p = pipelineParam(req.body, req.query.pipeline);
        return 'error' in p ? p.error : this.resume(p.pipeline);
      }),
    );
    app.post(
      '/restart',
      auth,
      json,
      control((req) => {
        const p = pipelineParam(req.body, req.query.pipeline);
        return 'error' in p ? p.error : this.restart(p.pipeline);
      }),
    );
    installErrorHandlers(app, this.log);
    return app;
  }
}

/** `?pipeline=` or a JSON body's `pipeline`: one name, or none = every pipeline. */
function pipelineParam(body: unknown, query: unknown): { pipeline?: string } | { error: string } {
  const fromBody = typeof body === 'object' && body !== null ? (body as { pipeline?: unknown }).pipeline : undefined;
  const v = query ?? fromBody;
  if (v === undefined) return {};
  if (typeof v !== 'string' || v === '') return { error: 'the pipeline must be one name, as ?pipeline=NAME or {"pipeline": "NAME"}' };
  return { pipeline: v };
}

/** POST /pause body: none (an operator's pause), `{pipeline}`, or a LoaderPauseRequest; a string says what is wrong. */
function pauseRequest(body: unknown, query: unknown): { req?: LoaderPauseRequest; pipeline?: string } | string {
  const p = pipelineParam(body, query);
  if ('error' in p) return p.error;
  const { pipeline } = p;
  const rest = typeof body === 'object' && body !== null ? Object.keys(body).filter((k) => k !== 'pipeline') : [];
  if (body === undefined || (typeof body === 'object' && body !== null && rest.length === 0)) return { pipeline };
  const b = body as Partial<Record<keyof LoaderPauseRequest, unknown>>;
  if (typeof body !== 'object' || body === null || b.by !== 'reconcile' || typeof b.runId !== 'string' || (b.error !== undefined && typeof b.error !== 'string')) {
    return 'body must be empty, {"pipeline": "<name>"} or {"by": "reconcile", "runId": "<id>", "pipeline"?: "<name>", "error"?: "<why it failed>"}';
  }
  return { req: { by: 'reconcile', runId: b.runId, error: b.error as string | undefined, ...(pipeline !== undefined && { pipeline }) }, pipeline };
}

export async function startLoaderService(config: Config, opts: LoaderServiceOptions = {}): Promise<{ service: LoaderService; url: string; server: Server; close(): Promise<void> }> {
  const token = requireToken(config);
  const service = new LoaderService(config, opts);
  const { server, url } = await listen(service.app(token), config.loader.listen);
  service.log.info('loader service listening', { url, pipelines: service.runners.map((r) => r.name) });
  service.start();
  return {
    service,
    url,
    server,
    async close() {
      await service.stop();
      await closeServer(server);
    },
  };
}
