// The exporter against real services: MariaDB, Redis, s3rver and a Prometheus that scrapes
// it every second, all started by the harness. Pipeline state is written with plain SQL
// shaped like the loader's (fixtures.ts), so every figure is known exactly; a tiny HTTP
// server stands in for the loader's control API where a test needs it to refuse the token
// or vanish on cue. loader-e2e.itest.ts runs the same checks against the real loader.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import Redis from 'ioredis';
import type mysql from 'mysql2/promise';
import { DEFAULT_DATASET, readSpec, connect, isConnectionError, mirrorKeys, REJECT_REASONS, TABLES, type Config } from '@pipewarden/core';

/** The default dataset's table (NYC parking violations): these tests and benches load it. */
const NYC_TABLE = readSpec(DEFAULT_DATASET).table;
import { startTestStack, type TestStack } from '../../test/helpers/stack';
import { startExporter, type ExporterHandle } from '../src';
import { checkpointEntry, insertBatch, insertReconcileRun, putSourceObjects, writeCheckpoint, writeWal } from './fixtures';
import { scrape } from './exposition';

const PROMTOOL = '/usr/bin/promtool';

// Services start, stop and restart in here; Prometheus needs a few scrape intervals.
jest.setTimeout(120_000);

let stack: TestStack;
let config: Config;
let exporter: ExporterHandle;
let loader: Server;
let db: mysql.Connection;

/** `promtool check metrics` on an exposition: exit status and everything it printed. */
function promtool(text: string): { status: number | null; out: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${PROMTOOL} (apt-get install prometheus): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

/** Stand-in for the loader's control API. */
function startFakeLoader(port: number, token: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200).end('ok');
    if (req.url === '/status') {
      if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ state: 'running', engine: 'inline', rowsIn: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0, bytesRead: 0, bytesTotal: 0, rowsPerSecond: 0, updatedAt: new Date().toISOString() }));
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`stand-in loader cannot listen on 127.0.0.1:${port}: ${e.message}`)));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Rows of a query; COUNT/SUM arrive as strings (bigNumberStrings), so `n` is a number. */
async function sql<T = Record<string, unknown>>(q: string): Promise<T[]> {
  const [rows] = await db.query(q);
  return rows as T[];
}

async function count(q: string): Promise<number> {
  const [row] = await sql<{ n: string | number | null }>(q);
  return Number(row.n ?? 0);
}

async function promQuery(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${stack.prometheus!.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`query ${expr} failed: ${JSON.stringify(body)}`);
  return body.data.result;
}

/** Poll Prometheus until `expr` returns one series satisfying `ok` (or time out). */
async function promUntil(expr: string, ok: (v: number) => boolean, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last: string = 'no result';
  while (Date.now() < deadline) {
    const r = await promQuery(expr);
    if (r.length === 1) {
      const v = Number(r[0].value[1]);
      if (ok(v)) return v;
      last = String(v);
    } else last = `${r.length} series`;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`Prometheus: ${expr} never satisfied the condition (last: ${last})`);
}

const BATCHES = [
  { inserted: 95, duplicate: 3, rejected: 2, reasons: ['invalid_key', 'missing_key'] },
  { inserted: 100, duplicate: 0, rejected: 0 },
  { inserted: 40, duplicate: 55, rejected: 5, reasons: ['column_count'] },
  { inserted: 0, duplicate: 100, rejected: 0 },
  { inserted: 77, duplicate: 1, rejected: 22, reasons: ['invalid_key', 'bogus_reason'] },
];

beforeAll(async () => {
  stack = await startTestStack({ services: ['mariadb', 'redis', 's3', 'prometheus'], prometheusInterval: '1s' });
  if (!stack.prometheus) throw new Error('Prometheus is not installed (apt-get install prometheus; scripts/bootstrap.sh does it)');
  config = stack.config();
  db = await connect(config);
  for (const [i, b] of BATCHES.entries()) await insertBatch(db, i, b);
  await insertReconcileRun(db, 'run-a', { outcome: 'success', rowsInserted: 10, finishedAt: Date.UTC(2026, 10, 27, 10) / 1000 });
  await insertReconcileRun(db, 'run-b', { outcome: 'failed', rowsInserted: 3, finishedAt: Date.UTC(2026, 10, 27, 11, 0, 0, 500) / 1000 });
  await insertReconcileRun(db, 'run-c', { outcome: 'dry_run', rowsInserted: 0, finishedAt: Date.UTC(2026, 10, 27, 12) / 1000 });
  await insertReconcileRun(db, 'run-d', { outcome: 'success', rowsInserted: 4, finishedAt: null }); // still running

  await writeWal(config.wal.dir, 4, 2);
  const keys = await putSourceObjects(config, stack.layout.bucket, [1000, 2000, 3000]);
  writeCheckpoint(config.wal.dir, { version: 1, updatedAt: 0, objects: { [keys[0]]: checkpointEntry(1000, 1000, true), [keys[1]]: checkpointEntry(2000, 500, false) } });

  const redis = new Redis(config.redis.url);
  await redis.hset(mirrorKeys(config.redis.keyPrefix).stats, 'batches', '3', 'bytes', '123456');
  await redis.config('SET', 'maxmemory', String(256 << 20));
  redis.disconnect();

  loader = await startFakeLoader(stack.layout.ports.loader, config.token!);
  // config.exporter.listen is 127.0.0.1:<layout.ports.exporter>, where the stack's Prometheus scrapes.
  exporter = await startExporter(config, { sourceCacheMs: 500 });
});

afterAll(async () => {
  await exporter?.close();
  // MySQL may have been killed by a test: a dead connection has nothing left to close.
  await db?.end().catch((e: unknown) => {
    if (!isConnectionError(e)) throw e;
  });
  await new Promise((r) => (loader ? loader.close(r) : r(undefined)));
  await stack?.cleanup();
});

describe('pipeline state', () => {
  it('listens where the configuration says, on 127.0.0.1', () => {
    expect(exporter.url).toBe(`http://127.0.0.1:${stack.layout.ports.exporter}`);
  });

  it('publishes the ledger and dead-letter aggregates MySQL holds', async () => {
    const s = (await scrape(exporter.url)).samples;
    const [ledger] = await sql<{ inserted: string; duplicate: string; batches: number }>(
      `SELECT SUM(rows_inserted) AS inserted, SUM(rows_duplicate) AS duplicate, COUNT(*) AS batches FROM ${TABLES.ledger}`,
    );
    const tableRows = await count(`SELECT COUNT(*) AS n FROM ${NYC_TABLE}`);
    expect(Number(ledger.inserted)).toBe(312);
    expect(tableRows).toBe(312);
    expect(s.get('pipewarden_rows_loaded_total{pipeline="default"}')).toBe(312);
    expect(s.get('pipewarden_rows_duplicate_total{pipeline="default"}')).toBe(Number(ledger.duplicate));
    expect(s.get('pipewarden_batches_committed_total{pipeline="default"}')).toBe(5);

    const byReason = await sql<{ reason: string; n: number }>(`SELECT reason, COUNT(*) AS n FROM ${TABLES.deadLetters} GROUP BY reason`);
    expect(byReason.length).toBeGreaterThan(2);
    expect(s.get('pipewarden_rows_rejected_total{pipeline="default",reason="invalid_key"}')).toBe(2 / 2 + 22 / 2);
    expect(s.get('pipewarden_rows_rejected_total{pipeline="default",reason="missing_key"}')).toBe(1);
    expect(s.get('pipewarden_rows_rejected_total{pipeline="default",reason="column_count"}')).toBe(5);
    // A reason outside the spec is folded into "other"; every known reason has a series.
    expect(s.get('pipewarden_rows_rejected_total{pipeline="default",reason="other"}')).toBe(11);
    for (const r of REJECT_REASONS) expect(s.has(`pipewarden_rows_rejected_total{pipeline="default",reason="${r}"}`)).toBe(true);
    const rejected = [...s].filter(([k]) => k.startsWith('pipewarden_rows_rejected_total{pipeline="default",')).reduce((a, [, v]) => a + v, 0);
    expect(rejected).toBe(byReason.reduce((a, r) => a + Number(r.n), 0));
  });

  it('publishes reconcile history: runs by outcome, rows repaired, the last real run', async () => {
    const s = (await scrape(exporter.url)).samples;
    expect(s.get('pipewarden_reconcile_runs_total{pipeline="default",outcome="success"}')).toBe(1);
    expect(s.get('pipewarden_reconcile_runs_total{pipeline="default",outcome="failed"}')).toBe(1);
    expect(s.get('pipewarden_reconcile_runs_total{pipeline="default",outcome="dry_run"}')).toBe(1);
    expect(s.get('pipewarden_reconcile_runs_total{pipeline="default",outcome="nothing_to_do"}')).toBe(0);
    expect(s.get('pipewarden_rows_repaired_total{pipeline="default"}')).toBe(17);
    // The dry run at 12:00 is not a reconcile; the running one has not finished.
    expect(s.get('pipewarden_last_reconcile_timestamp_seconds{pipeline="default"}')).toBe(Date.UTC(2026, 10, 27, 11, 0, 0, 500) / 1000);
    expect(s.get('pipewarden_last_reconcile_success{pipeline="default"}')).toBe(0);
    expect(s.get('pipewarden_last_reconcile_rows_inserted{pipeline="default"}')).toBe(3);
  });

  it('publishes WAL, mirror, source and loader state', async () => {
    const s = (await scrape(exporter.url)).samples;
    expect(s.get('pipewarden_batches_in_doubt{pipeline="default"}')).toBe(2);
    expect(s.get('pipewarden_wal_segments{pipeline="default"}')).toBe(1);
    expect(s.get('pipewarden_wal_bytes{pipeline="default"}')).toBeGreaterThan(0);
    expect(s.get('pipewarden_wal_disk_free_bytes{pipeline="default"}')).toBeGreaterThan(0);
    expect(s.get('pipewarden_mirror_batches{pipeline="default"}')).toBe(3);
    expect(s.get('pipewarden_mirror_bytes{pipeline="default"}')).toBe(123456);
    expect(s.get('pipewarden_redis_maxmemory_bytes')).toBe(256 << 20);
    expect(s.get('pipewarden_redis_used_memory_bytes')).toBeGreaterThan(0);
    expect(s.get('pipewarden_source_objects{pipeline="default"}')).toBe(3);
    expect(s.get('pipewarden_source_objects_pending{pipeline="default"}')).toBe(2);
    expect(s.get('pipewarden_source_bytes_pending{pipeline="default"}')).toBe(1500 + 3000);
    expect(s.get('pipewarden_loader_state{pipeline="default",state="running"}')).toBe(1);
    expect(s.get('pipewarden_loader_state{pipeline="default",state="unreachable"}')).toBe(0);
    for (const [target, up] of Object.entries({ mysql: 1, redis: 1, s3: 1, loader: 1, reconciler: 0 })) {
      expect([target, s.get(`pipewarden_up{target="${target}"}`)]).toEqual([target, up]);
      expect(s.get(`pipewarden_probe_duration_seconds{target="${target}"}`)).toBeLessThan(1.5);
    }
    expect([...s].filter(([k, v]) => k.startsWith('pipewarden_exporter_collector_success') && v !== 1)).toEqual([]);
  });

  it('sees a new WAL commit at the next scrape', async () => {
    await writeWal(config.wal.dir, 0, 1, 'later-');
    expect((await scrape(exporter.url)).samples.get('pipewarden_batches_in_doubt{pipeline="default"}')).toBe(3);
  });
});

describe('Prometheus', () => {
  it('scrapes the exporter and returns the row count MySQL holds, live', async () => {
    const n = await count(`SELECT COUNT(*) AS n FROM ${NYC_TABLE}`);
    expect(await count(`SELECT SUM(rows_inserted) AS n FROM ${TABLES.ledger}`)).toBe(n);
    expect(await promUntil('pipewarden_rows_loaded_total{pipeline="default",job="pipewarden-exporter"}', (v) => v === n)).toBe(n);
    await insertBatch(db, 100, { inserted: 250, duplicate: 0, rejected: 0 });
    const after = await count(`SELECT COUNT(*) AS n FROM ${NYC_TABLE}`);
    expect(await count(`SELECT SUM(rows_inserted) AS n FROM ${TABLES.ledger}`)).toBe(after);
    expect(await promUntil('pipewarden_rows_loaded_total{pipeline="default"}', (v) => v === after)).toBe(n + 250);
    expect(await promUntil('up{job="pipewarden-exporter"}', (v) => v === 1)).toBe(1);
  });
});

describe('the exposition', () => {
  it('passes promtool check metrics with nothing to report', async () => {
    const { text, contentType } = await scrape(exporter.url);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(promtool(text)).toEqual({ status: 0, out: '' });
  });

  it('serves a landing page and /healthz, and never shows the token', async () => {
    const page = await fetch(`${exporter.url}/`);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('href="metrics"');
    expect(html).toContain('reconciler');
    expect(html).not.toContain(config.token!);
    const h = await fetch(`${exporter.url}/healthz`);
    expect(h.status).toBe(200);
    expect((await fetch(`${exporter.url}/nope`)).status).toBe(404);
  });
});

describe('a local-folder source', () => {
  it('counts pending files and bytes from the folder and the checkpoint, with no S3 probe', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-exporter-local-'));
    const walDir = join(dir, 'wal');
    writeFileSync(join(dir, 'a.csv'), Buffer.alloc(700, 'a'));
    writeFileSync(join(dir, 'b.csv'), Buffer.alloc(300, 'b'));
    writeFileSync(join(dir, 'readme.md'), 'not a source file');
    writeCheckpoint(walDir, { version: 1, updatedAt: 0, objects: { [join(dir, 'a.csv')]: checkpointEntry(700, 200, false) } });
    const other = await startExporter({ ...config, source: dir, wal: { ...config.wal, dir: walDir } }, { listen: '127.0.0.1:0' });
    try {
      const s = (await scrape(other.url)).samples;
      expect(s.get('pipewarden_source_objects{pipeline="default"}')).toBe(2);
      expect(s.get('pipewarden_source_objects_pending{pipeline="default"}')).toBe(2);
      expect(s.get('pipewarden_source_bytes_pending{pipeline="default"}')).toBe(500 + 300);
      expect(s.has('pipewarden_up{target="s3"}')).toBe(false);
      expect(s.get('pipewarden_up{target="mysql"}')).toBe(1);
      // A WAL folder holding only the checkpoint: no segments, nothing in doubt.
      expect(s.get('pipewarden_wal_segments{pipeline="default"}')).toBe(0);
      expect(s.get('pipewarden_batches_in_doubt{pipeline="default"}')).toBe(0);
      expect(s.get('pipewarden_wal_disk_free_bytes{pipeline="default"}')).toBeGreaterThan(0);
    } finally {
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the loader collector', () => {
  it('reports a refused token as a failed collector, not as a state', async () => {
    const other = await startExporter({ ...config, token: 'wrong-token-0123456789' }, { listen: '127.0.0.1:0' });
    try {
      const s = (await scrape(other.url)).samples;
      expect(s.get('pipewarden_exporter_collector_success{collector="loader"}')).toBe(0);
      expect([...s.keys()].filter((k) => k.startsWith('pipewarden_loader_state'))).toEqual([]);
      expect(s.get('pipewarden_up{target="loader"}')).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('says unreachable when the loader does not answer', async () => {
    await new Promise((r) => loader.close(r));
    const s = (await scrape(exporter.url)).samples;
    expect(s.get('pipewarden_loader_state{pipeline="default",state="unreachable"}')).toBe(1);
    expect(s.get('pipewarden_loader_state{pipeline="default",state="running"}')).toBe(0);
    expect(s.get('pipewarden_up{target="loader"}')).toBe(0);
    loader = await startFakeLoader(stack.layout.ports.loader, config.token!);
  });
});

describe('outages', () => {
  it('MySQL killed: up 0, HTTP 200 within the timeout, MySQL-backed series absent; back after restart', async () => {
    await stack.mariadb.kill();
    const r = await scrape(exporter.url);
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    expect(r.samples.get('pipewarden_up{target="mysql"}')).toBe(0);
    for (const name of ['pipewarden_rows_loaded_total{pipeline="default"}', 'pipewarden_batches_committed_total{pipeline="default"}', 'pipewarden_rows_repaired_total{pipeline="default"}']) expect(r.samples.has(name)).toBe(false);
    expect([...r.samples.keys()].some((k) => k.startsWith('pipewarden_rows_rejected_total{pipeline="default",'))).toBe(false);
    for (const c of ['ledger', 'dead_letters', 'reconcile_runs']) expect(r.samples.get(`pipewarden_exporter_collector_success{collector="${c}"}`)).toBe(0);
    // Metrics without samples (HELP and TYPE only) are still a valid exposition.
    expect(promtool(r.text)).toEqual({ status: 0, out: '' });
    // Everything not backed by MySQL carries on.
    expect(r.samples.get('pipewarden_up{target="redis"}')).toBe(1);
    expect(r.samples.get('pipewarden_batches_in_doubt{pipeline="default"}')).toBe(3);
    expect(r.samples.get('pipewarden_exporter_collector_success{collector="wal"}')).toBe(1);
    // Prometheus sees the same: the target is up, MySQL is not.
    await promUntil('pipewarden_up{target="mysql"}', (v) => v === 0);
    expect(await promUntil('up{job="pipewarden-exporter"}', (v) => v === 1)).toBe(1);

    await stack.mariadb.start();
    const back = await scrape(exporter.url);
    expect(back.samples.get('pipewarden_up{target="mysql"}')).toBe(1);
    expect(back.samples.get('pipewarden_rows_loaded_total{pipeline="default"}')).toBe(562);
    expect(back.samples.get('pipewarden_exporter_collector_success{collector="ledger"}')).toBe(1);
  });

  it('Redis killed: up 0, HTTP 200 within the timeout, mirror series absent; back after restart', async () => {
    await stack.redis.kill();
    const r = await scrape(exporter.url);
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    expect(r.samples.get('pipewarden_up{target="redis"}')).toBe(0);
    expect(r.samples.get('pipewarden_up{target="mysql"}')).toBe(1);
    expect(r.samples.has('pipewarden_mirror_batches{pipeline="default"}')).toBe(false);
    expect(r.samples.has('pipewarden_redis_used_memory_bytes')).toBe(false);
    expect(r.samples.get('pipewarden_exporter_collector_success{collector="mirror"}')).toBe(0);
    expect(r.samples.get('pipewarden_rows_loaded_total{pipeline="default"}')).toBe(562);
    await promUntil('pipewarden_up{target="redis"}', (v) => v === 0);

    await stack.redis.start();
    const back = await scrape(exporter.url);
    expect(back.samples.get('pipewarden_up{target="redis"}')).toBe(1);
    // A Redis without persistence comes back empty: the stats hash is gone.
    expect(back.samples.get('pipewarden_mirror_batches{pipeline="default"}')).toBe(0);
  });

  it('S3 killed: the s3 probe is 0, the cached listing expires, the scrape still answers', async () => {
    await stack.s3.kill();
    await new Promise((r) => setTimeout(r, 600)); // past sourceCacheMs
    const r = await scrape(exporter.url);
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    expect(r.samples.get('pipewarden_up{target="s3"}')).toBe(0);
    expect(r.samples.get('pipewarden_exporter_collector_success{collector="source"}')).toBe(0);
    expect(r.samples.has('pipewarden_source_objects{pipeline="default"}')).toBe(false);
    await stack.s3.start();
    expect((await scrape(exporter.url)).samples.get('pipewarden_source_objects{pipeline="default"}')).toBe(3);
  });
});

describe('shutdown', () => {
  it('close() stops listening and is idempotent', async () => {
    const other = await startExporter(config, { listen: '127.0.0.1:0' });
    expect((await scrape(other.url)).status).toBe(200);
    await Promise.all([other.close(), other.close()]);
    await expect(fetch(`${other.url}/healthz`)).rejects.toThrow();
  });

  it('refuses a busy port with a clear error', async () => {
    await expect(startExporter(config)).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
  });
});

