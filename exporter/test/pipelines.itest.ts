// The exporter of a deployment with two pipelines (a config file's `pipelines`), against
// real MariaDB, Redis, s3rver and Prometheus: every pipeline-scoped series appears once per
// pipeline with that pipeline's figures — ledger, dead letters and reconcile runs from their
// `pipeline` columns, the WAL from each pipeline's folder, the mirror from each one's key
// prefix, the source from each one's source and checkpoint, the loader state from /status —
// and a pipeline appears with zeros before its first batch. exporter.itest.ts covers the
// deployment without pipelines (everything labelled `default`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import Redis from 'ioredis';
import type mysql from 'mysql2/promise';
import { connect, LOADER_STATES, loadConfig, mirrorKeys, pipelineConfig, REJECT_REASONS, type Config, type LoaderStatus } from '@pipewarden/core';
import { startTestStack, type TestStack } from '../../test/helpers/stack';
import { startExporter, type ExporterHandle } from '../src';
import { checkpointEntry, insertBatch, insertReconcileRun, putSourceObjects, writeCheckpoint, writeWal } from './fixtures';
import { scrape } from './exposition';

jest.setTimeout(120_000);

let stack: TestStack;
let config: Config;
let exporter: ExporterHandle;
let loader: Server;
let db: mysql.Connection;
let localSource: string;

/** Stand-in for a loader running both pipelines (the top level sums them, as core/src/api.ts says). */
function startFakeLoader(port: number, token: string): Promise<Server> {
  const pipeline = (name: string, state: LoaderStatus['state']) => ({ name, dataset: 'nyc-parking-violations', table: name, state, engine: 'inline', rowsIn: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0, bytesRead: 0, bytesTotal: 0, rowsPerSecond: 0, updatedAt: new Date().toISOString() });
  const body: LoaderStatus = { ...pipeline('x', 'paused'), pipelines: [pipeline('alpha', 'running'), pipeline('beta', 'paused')] } as LoaderStatus;
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200).end('ok');
    if (req.url === '/status' && req.headers.authorization === `Bearer ${token}`) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

beforeAll(async () => {
  stack = await startTestStack({ services: ['mariadb', 'redis', 's3', 'prometheus'], prometheusInterval: '1s' });
  localSource = join(stack.layout.dir, 'beta-source');
  mkdirSync(localSource);
  writeFileSync(join(localSource, 'a.csv'), Buffer.alloc(700, 'a'));
  writeFileSync(join(localSource, 'b.csv'), Buffer.alloc(300, 'b'));
  // alpha reads S3, beta a local folder, gamma has never run: three pipelines of one file.
  const file = join(stack.layout.dir, 'pipewarden.yaml');
  writeFileSync(
    file,
    [
      'pipelines:',
      `  - { name: alpha, source: "s3://${stack.layout.bucket}/alpha/", dataset: "builtin:nyc-parking-violations", table: alpha_violations }`,
      `  - { name: beta, source: "${localSource}", dataset: "builtin:nyc-parking-violations", table: beta_violations }`,
      `  - { name: gamma, source: "s3://${stack.layout.bucket}/gamma/", dataset: "builtin:nyc-parking-violations", table: gamma_violations }`,
      '',
    ].join('\n'),
  );
  config = loadConfig({ file, env: { ...stack.env }, useStackEnv: false });
  db = await connect(config);

  // Ledger, dead letters and reconcile runs of alpha and beta; nothing of gamma.
  await insertBatch(db, 1, { inserted: 90, duplicate: 5, rejected: 5, reasons: ['invalid_key'] }, 'alpha');
  await insertBatch(db, 2, { inserted: 10, duplicate: 0, rejected: 0 }, 'alpha');
  await insertBatch(db, 3, { inserted: 40, duplicate: 57, rejected: 3, reasons: ['missing_key', 'column_count', 'missing_key'] }, 'beta');
  await insertReconcileRun(db, 'alpha-1', { outcome: 'success', rowsInserted: 7, finishedAt: Date.UTC(2026, 10, 27, 10) / 1000 }, 'alpha');
  await insertReconcileRun(db, 'beta-1', { outcome: 'success', rowsInserted: 1, finishedAt: Date.UTC(2026, 10, 27, 9) / 1000 }, 'beta');
  await insertReconcileRun(db, 'beta-2', { outcome: 'failed', rowsInserted: 2, finishedAt: Date.UTC(2026, 10, 27, 11) / 1000 }, 'beta');

  // Each pipeline's WAL folder, checkpoint and mirror, where pipelineConfig puts them.
  const [alpha, beta] = ['alpha', 'beta'].map((n) => pipelineConfig(config, n));
  await writeWal(alpha.wal.dir, 3, 1);
  await writeWal(beta.wal.dir, 1, 4);
  const alphaKeys = await putSourceObjects(config, stack.layout.bucket, [1000, 2000], 'alpha/');
  await putSourceObjects(config, stack.layout.bucket, [5000], 'gamma/');
  writeCheckpoint(alpha.wal.dir, { version: 1, updatedAt: 0, objects: { [alphaKeys[0]]: checkpointEntry(1000, 1000, true) } });
  writeCheckpoint(beta.wal.dir, { version: 1, updatedAt: 0, objects: { [join(localSource, 'a.csv')]: checkpointEntry(700, 200, false) } });
  const redis = new Redis(config.redis.url);
  await redis.hset(mirrorKeys(alpha.redis.keyPrefix).stats, 'batches', '2', 'bytes', '2000');
  await redis.hset(mirrorKeys(beta.redis.keyPrefix).stats, 'batches', '1', 'bytes', '999');
  redis.disconnect();

  loader = await startFakeLoader(stack.layout.ports.loader, config.token!);
  exporter = await startExporter(config, { sourceCacheMs: 500 });
});

afterAll(async () => {
  await exporter?.close();
  await db?.end();
  await new Promise((r) => (loader ? loader.close(r) : r(undefined)));
  await stack?.cleanup();
});

/** The pipelines a metric's series name, sorted. */
function pipelinesOf(samples: Map<string, number>, name: string): string[] {
  return [...new Set([...samples.keys()].filter((k) => k.startsWith(`${name}{`)).map((k) => /pipeline="([^"]*)"/.exec(k)?.[1] ?? '(none)'))].sort();
}

describe('two pipelines and one that never ran', () => {
  it('publishes the ledger of each pipeline, and zeros for the one without a batch', async () => {
    const s = (await scrape(exporter.url)).samples;
    const want = { alpha: [100, 5, 2], beta: [40, 57, 1], gamma: [0, 0, 0] };
    for (const [p, [loaded, duplicate, batches]] of Object.entries(want)) {
      expect([p, s.get(`pipewarden_rows_loaded_total{pipeline="${p}"}`), s.get(`pipewarden_rows_duplicate_total{pipeline="${p}"}`), s.get(`pipewarden_batches_committed_total{pipeline="${p}"}`)]).toEqual([p, loaded, duplicate, batches]);
    }
    for (const name of ['pipewarden_rows_loaded_total', 'pipewarden_rows_duplicate_total', 'pipewarden_batches_committed_total']) expect(pipelinesOf(s, name)).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('publishes dead letters by pipeline and reason, every reason of every pipeline', async () => {
    const s = (await scrape(exporter.url)).samples;
    expect(s.get('pipewarden_rows_rejected_total{pipeline="alpha",reason="invalid_key"}')).toBe(5);
    expect(s.get('pipewarden_rows_rejected_total{pipeline="alpha",reason="missing_key"}')).toBe(0);
    expect(s.get('pipewarden_rows_rejected_total{pipeline="beta",reason="missing_key"}')).toBe(2);
    expect(s.get('pipewarden_rows_rejected_total{pipeline="beta",reason="column_count"}')).toBe(1);
    expect(s.get('pipewarden_rows_rejected_total{pipeline="beta",reason="invalid_key"}')).toBe(0);
    for (const p of ['alpha', 'beta', 'gamma']) for (const r of REJECT_REASONS) expect(s.has(`pipewarden_rows_rejected_total{pipeline="${p}",reason="${r}"}`)).toBe(true);
    const sum = (p: string) => [...s].filter(([k]) => k.startsWith(`pipewarden_rows_rejected_total{pipeline="${p}",`)).reduce((a, [, v]) => a + v, 0);
    expect([sum('alpha'), sum('beta'), sum('gamma')]).toEqual([5, 3, 0]);
  });

  it('publishes each pipeline\'s reconcile runs and its own last run', async () => {
    const s = (await scrape(exporter.url)).samples;
    expect(s.get('pipewarden_reconcile_runs_total{pipeline="alpha",outcome="success"}')).toBe(1);
    expect(s.get('pipewarden_reconcile_runs_total{pipeline="beta",outcome="success"}')).toBe(1);
    expect(s.get('pipewarden_reconcile_runs_total{pipeline="beta",outcome="failed"}')).toBe(1);
    expect(s.get('pipewarden_reconcile_runs_total{pipeline="gamma",outcome="failed"}')).toBe(0);
    expect([s.get('pipewarden_rows_repaired_total{pipeline="alpha"}'), s.get('pipewarden_rows_repaired_total{pipeline="beta"}'), s.get('pipewarden_rows_repaired_total{pipeline="gamma"}')]).toEqual([7, 3, 0]);
    expect(s.get('pipewarden_last_reconcile_success{pipeline="alpha"}')).toBe(1);
    expect(s.get('pipewarden_last_reconcile_success{pipeline="beta"}')).toBe(0);
    expect(s.get('pipewarden_last_reconcile_timestamp_seconds{pipeline="alpha"}')).toBe(Date.UTC(2026, 10, 27, 10) / 1000);
    expect(s.get('pipewarden_last_reconcile_timestamp_seconds{pipeline="beta"}')).toBe(Date.UTC(2026, 10, 27, 11) / 1000);
    expect(s.get('pipewarden_last_reconcile_rows_inserted{pipeline="beta"}')).toBe(2);
    // No run of gamma: no made-up last run.
    expect(pipelinesOf(s, 'pipewarden_last_reconcile_success')).toEqual(['alpha', 'beta']);
  });

  it('reads each pipeline\'s WAL folder, mirror keys and source', async () => {
    const s = (await scrape(exporter.url)).samples;
    expect([s.get('pipewarden_batches_in_doubt{pipeline="alpha"}'), s.get('pipewarden_batches_in_doubt{pipeline="beta"}'), s.get('pipewarden_batches_in_doubt{pipeline="gamma"}')]).toEqual([1, 4, 0]);
    expect([s.get('pipewarden_wal_segments{pipeline="alpha"}'), s.get('pipewarden_wal_segments{pipeline="beta"}'), s.get('pipewarden_wal_segments{pipeline="gamma"}')]).toEqual([1, 1, 0]);
    expect(s.get('pipewarden_wal_disk_free_bytes{pipeline="gamma"}')).toBeGreaterThan(0);
    expect([s.get('pipewarden_mirror_batches{pipeline="alpha"}'), s.get('pipewarden_mirror_bytes{pipeline="alpha"}')]).toEqual([2, 2000]);
    expect([s.get('pipewarden_mirror_batches{pipeline="beta"}'), s.get('pipewarden_mirror_bytes{pipeline="beta"}')]).toEqual([1, 999]);
    expect([s.get('pipewarden_mirror_batches{pipeline="gamma"}'), s.get('pipewarden_mirror_bytes{pipeline="gamma"}')]).toEqual([0, 0]);
    // alpha: part-0 done, part-1 untouched; beta: a.csv from byte 200, b.csv untouched; gamma: all of it.
    expect([s.get('pipewarden_source_objects{pipeline="alpha"}'), s.get('pipewarden_source_objects_pending{pipeline="alpha"}'), s.get('pipewarden_source_bytes_pending{pipeline="alpha"}')]).toEqual([2, 1, 2000]);
    expect([s.get('pipewarden_source_objects{pipeline="beta"}'), s.get('pipewarden_source_objects_pending{pipeline="beta"}'), s.get('pipewarden_source_bytes_pending{pipeline="beta"}')]).toEqual([2, 2, 500 + 300]);
    expect([s.get('pipewarden_source_objects{pipeline="gamma"}'), s.get('pipewarden_source_objects_pending{pipeline="gamma"}'), s.get('pipewarden_source_bytes_pending{pipeline="gamma"}')]).toEqual([1, 1, 5000]);
  });

  it('publishes the loader state of each pipeline /status lists; service-level series have no pipeline', async () => {
    const s = (await scrape(exporter.url)).samples;
    expect(s.get('pipewarden_loader_state{pipeline="alpha",state="running"}')).toBe(1);
    expect(s.get('pipewarden_loader_state{pipeline="beta",state="paused"}')).toBe(1);
    expect(s.get('pipewarden_loader_state{pipeline="beta",state="running"}')).toBe(0);
    expect([...s].filter(([k]) => k.startsWith('pipewarden_loader_state{')).length).toBe(2 * LOADER_STATES.length);
    for (const name of ['pipewarden_up', 'pipewarden_redis_used_memory_bytes', 'pipewarden_exporter_collector_success']) expect(pipelinesOf(s, name).concat(s.has(name) ? ['(none)'] : [])).toEqual(['(none)']);
    expect(s.get('pipewarden_up{target="s3"}')).toBe(1);
    expect([...s].filter(([k, v]) => k.startsWith('pipewarden_exporter_collector_success') && v !== 1)).toEqual([]);
  });

  it('a dead loader makes every configured pipeline unreachable', async () => {
    await new Promise((r) => loader.close(r));
    try {
      const s = (await scrape(exporter.url)).samples;
      for (const p of ['alpha', 'beta', 'gamma']) expect([p, s.get(`pipewarden_loader_state{pipeline="${p}",state="unreachable"}`)]).toEqual([p, 1]);
    } finally {
      loader = await startFakeLoader(stack.layout.ports.loader, config.token!);
    }
  });

  it('gives Prometheus one series per pipeline (the dashboards\' pipeline variable reads it)', async () => {
    const deadline = Date.now() + 20_000;
    let got: string[] = [];
    while (Date.now() < deadline) {
      const res = await fetch(`${stack.prometheus!.url}/api/v1/query?query=${encodeURIComponent('count by (pipeline) (pipewarden_batches_committed_total)')}`);
      const body = (await res.json()) as { data: { result: { metric: { pipeline: string } }[] } };
      got = body.data.result.map((r) => r.metric.pipeline).sort();
      if (got.length === 3) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(got).toEqual(['alpha', 'beta', 'gamma']);
  });
});
