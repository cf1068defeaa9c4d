// The pipewarden exporter: pipeline state read at scrape time (ledger, dead letters,
// reconcile runs, WAL, Redis mirror, source vs checkpoint, loader state), each series per
// pipeline (label `pipeline`; `default` without a config file's pipelines), and probes of
// MySQL, Redis, S3, the loader and the reconciler. One failing collector never fails a
// scrape: its series are absent and pipewarden_exporter_collector_success says which.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createLogger, errorMessage, installErrorHandlers, parseHostPort, UserError, type Config, type Logger } from '@pipewarden/core';
import { createS3Client, MysqlClient, RedisClient } from './clients';
import type { Collector, CollectorResult } from './collector';
import { deadLetterCollector, ledgerCollector, reconcileCollector } from './collectors/mysql';
import { mirrorCollector } from './collectors/mirror';
import { leasesCollector } from './collectors/leases';
import { loaderCollector, probeCollector, probes } from './collectors/services';
import { sourceCollector } from './collectors/source';
import { walCollector } from './collectors/wal';
import { landingPage } from './landing';
import { watchedPipelines, type WatchedPipeline } from './pipelines';
import { ownership, Scrape, scrapeRegistry } from './scrape';

export { runCollector, type Collector } from './collector';
export type { WatchedPipeline } from './pipelines';

export interface ExporterOptions {
  /** host:port to listen on instead of config.exporter.listen (port 0 = any free port). */
  listen?: string;
  log?: Logger;
  /** Budget of each probe (default 1000 ms). */
  probeTimeoutMs?: number;
  /** Budget of each collector per scrape (default 2500 ms); keep it under Prometheus's scrape_timeout. */
  collectorTimeoutMs?: number;
  /** How long a source listing is reused (default 10 s). */
  sourceCacheMs?: number;
}

export interface ExporterHandle {
  url: string;
  /** Stop listening, let in-flight scrapes finish (at most 5 s), close every connection. */
  close(): Promise<void>;
}

/**
 * The collectors of one exporter and their connections. Nothing connects here: MySQL,
 * Redis and S3 are first contacted by a scrape.
 */
export function createCollectors(
  config: Config,
  opts: { probeTimeoutMs: number; collectorTimeoutMs: number; sourceCacheMs?: number; log?: Logger },
): { collectors: Collector[]; probed: string[]; pipelines: WatchedPipeline[]; close(): Promise<void> } {
  const { probeTimeoutMs, collectorTimeoutMs } = opts;
  const db = new MysqlClient(config, { timeoutMs: probeTimeoutMs });
  const redis = new RedisClient(config, { timeoutMs: probeTimeoutMs }, opts.log);
  const s3 = createS3Client(config, { timeoutMs: probeTimeoutMs });
  const pipelines = watchedPipelines(config);
  const probeList = probes({ config, pipelines, db, redis, s3, timeoutMs: probeTimeoutMs });
  const names = pipelines.map((p) => p.name);
  const collectors: Collector[] = [
    ledgerCollector(db, names),
    deadLetterCollector(db, names),
    reconcileCollector(db, names),
    leasesCollector(db, names),
    walCollector(pipelines),
    mirrorCollector(redis, pipelines),
    sourceCollector({ config, pipelines, cacheMs: opts.sourceCacheMs ?? 10_000, timeoutMs: collectorTimeoutMs }),
    loaderCollector(config, names, probeTimeoutMs),
    probeCollector(probeList),
  ];
  return {
    collectors,
    probed: Object.keys(probeList),
    pipelines,
    async close() {
      await Promise.all([db.close(), redis.close(), ...collectors.map((c) => c.close?.())]);
      s3.destroy();
    },
  };
}

export async function startExporter(config: Config, opts: ExporterOptions = {}): Promise<ExporterHandle> {
  const log = opts.log ?? createLogger('exporter');
  const probeTimeoutMs = opts.probeTimeoutMs ?? 1000;
  const collectorTimeoutMs = opts.collectorTimeoutMs ?? Math.max(2500, probeTimeoutMs + 500);
  const { host, port } = parseHostPort(opts.listen ?? config.exporter.listen);

  const { collectors, probed, pipelines, close: closeClients } = createCollectors(config, { probeTimeoutMs, collectorTimeoutMs, sourceCacheMs: opts.sourceCacheMs, log });
  const owners = ownership(collectors);

  // Log when a collector starts or stops failing, not on every scrape of an outage.
  const healthy = new Map<string, boolean>();
  const onResult = (c: Collector, r: CollectorResult) => {
    const before = healthy.get(c.name);
    healthy.set(c.name, r.ok);
    if (!r.ok && before !== false) log.warn('collector failing; its series are absent until it recovers', { collector: c.name, error: errorMessage(r.error) });
    else if (r.ok && before === false) log.info('collector recovered', { collector: c.name });
  };

  const app = express();
  app.disable('x-powered-by');
  const landing = landingPage(config, collectors, probed, pipelines);
  app.get('/', (_req, res) => {
    res.type('html').send(landing);
  });
  app.get('/healthz', (_req, res) => {
    res.type('text').send('ok\n');
  });
  app.get('/metrics', async (_req, res) => {
    const registry = scrapeRegistry(new Scrape(collectors, { timeoutMs: collectorTimeoutMs, onResult }), owners);
    const body = await registry.metrics();
    res.set('Content-Type', registry.contentType).set('Cache-Control', 'no-store').send(body);
  });
  installErrorHandlers(app, log);

  const server: Server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await closeClients();
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`the exporter cannot listen on ${host}:${port}: ${code ?? errorMessage(e)}`, code === 'EADDRINUSE' ? 'another process uses this port; set PIPEWARDEN_EXPORTER_LISTEN' : undefined);
  }
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  log.info('exporter listening', { url: `${url}/metrics` });
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    log.warn('the exporter listens beyond loopback; /metrics has no authentication (it holds no secrets, but shows pipeline state)', { listen: `${host}:${port}` });
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), 5000);
        await closed;
        clearTimeout(force);
        await closeClients();
      })();
      return closing;
    },
  };
}

