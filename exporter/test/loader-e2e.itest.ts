// The exporter against the real loader and reconciler: the loader service loads CSV
// objects from the S3 server into MariaDB (ledger, dead letters, WAL, checkpoint, Redis
// mirror) while the exporter reads that state, then the reconciler runs. What the exporter
// says must equal what the stores hold: while the loader is paused mid-load, after it has
// finished, and after a reconcile run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Redis from 'ioredis';
import type mysql from 'mysql2/promise';
import { DEFAULT_DATASET, readSpec, connect, isConnectionError, mirrorKeys, TABLES, type Config } from '@pipewarden/core';

/** The default dataset's table (NYC parking violations): these tests and benches load it. */
const NYC_TABLE = readSpec(DEFAULT_DATASET).table;
import { createS3Client, ensureBucket, generate, putFile, startLoaderService } from '@pipewarden/loader';
import { startReconcilerService } from '@pipewarden/reconciler';
import { SHARED_SAMPLE, startTestStack, type TestStack } from '../../test/helpers/stack';
import { startExporter, type ExporterHandle } from '../src';
import { scrape } from './exposition';

jest.setTimeout(180_000);

let stack: TestStack;
let config: Config;
let db: mysql.Connection;
let exporter: ExporterHandle;
let loader: Awaited<ReturnType<typeof startLoaderService>>;
let reconciler: Awaited<ReturnType<typeof startReconcilerService>> | undefined;

async function count(q: string): Promise<number> {
  const [rows] = await db.query(q);
  return Number((rows as { n: string | number | null }[])[0].n ?? 0);
}

async function call<T = { state: string }>(base: string, method: 'POST' | 'GET', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${config.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await res.json()) as T;
}

const loaderCall = (method: 'POST' | 'GET', path: string) => call(config.loader.url, method, path);

/** Scrape until the loader state the exporter reports is `state`. */
async function untilLoaderState(state: string, timeoutMs = 120_000): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = (await scrape(exporter.url)).samples;
    if (s.get(`pipewarden_loader_state{pipeline="default",state="${state}"}`) === 1) return s;
    if (Date.now() > deadline) throw new Error(`the exporter never reported loader state ${state}: ${JSON.stringify([...s].filter(([k]) => k.includes('loader_state')))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  stack = await startTestStack({ services: ['mariadb', 'redis', 's3'] });
  const bucket = stack.layout.bucket;
  config = stack.config({ 'batch.size': 500, source: `s3://${bucket}/fy2014/` });
  // Generated rows with rejects and repeated keys, plus the real sample.
  const gen = join(stack.layout.dir, 'generated.csv');
  await generate(gen, { rows: 60_000, seed: 5, badShare: 0.01, duplicateShare: 0.01 });
  const s3 = createS3Client(config);
  await ensureBucket(s3, bucket);
  await putFile(s3, gen, `s3://${bucket}/fy2014/`);
  await putFile(s3, SHARED_SAMPLE, `s3://${bucket}/fy2014/`);
  s3.destroy();
  db = await connect(config);
  exporter = await startExporter(config, { listen: '127.0.0.1:0', sourceCacheMs: 0 });
  loader = await startLoaderService(config, { watchSeconds: 0 });
});

afterAll(async () => {
  await reconciler?.close();
  await loader?.close();
  await exporter?.close();
  // MySQL may have been killed by a test: a dead connection has nothing left to close.
  await db?.end().catch((e: unknown) => {
    if (!isConnectionError(e)) throw e;
  });
  await stack?.cleanup();
});

test('paused mid-load: the exporter shows the pause, the work left, and the rows MySQL holds', async () => {
  const paused = await loaderCall('POST', '/pause');
  expect(paused.state).toBe('paused');
  const s = await untilLoaderState('paused');
  const tableRows = await count(`SELECT COUNT(*) AS n FROM ${NYC_TABLE}`);
  expect(s.get('pipewarden_rows_loaded_total{pipeline="default"}')).toBe(tableRows);
  expect(s.get('pipewarden_rows_loaded_total{pipeline="default"}')).toBe(await count(`SELECT SUM(rows_inserted) AS n FROM ${TABLES.ledger}`));
  expect(s.get('pipewarden_source_objects{pipeline="default"}')).toBe(2);
  expect(s.get('pipewarden_source_objects_pending{pipeline="default"}')).toBeGreaterThanOrEqual(1);
  expect(s.get('pipewarden_source_bytes_pending{pipeline="default"}')).toBeGreaterThan(0);
  expect(s.get('pipewarden_up{target="loader"}')).toBe(1);
  await loaderCall('POST', '/resume');
});

test('finished: every figure equals what MariaDB, Redis and the WAL hold', async () => {
  const s = await untilLoaderState('finished');
  const rows = await count(`SELECT COUNT(*) AS n FROM ${NYC_TABLE}`);
  expect(rows).toBeGreaterThan(60_000 * 0.9);
  expect(s.get('pipewarden_rows_loaded_total{pipeline="default"}')).toBe(rows);
  const duplicate = await count(`SELECT SUM(rows_duplicate) AS n FROM ${TABLES.ledger}`);
  expect(duplicate).toBeGreaterThan(0);
  expect(s.get('pipewarden_rows_duplicate_total{pipeline="default"}')).toBe(duplicate);
  const rejected = await count(`SELECT COUNT(*) AS n FROM ${TABLES.deadLetters}`);
  expect(rejected).toBeGreaterThan(0);
  const exported = [...s].filter(([k]) => k.startsWith('pipewarden_rows_rejected_total{pipeline="default",')).reduce((a, [, v]) => a + v, 0);
  expect(exported).toBe(rejected);
  expect(s.get('pipewarden_batches_committed_total{pipeline="default"}')).toBe(await count(`SELECT COUNT(*) AS n FROM ${TABLES.ledger}`));
  expect(s.get('pipewarden_batches_in_doubt{pipeline="default"}')).toBe(0);
  expect(s.get('pipewarden_wal_segments{pipeline="default"}')).toBeGreaterThanOrEqual(1);
  expect(s.get('pipewarden_source_objects{pipeline="default"}')).toBe(2);
  expect(s.get('pipewarden_source_objects_pending{pipeline="default"}')).toBe(0);
  expect(s.get('pipewarden_source_bytes_pending{pipeline="default"}')).toBe(0);

  const redis = new Redis(config.redis.url);
  try {
    const [batches, bytes] = await redis.hmget(mirrorKeys(config.redis.keyPrefix).stats, 'batches', 'bytes');
    expect(Number(batches)).toBeGreaterThan(0);
    expect(s.get('pipewarden_mirror_batches{pipeline="default"}')).toBe(Number(batches));
    expect(s.get('pipewarden_mirror_bytes{pipeline="default"}')).toBe(Number(bytes));
  } finally {
    redis.disconnect();
  }
  expect([...s].filter(([k, v]) => k.startsWith('pipewarden_exporter_collector_success') && v !== 1)).toEqual([]);
  const text = (await scrape(exporter.url)).text;
  const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect({ status: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, out: '' });
});

test('after a reconcile run: up, runs by outcome, last run time and result from reconcile_runs', async () => {
  reconciler = await startReconcilerService(config, { watchdog: false });
  const before = (await scrape(exporter.url)).samples;
  expect(before.get('pipewarden_up{target="reconciler"}')).toBe(1);
  expect(before.has('pipewarden_last_reconcile_timestamp_seconds{pipeline="default"}')).toBe(false);

  const job = await call<{ id: string; state: string }>(config.reconciler.url, 'POST', '/reconcile', { trigger: 'api' });
  let state = job.state;
  for (let i = 0; i < 600 && (state === 'queued' || state === 'running'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    state = (await call<{ state: string }>(config.reconciler.url, 'GET', `/reconcile/${job.id}`)).state;
  }
  expect(state).toBe('succeeded');

  const s = (await scrape(exporter.url)).samples;
  const [rows] = await db.query(`SELECT outcome, COUNT(*) AS n FROM ${TABLES.reconcileRuns} WHERE finished_at IS NOT NULL GROUP BY outcome`);
  const byOutcome = rows as { outcome: string; n: number }[];
  expect(byOutcome.length).toBe(1);
  expect(s.get(`pipewarden_reconcile_runs_total{pipeline="default",outcome="${byOutcome[0].outcome}"}`)).toBe(Number(byOutcome[0].n));
  expect(['success', 'nothing_to_do']).toContain(byOutcome[0].outcome);
  expect(s.get('pipewarden_last_reconcile_success{pipeline="default"}')).toBe(1);
  // Written by the reconciler as NOW(3): the exporter must read it back as "just now".
  expect(Math.abs(s.get('pipewarden_last_reconcile_timestamp_seconds{pipeline="default"}')! - Date.now() / 1000)).toBeLessThan(30);
  expect(s.get('pipewarden_rows_repaired_total{pipeline="default"}')).toBe(await count(`SELECT SUM(rows_inserted) AS n FROM ${TABLES.reconcileRuns} WHERE dry_run = 0`));
  expect(s.get('pipewarden_last_reconcile_rows_inserted{pipeline="default"}')).toBe(0);
  expect(s.get('pipewarden_rows_loaded_total{pipeline="default"}')).toBe(await count(`SELECT COUNT(*) AS n FROM ${NYC_TABLE}`));
});
