// The nemesis's own parts, tested so its verdicts can be trusted: the TCP proxy really
// stalls and cuts connections, a seed always draws the same trial, the stack's durability
// switches and backups work, and the invariant checker catches a table that differs.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import Redis from 'ioredis';
import { connect as mysqlConnect } from '@pipewarden/core';
import { startTestStack, type TestStack } from './helpers/stack';
import { TcpProxy } from './nemesis/proxy';
import { planTrial } from './nemesis/trial';
import { FAULTS } from './nemesis/schedule';
import { checkFinished, judgeExit } from './nemesis/invariants';
import { CliProcess } from './nemesis/procs';
import { trialEnv, type TrialContext } from './nemesis/context';
import { appendedVersion, materialize, s3Url, type Workload } from './nemesis/workload';
import { createS3Client, putFile } from '@pipewarden/loader';

describe('nemesis: TCP proxy', () => {
  let echo: Server;
  let proxy: TcpProxy;
  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    proxy = new TcpProxy('echo', (echo.address() as { port: number }).port);
    await proxy.start();
  });
  afterAll(async () => {
    await proxy.close();
    echo.close();
  });
  afterEach(() => proxy.set({ kind: 'pass' }));

  const client = async (): Promise<{ s: Socket; got: () => string }> => {
    const s = connect({ host: '127.0.0.1', port: proxy.port });
    await once(s, 'connect');
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    return { s, got: () => data };
  };
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  test('delay keeps every byte in order', async () => {
    proxy.set({ kind: 'delay', ms: 5 });
    const c = await client();
    for (let i = 0; i < 20; i++) c.s.write(`${i};`);
    const want = Array.from({ length: 20 }, (_, i) => `${i};`).join('');
    await until(() => c.got() === want);
    expect(c.got()).toBe(want);
    c.s.destroy();
  });

  test('a stall holds the data of a live connection until it heals', async () => {
    const c = await client();
    c.s.write('a');
    await until(() => c.got() === 'a');
    proxy.set({ kind: 'stall' });
    c.s.write('b');
    // The echo answer cannot come back while stalled: the proxy forwards nothing.
    await new Promise((r) => setTimeout(r, 200));
    expect(c.got()).toBe('a');
    proxy.set({ kind: 'pass' });
    await until(() => c.got() === 'ab');
    expect(c.got()).toBe('ab');
    c.s.destroy();
  });

  test('drop cuts live connections and refuses new ones', async () => {
    const c = await client();
    const closed = once(c.s, 'close');
    proxy.set({ kind: 'drop' });
    await closed;
    const d = connect({ host: '127.0.0.1', port: proxy.port });
    d.on('error', () => undefined);
    await once(d, 'close');
  });
});

describe('nemesis: plans', () => {
  test('a seed draws the same workload and schedule every time; seeds differ', () => {
    const opts = { faults: FAULTS, engines: ['inline', 'spark'] as const };
    expect(planTrial(42, opts)).toEqual(planTrial(42, opts));
    const plans = Array.from({ length: 20 }, (_, i) => JSON.stringify(planTrial(i, opts)));
    expect(new Set(plans).size).toBe(20);
  });

  test('--engines inline never draws Spark; --faults limits the vocabulary', () => {
    for (let s = 0; s < 200; s++) {
      const p = planTrial(s, { faults: ['kill-mysql', 'proxy-drop'], engines: ['inline'] });
      expect(p.workload.settings.engine).toBe('inline');
      for (const f of p.schedule.faults) expect(['kill-mysql', 'proxy-drop']).toContain(f.name);
    }
  });

  test('judgeExit: a stack trace, an unexpected error or a hang is a violation; a clear error is not', () => {
    const ctx = { log: [], violations: [] } as unknown as TrialContext;
    const exit = (status: number | null, stderr: string, timedOut = false) => ({ status, signal: null, timedOut, stdout: '', stderr });
    expect(judgeExit(ctx, 'clear', exit(1, 'pipewarden: MySQL is down\n  hint: start it\n'), false)).toBe('stopped');
    expect(judgeExit(ctx, 'trace', exit(1, 'Error: boom\n    at run (/x/load.ts:10:5)\n'), false)).toBe('bad');
    expect(judgeExit(ctx, 'bug', exit(70, 'pipewarden: unexpected error: x\n'), false)).toBe('bad');
    expect(judgeExit(ctx, 'hang', exit(null, '', true), false)).toBe('bad');
    expect(ctx.violations.map((v) => v.kind)).toEqual(['stack-trace', 'unexpected-error', 'hang']);
  });
});

describe('nemesis: stack and invariants (real services)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.cleanup());

  test('durability switches at once: flush level and Redis AOF', async () => {
    await stack.setDurability({ flushLogAtTrxCommit: 0, redisPersistent: true });
    const c = await mysqlConnect(stack.config());
    const [[row]] = await c.query<RowDataPacket[]>('SELECT @@innodb_flush_log_at_trx_commit AS v');
    const r = new Redis(stack.redis.url);
    const aof = await r.config('GET', 'appendonly');
    expect([Number(row.v), aof]).toEqual([0, ['appendonly', 'yes']]);
    await stack.setDurability({ flushLogAtTrxCommit: 1, redisPersistent: false });
    const [[again]] = await c.query<RowDataPacket[]>('SELECT @@innodb_flush_log_at_trx_commit AS v');
    expect([Number(again.v), await r.config('GET', 'appendonly')]).toEqual([1, ['appendonly', 'no']]);
    r.disconnect();
    await c.end();
  });

  test('a load, a backup, rows deleted, the backup restored: the table is whole again; a deleted row is caught', async () => {
    await stack.resetData();
    const dir = join(stack.layout.dir, 'nemesis-check');
    mkdirSync(dir, { recursive: true });
    const workload: Workload = { prefix: 'check/', objects: [{ name: 'a.csv', generated: { rows: 2000, seed: 3, badShare: 0.01, duplicateShare: 0.01, keyBase: 7_000_000_000, crlf: false } }], records: 2000, settings: { engine: 'inline', batchSize: 500, pipelineDepth: 2, connections: 2, rangeBytes: 0, listWindow: 1 } };
    const source = await materialize(stack, workload, join(dir, 'v1'));
    const proxies = { mysql: { port: stack.layout.ports.mariadb }, redis: { port: stack.layout.ports.redis }, s3: { port: stack.layout.ports.s3 } } as TrialContext['proxies'];
    const ctx = { stack, dir, walDir: join(dir, 'wal'), workload, source, proxies, settings: workload.settings, log: [], violations: [] } as unknown as TrialContext;
    const load = new CliProcess(['load', '--no-progress', '--json'], trialEnv(ctx), 120000);
    expect(judgeExit(ctx, 'load', await load.exited, false)).toBe('finished');
    expect(await checkFinished(ctx, 'load')).toBe('current');

    const dump = join(dir, 'backup.sql');
    stack.mariadb.dump('pipewarden', dump);
    const c = await mysqlConnect(stack.config());
    await c.query('DELETE FROM violations ORDER BY summons_number LIMIT 1');
    await c.end();
    expect(await checkFinished(ctx, 'after delete')).toBe('different');
    expect(ctx.violations).toEqual([expect.objectContaining({ kind: 'finished-with-difference', rowsLost: 1, rowsDuplicated: 0 })]);

    stack.mariadb.restore(dump);
    expect(await checkFinished(ctx, 'after restore')).toBe('current');

    // The object replaced by a longer version after the load: the table is the old version,
    // which only the local files still hold — accepted as such, not as rows lost.
    const v2 = await appendedVersion(join(dir, 'v1', 'a.csv'), 50, 3, join(dir, 'v2'));
    const s3 = createS3Client(stack.config());
    await putFile(s3, v2, s3Url(stack, workload, 'a.csv'));
    s3.destroy();
    ctx.oldVersionDir = join(dir, 'v1');
    expect(await checkFinished(ctx, 'after replacement')).toBe('old');
    expect(ctx.violations).toHaveLength(1);
  });

  test("the stack's ports lie below the ephemeral range, where no listen(0) can take them before use", () => {
    for (const port of Object.values(stack.layout.ports)) expect(port).toBeLessThan(32768);
  });
});
