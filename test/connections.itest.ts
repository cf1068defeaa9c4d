// Core's connection factories against a private MariaDB and Redis: every MySQL session in
// UTC with a statement deadline (even on a server in another zone), Redis clients named,
// authenticated from PIPEWARDEN_REDIS_PASSWORD and bounded by a command deadline, the
// mirror's byte counter, and the exporter's pages (JSON errors, no password shown).
import Redis from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { connect, createPool, createRedis, getMirrorEntry, mirrorKeys, mirrorStats, putMirrorEntry, trimMirror, TABLES, type Config, type IntentRecord } from '@pipewarden/core';
import { startExporter, type ExporterHandle } from '@pipewarden/exporter';
import { isRedisConnectionError } from '../loader/src/retry';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;
let config: Config;
let admin: Redis;

beforeAll(async () => {
  stack = await startTestStack({ services: ['mariadb', 'redis'] });
  config = stack.config();
  admin = new Redis(config.redis.url);
  // The server runs five hours ahead of UTC, as a server in another zone would.
  const c = await connect(config);
  await c.query("SET GLOBAL time_zone = '+05:00'");
  await c.end();
});
afterAll(async () => {
  admin?.disconnect();
  await stack?.cleanup();
});

describe('MySQL sessions', () => {
  it('run in UTC on a server in another zone, pooled or not', async () => {
    const pool = createPool(config);
    const conn = await connect(config);
    try {
      const [[p]] = await pool.query<RowDataPacket[]>('SELECT @@session.time_zone AS tz, @@global.time_zone AS g');
      const [[c]] = await conn.query<RowDataPacket[]>('SELECT @@session.time_zone AS tz');
      expect(p).toEqual({ tz: '+00:00', g: '+05:00' });
      expect(c.tz).toBe('+00:00');
    } finally {
      await pool.end();
      await conn.end();
    }
  });

  it('end a statement past the configured deadline', async () => {
    const short = stack.config({ 'mysql.queryTimeoutSeconds': 0.3 });
    const pool = createPool(short);
    const conn = await connect(short);
    try {
      await expect(pool.query('SELECT SLEEP(5)')).rejects.toMatchObject({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
      await expect(conn.query('SELECT SLEEP(5)')).rejects.toMatchObject({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
      await expect(pool.execute('SELECT SLEEP(?)', [5])).rejects.toMatchObject({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
      const [[x]] = await pool.execute<RowDataPacket[]>('SELECT ? + 1 AS x', [41]);
      expect(Number(x.x)).toBe(42);
      // A caller's own deadline still wins, and the pool keeps serving.
      const [[r]] = await pool.query<RowDataPacket[]>({ sql: 'SELECT SLEEP(0.5) AS s', timeout: 5000 });
      expect(Number(r.s)).toBe(0);
    } finally {
      await pool.end();
      conn.destroy();
    }
  });

  it('never hand on a connection whose statement timed out', async () => {
    const pool = createPool(stack.config({ 'mysql.queryTimeoutSeconds': 0.3 }), { connectionLimit: 1 });
    try {
      const id = async () => Number((await pool.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id'))[0][0].id);
      const before = await id();
      await expect(pool.query('SELECT SLEEP(5)')).rejects.toMatchObject({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
      expect(await id()).not.toBe(before);
    } finally {
      await pool.end();
    }
  });

  it('the exporter reads the last reconcile time as UTC', async () => {
    const conn = await connect(config);
    await conn.query(
      `INSERT INTO \`${TABLES.reconcileRuns}\` (run_id, trigger_source, dry_run, started_at, finished_at, rows_inserted, outcome) VALUES (?, 'api', 0, '2026-01-02 03:04:00', '2026-01-02 03:04:05', 7, 'repaired')`,
      ['r'.padEnd(36, '0')],
    );
    await conn.end();
    const exporter = await startExporter(config, { listen: '127.0.0.1:0' });
    try {
      const text = await (await fetch(`${exporter.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('pipewarden_last_reconcile_timestamp_seconds{pipeline="default"} '));
      expect(Number(line?.split(' ')[1])).toBe(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000);
    } finally {
      await exporter.close();
    }
  });
});

describe('Redis clients', () => {
  it('are named after their role and bounded by the command deadline', async () => {
    const redis = createRedis(stack.config({ 'redis.commandTimeoutSeconds': 0.3 }), { role: 'test' });
    try {
      await redis.ping();
      expect(await admin.client('LIST')).toMatch(/name=pipewarden-test /);
      await admin.client('PAUSE', 1000, 'ALL');
      const timedOut = await redis.get('x').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((timedOut as Error | undefined)?.message).toMatch(/Command timed out/);
      // The loader's sink waits for a stalled Redis like for a dead one.
      expect(isRedisConnectionError(timedOut)).toBe(true);
    } finally {
      await admin.client('UNPAUSE');
      redis.disconnect();
    }
  });

  it('take the password from PIPEWARDEN_REDIS_PASSWORD over the URL', async () => {
    await admin.config('SET', 'requirepass', 'redis-secret-1');
    try {
      const withPassword = createRedis(stack.config({ 'redis.password': 'redis-secret-1' }), { role: 'auth' });
      const without = createRedis(config, { role: 'noauth', behaviour: { enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null } });
      try {
        expect(await withPassword.ping()).toBe('PONG');
        await expect(without.get('x')).rejects.toThrow(/NOAUTH|Authentication required/);
      } finally {
        withPassword.disconnect();
        without.disconnect();
      }
    } finally {
      await admin.auth('redis-secret-1');
      await admin.config('SET', 'requirepass', '');
    }
  });
});

describe('the mirror', () => {
  it('counts bytes back to zero when batches with dead letters are trimmed', async () => {
    const redis = createRedis(config, { role: 'mirror-test' });
    const keys = mirrorKeys('pwtest-mirror:');
    try {
      for (let i = 0; i < 5; i++) {
        const intent: IntentRecord = { t: 'intent', id: `b${i}`, src: { key: 'k', etag: 'e', firstRecord: 1 + i * 3, records: 3, startByte: 0, endByte: 9, firstLine: 2 }, rows: 2, rejected: 1, check: '2:1', ts: Date.now() };
        const rejects = [{ line: 3 + i, reason: 'missing_key' as const, raw: Buffer.from(`,bad row ${i}`) }];
        await putMirrorEntry(redis, keys, intent, Buffer.from(`${i}\ta\n${i + 100}\tb\n`), rejects, i % 2 === 0);
      }
      // A write retried after a timeout (its first attempt landed) counts once.
      const again: IntentRecord = { t: 'intent', id: 'b0', src: { key: 'k', etag: 'e', firstRecord: 1, records: 3, startByte: 0, endByte: 9, firstLine: 2 }, rows: 2, rejected: 1, check: '2:1', ts: Date.now() };
      await putMirrorEntry(redis, keys, again, Buffer.from('0\ta\n100\tb\n'), [{ line: 3, reason: 'missing_key', raw: Buffer.from(',bad row 0') }], true);
      expect((await getMirrorEntry(redis, keys, 'b0'))?.rows.toString()).toBe('0\ta\n100\tb\n');
      expect((await mirrorStats(redis, keys)).batches).toBe(5);
      expect(await trimMirror(redis, keys, 0, 86400)).toBe(5);
      expect(await mirrorStats(redis, keys)).toEqual({ batches: 0, bytes: 0 });
    } finally {
      redis.disconnect();
    }
  });
});

describe('the exporter\'s pages', () => {
  let exporter: ExporterHandle;
  beforeAll(async () => {
    const withPasswords = stack.config({ 'redis.url': config.redis.url.replace('redis://', 'redis://:url-redis-pw@'), 'redis.password': 'env-redis-pw' });
    exporter = await startExporter(withPasswords, { listen: '127.0.0.1:0' });
  });
  afterAll(() => exporter?.close());

  it('show no password on the landing page', async () => {
    const res = await fetch(`${exporter.url}/`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('redis://:***@127.0.0.1:');
    expect(html).not.toContain('url-redis-pw');
    expect(html).not.toContain('env-redis-pw');
  });

  it('answer an unknown route with a JSON 404 and a malformed request without HTML', async () => {
    const res = await fetch(`${exporter.url}/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ error: 'no such endpoint: GET /nope' });
    const bad = await fetch(`${exporter.url}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"oops' });
    expect(bad.status).toBe(404);
    expect(await bad.text()).not.toMatch(/<html|<pre|\n\s+at /i);
  });
});
