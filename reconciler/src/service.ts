// `pipewarden reconciler serve`: the reconcile API the Grafana button calls, history,
// status, the Alertmanager receiver and the watchdog. It serves every pipeline of the
// configuration (core/src/pipelines.ts): a job reconciles one of them or all, /runs filters
// by pipeline, /status shows each pipeline's WAL and last run.
import express from 'express';
import type { Server } from 'node:http';
import type Redis from 'ioredis';
import {
  PIPELINE_NAME,
  allPipelineConfigs,
  closeServer,
  datasetOf,
  createLogger,
  createPool,
  createRedis,
  errorMessage,
  installErrorHandlers,
  listRuns,
  buildInfo,
  listen,
  mirrorKeys,
  mirrorStats,
  pingMysql,
  readWalState,
  requireBearer,
  requireToken,
  runDetail,
  sendError,
  type Config,
  type LoaderStatus,
  type WalState,
  type Logger,
  type ReconcileRun,
  type ReconcilerStatus,
} from '@pipewarden/core';
import { runDoctor } from '@pipewarden/loader';
import { AlertDeduper, alertmanagerPayload } from './alertmanager';
import { JobManager } from './jobs';
import { LoaderClient } from './loader-client';
import { ReconcilerMetrics } from './metrics';
import { jobPipeline } from './plan';
import { Watchdog } from './watchdog';

export interface ReconcilerServiceOptions {
  log?: Logger;
  /** Override config.reconciler.watchdog. */
  watchdog?: boolean;
}

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** reconcile_runs.requested_by's width. */
const MAX_REQUESTED_BY = 190;

/**
 * Who pressed the button: Grafana sets X-Grafana-User on proxied requests when
 * `[dataproxy] send_user_header` is on (overwriting what a browser sent). Trusted because the
 * request carries the service token, which only Grafana's proxy holds.
 */
function requestedBy(req: express.Request): { ok: true; user?: string } | { ok: false; error: string } {
  const user = req.get('x-grafana-user')?.trim();
  if (!user) return { ok: true };
  if (user.length > MAX_REQUESTED_BY) return { ok: false, error: `X-Grafana-User is longer than ${MAX_REQUESTED_BY} characters` };
  return { ok: true, user };
}

export class ReconcilerService {
  readonly metrics = new ReconcilerMetrics();
  readonly jobs: JobManager;
  readonly watchdog: Watchdog;
  readonly log: Logger;
  private readonly pool;
  private readonly redis: Redis;
  private readonly loader: LoaderClient;
  private readonly alerts: AlertDeduper;
  /** Every pipeline's Config, in the configuration's order (checked: one table per pipeline). */
  readonly pipelines: Config[];

  constructor(private readonly config: Config, private readonly opts: ReconcilerServiceOptions = {}) {
    this.log = opts.log ?? createLogger('reconciler');
    this.pipelines = allPipelineConfigs(config);
    this.jobs = new JobManager(config, this.metrics, this.log);
    this.watchdog = new Watchdog(config, this.jobs, this.metrics, this.log, this.pipelines);
    this.pool = createPool(config, { connectionLimit: 2 });
    // Reconnects on its own; while Redis is away /status says so (errors logged by createRedis).
    this.redis = createRedis(config, { role: 'reconciler-status', log: this.log, connectTimeoutMs: 1000, behaviour: { enableOfflineQueue: false, maxRetriesPerRequest: 0 } });
    this.loader = new LoaderClient(config);
    this.alerts = new AlertDeduper(config.reconciler.alertNames);
  }

  get watchdogEnabled(): boolean {
    return this.opts.watchdog ?? this.config.reconciler.watchdog;
  }

  get pipelineNames(): string[] {
    return this.pipelines.map((p) => p.pipeline);
  }

  /** The latest recorded runs, of one pipeline when `pipeline` is given. */
  runs(limit: number, pipeline?: string): Promise<ReconcileRun[]> {
    return listRuns(this.pool, limit, pipeline);
  }

  /** The loader as /status shows it: absent (nothing listens) is not an error; a wrong answer is. */
  private async loaderView(): Promise<ReconcilerStatus['loader']> {
    const url = this.config.loader.url;
    let s: LoaderStatus | null;
    try {
      s = await this.loader.status();
    } catch (e) {
      return { reachable: false, state: 'unreachable', url, error: errorMessage(e) };
    }
    return s ? { reachable: true, state: s.state, url, pausedBy: s.pausedBy } : { reachable: false, state: 'unreachable', url };
  }

  private async redisView(): Promise<ReconcilerStatus['redis']> {
    if (this.redis.status !== 'ready') return { up: false, mirrorBatches: 0, mirrorBytes: 0 };
    try {
      // Each pipeline mirrors under its own key prefix.
      const all = await Promise.all(this.pipelines.map((p) => mirrorStats(this.redis, mirrorKeys(p.redis.keyPrefix))));
      return { up: true, mirrorBatches: all.reduce((n, s) => n + s.batches, 0), mirrorBytes: all.reduce((n, s) => n + s.bytes, 0) };
    } catch (e) {
      this.log.warn('cannot read the mirror stats', { error: errorMessage(e) });
      return { up: false, mirrorBatches: 0, mirrorBytes: 0 };
    }
  }

  private async lastRun(mysqlUp: boolean, pipeline?: string): Promise<ReconcileRun | null> {
    if (!mysqlUp) return null;
    try {
      return (await this.runs(1, pipeline))[0] ?? null;
    } catch (e) {
      this.log.warn('cannot read reconcile_runs', { error: errorMessage(e) });
      return null;
    }
  }

  async status(): Promise<ReconcilerStatus> {
    const ping = pingMysql(this.config, 1500);
    // Only the last run (read from MySQL) waits for the ping; the other views run alongside it.
    const lasts = ping.then((up) => Promise.all(this.pipelines.map((p) => this.lastRun(up, p.pipeline))));
    const [mysqlUp, loader, redis, last, pipelineLasts] = await Promise.all([ping, this.loaderView(), this.redisView(), ping.then((up) => this.lastRun(up)), lasts]);
    const pipelines = this.pipelines.map((p, i) => {
      const spec = datasetOf(p);
      return { name: p.pipeline, dataset: spec.name, table: spec.table, wal: walView(readWalState(p.wal.dir)), last: pipelineLasts[i] };
    });
    return {
      ...buildInfo(),
      mysql: { up: mysqlUp },
      redis,
      loader,
      wal: {
        bytes: pipelines.reduce((n, p) => n + p.wal.bytes, 0),
        segments: pipelines.reduce((n, p) => n + p.wal.segments, 0),
        batchesInDoubt: pipelines.reduce((n, p) => n + p.wal.batchesInDoubt, 0),
        tornTail: pipelines.some((p) => p.wal.tornTail),
      },
      pipelines,
      reconcile: { running: this.jobs.current, queued: this.jobs.pending, last, lastFailure: this.jobs.lastFailure },
      watchdog: { enabled: this.watchdogEnabled, lastDecision: this.watchdog.lastDecision, lastDecisionAt: this.watchdog.lastDecisionAt },
    };
  }

  app(token: string): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.use(express.json({ limit: '1mb' }));
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/metrics', async (_req, res) => {
      res.set('Content-Type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
    });
    const auth = requireBearer(token);
    app.get('/status', auth, async (_req, res) => {
      res.json(await this.status());
    });
    this.jobRoutes(app, auth);
    this.historyRoutes(app, auth);
    // The target's settings that decide speed and safety (pipewarden doctor), for the app's
    // Configuration page: a target that does not answer is a finding, not an error.
    app.get('/doctor', auth, async (_req, res) => {
      try {
        res.json(await runDoctor(this.config));
      } catch (e) {
        sendError(res, 500, `the checks could not run: ${(e as Error).message}`);
      }
    });
    app.post('/alertmanager', auth, (req, res) => this.onAlerts(req, res));
    installErrorHandlers(app, this.log);
    return app;
  }

  /** Reconcile jobs: start one, follow it, cancel it. */
  private jobRoutes(app: express.Express, auth: express.RequestHandler): void {
    app.post('/reconcile', auth, (req, res) => this.startJob(req, res));
    app.get('/reconcile/:id', auth, (req, res) => {
      const job = this.jobs.get(String(req.params.id));
      if (!job) return sendError(res, 404, `no reconcile job ${req.params.id} (jobs are kept in memory; see GET /runs for history)`);
      res.json(job);
    });
    // A dismissed preview: its dry run stops (it may be waiting minutes for MySQL).
    app.post('/reconcile/:id/cancel', auth, (req, res) => {
      const r = this.jobs.cancel(String(req.params.id));
      if (!r.ok) return sendError(res, r.status, r.error);
      res.status(202).json(r.job);
    });
  }

  /** POST /reconcile: a job for the pipeline the body names (none: every pipeline). */
  private startJob(req: express.Request, res: express.Response): void {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) return sendError(res, 400, 'body must be a JSON object like {"dryRun": true}');
    if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') return sendError(res, 400, '"dryRun" must be true or false');
    if (body.trigger !== undefined && body.trigger !== 'button' && body.trigger !== 'api') return sendError(res, 400, '"trigger" must be "button" or "api"');
    if (body.pipeline !== undefined && body.pipeline !== null && typeof body.pipeline !== 'string') return sendError(res, 400, '"pipeline" must be a pipeline\'s name (absent: every pipeline)');
    const pipeline = (body.pipeline as string | null | undefined) ?? null;
    if (pipeline !== null && !this.pipelineNames.includes(pipeline)) return sendError(res, 404, `no pipeline "${pipeline}" (pipelines: ${this.pipelineNames.join(', ')})`, 'name one of them, or none to reconcile every pipeline');
    const by = requestedBy(req);
    if (!by.ok) return sendError(res, 400, by.error);
    const job = this.jobs.start(body.dryRun === true, (body.trigger as 'button' | 'api') ?? 'api', by.user, pipeline);
    res.status(202).location(`/reconcile/${job.id}`).json(job);
  }

  /** The recorded runs (reconcile_runs), and one run with its batches. */
  private historyRoutes(app: express.Express, auth: express.RequestHandler): void {
    app.get('/runs', auth, async (req, res) => {
      const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 50) || 50));
      const pipeline = req.query.pipeline;
      // Any well-formed name: the history may hold runs of a pipeline since removed from the configuration.
      if (pipeline !== undefined && (typeof pipeline !== 'string' || !PIPELINE_NAME.test(pipeline))) return sendError(res, 400, '"pipeline" must be one pipeline\'s name (lower case letters, digits, - and _)');
      try {
        res.json({ runs: await this.runs(limit, pipeline) });
      } catch (e) {
        sendError(res, 503, `cannot read reconcile_runs: ${(e as Error).message}`, 'is MySQL up?');
      }
    });
    app.get('/runs/:id', auth, async (req, res) => {
      const id = String(req.params.id);
      if (!RUN_ID.test(id)) return sendError(res, 400, `"${id.slice(0, 64)}" is not a run id (a UUID, as GET /runs lists them)`);
      try {
        const run = await runDetail(this.pool, id);
        if (!run) return sendError(res, 404, `no recorded reconcile run ${id}`, 'dry runs are not recorded; GET /runs lists the recorded ones');
        res.json(run);
      } catch (e) {
        sendError(res, 503, `cannot read reconcile_runs: ${(e as Error).message}`, 'is MySQL up?');
      }
    });
  }

  /** POST /alertmanager: each alert classified; the firing ones the reconciler handles start a real run. */
  private onAlerts(req: express.Request, res: express.Response): void {
    const parsed = alertmanagerPayload.safeParse(req.body);
    if (!parsed.success) {
      this.metrics.alertNotifications.inc({ action: 'invalid' });
      return sendError(res, 400, `not an Alertmanager v4 webhook payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const decisions = this.alerts.classify(parsed.data);
    let job = null;
    for (const d of decisions) this.metrics.alertNotifications.inc({ action: d.action });
    const firing = decisions.filter((d) => d.action === 'reconcile');
    if (firing.length > 0) {
      // The alerts' `pipeline` labels: one known pipeline → that one; else every pipeline.
      job = this.jobs.start(false, 'alert', undefined, jobPipeline(firing.map((d) => d.pipeline), this.pipelineNames));
      this.log.info('alert triggered a reconcile', { alerts: firing.map((d) => d.alertname), pipeline: job.pipeline, job: job.id, joined: job.alreadyRunning === true });
    }
    res.json({ decisions, job });
  }

  start(): void {
    if (this.watchdogEnabled) this.watchdog.start();
  }

  async stop(): Promise<void> {
    this.watchdog.stop();
    await this.jobs.idle();
    try {
      await this.pool.end();
    } catch (e) {
      this.log.warn('could not close the MySQL pool', { error: errorMessage(e) });
    }
    this.redis.disconnect();
  }
}

function walView(wal: WalState): { bytes: number; segments: number; batchesInDoubt: number; tornTail: boolean } {
  return { bytes: wal.bytes, segments: wal.segments, batchesInDoubt: wal.inDoubt.size, tornTail: wal.tornTails.length > 0 };
}

export async function startReconcilerService(config: Config, opts: ReconcilerServiceOptions = {}): Promise<{ service: ReconcilerService; url: string; server: Server; close(): Promise<void> }> {
  const token = requireToken(config);
  const service = new ReconcilerService(config, opts);
  const { server, url } = await listen(service.app(token), config.reconciler.listen);
  service.log.info('reconciler service listening', { url, watchdog: service.watchdogEnabled });
  service.start();
  return {
    service,
    url,
    server,
    async close() {
      await closeServer(server);
      await service.stop();
    },
  };
}
