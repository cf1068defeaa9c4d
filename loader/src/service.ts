// `pipewarden loader serve`: the loader as a long-running service with a control API.
// Pause, resume and restart all come down to "stop the current run, maybe start a new
// one": every run starts from the checkpoint and batches are idempotent (ledger), so a
// restart can neither skip nor duplicate a row.
import express from 'express';
import type { Server } from 'node:http';
import {
  METRICS,
  closeServer,
  buildInfo,
  createLogger,
  gaugeFrom,
  installErrorHandlers,
  listen,
  pingMysql,
  requireBearer,
  requireToken,
  sendError,
  type Config,
  type LoaderPause,
  type LoaderPauseRequest,
  type LoaderState,
  type LoaderStatus,
  type Logger,
} from '@pipewarden/core';
import { runLoad, type LoadProgress, type LoadSummary } from './load';
import { LoaderMetrics } from './metrics';
import { AbortedError, sleep } from './retry';

export interface LoaderServiceOptions {
  source?: string;
  /** Seconds between looks for new objects after a finished run; 0 = stay finished. */
  watchSeconds?: number;
  log?: Logger;
}

export class LoaderService {
  private state: LoaderState = 'idle';
  private progress?: LoadProgress;
  private lastSummary?: LoadSummary;
  private lastError?: string;
  private run?: { ctl: AbortController; done: Promise<void> };
  private paused = false;
  /** Who paused the loader (a reconcile run keeps it paused after failing, and says so here). */
  private pausedBy?: LoaderPause;
  private stopped = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  readonly metrics = new LoaderMetrics(true);
  private readonly pausedByReconcile = gaugeFrom(METRICS.loaderPausedByReconcile, this.metrics.registry);
  readonly log: Logger;
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly config: Config, private readonly opts: LoaderServiceOptions = {}) {
    this.log = opts.log ?? createLogger('loader');
  }

  private setState(s: LoaderState): void {
    if (s !== this.state) this.log.info('state', { from: this.state, to: s });
    this.state = s;
    this.metrics.setState(s);
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
        onProgress: (p) => {
          this.progress = p;
          if (!ctl.signal.aborted && (p.state === 'running' || p.state === 'waiting_mysql')) this.setState(p.state);
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
    this.pausedByReconcile.set(p?.by === 'reconcile' ? 1 : 0);
  }

  async resume(): Promise<void> {
    this.paused = false;
    this.setPausedBy(undefined);
    this.wake?.();
    // Answer with the state the loop moved to, not the one it is leaving.
    for (let i = 0; i < 500 && this.state === 'paused'; i++) await new Promise((r) => setTimeout(r, 10));
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

  status(): LoaderStatus {
    const p = this.progress;
    const secs = p ? Math.max((Date.now() - p.startedAt) / 1000, 0.001) : 1;
    return {
      ...buildInfo(),
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
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
    };
  }

  get summary(): LoadSummary | undefined {
    return this.lastSummary;
  }

  app(token: string): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true, state: this.state });
    });
    app.get('/readyz', async (_req, res) => {
      const mysql = await pingMysql(this.config, 1000);
      res.status(mysql && this.state !== 'failed' ? 200 : 503).json({ ready: mysql && this.state !== 'failed', mysql, state: this.state });
    });
    app.get('/metrics', async (_req, res) => {
      res.set('Content-Type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
    });
    const auth = requireBearer(token);
    app.get('/status', auth, (_req, res) => {
      res.json(this.status());
    });
    app.post('/pause', auth, express.json({ limit: '16kb' }), async (req, res) => {
      const parsed = pauseRequest(req.body);
      if (typeof parsed === 'string') return sendError(res, 400, parsed);
      await this.pause(parsed);
      res.json(this.status());
    });
    app.post('/resume', auth, async (_req, res) => {
      await this.resume();
      res.json(this.status());
    });
    app.post('/restart', auth, async (_req, res) => {
      await this.restart();
      res.json(this.status());
    });
    installErrorHandlers(app, this.log);
    return app;
  }
}

/** POST /pause body: none (an operator's pause) or a LoaderPauseRequest; a string says what is wrong. */
function pauseRequest(body: unknown): LoaderPauseRequest | undefined | string {
  if (body === undefined || (typeof body === 'object' && body !== null && Object.keys(body).length === 0)) return undefined;
  const b = body as Partial<Record<keyof LoaderPauseRequest, unknown>>;
  if (typeof body !== 'object' || body === null || b.by !== 'reconcile' || typeof b.runId !== 'string' || (b.error !== undefined && typeof b.error !== 'string')) {
    return 'body must be empty or {"by": "reconcile", "runId": "<id>", "error"?: "<why it failed>"}';
  }
  return { by: 'reconcile', runId: b.runId, error: b.error as string | undefined };
}

export async function startLoaderService(config: Config, opts: LoaderServiceOptions = {}): Promise<{ service: LoaderService; url: string; server: Server; close(): Promise<void> }> {
  const token = requireToken(config);
  const service = new LoaderService(config, opts);
  const { server, url } = await listen(service.app(token), config.loader.listen);
  service.log.info('loader service listening', { url });
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
