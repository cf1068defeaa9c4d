// The loader against real MariaDB, Redis and an S3 server: correctness of a load, replays,
// crashes of the loader, an S3 outage mid-object, malformed inputs, the control API.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { connect, type Config, type LoaderStatus } from '@pipewarden/core';
import { createS3Client, generate, putFile, runLoad, startLoaderService, verifyTable } from '@pipewarden/loader';
import { sleep } from '@pipewarden/stack';
import { startTestStack, SHARED_SAMPLE, type TestStack } from './helpers/stack';
import { runCli } from './helpers/doubt';

let stack: TestStack;
let config: Config;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());
beforeEach(async () => {
  await stack.resetData();
  config = stack.config({ 'batch.size': 1000 });
});

async function q<T = RowDataPacket>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = await connect(config);
  try {
    const [rows] = await c.query<RowDataPacket[]>(sql, params);
    return rows as T[];
  } finally {
    await c.end();
  }
}

async function put(file: string, key: string): Promise<string> {
  const s3 = createS3Client(config);
  try {
    return (await putFile(s3, file, `s3://${stack.layout.bucket}/${key}`)).url;
  } finally {
    s3.destroy();
  }
}

test('the real sample and generated bad rows, loaded from a bucket: every row accounted for, values right, replays change nothing', async () => {
  await put(SHARED_SAMPLE, 'case1/a-sample.csv');
  const gen = join(stack.layout.dir, 'gen-bad.csv');
  const stats = await generate(gen, { rows: 6000, seed: 11, badShare: 0.05, duplicateShare: 0.01 });
  await put(gen, 'case1/b-generated.csv');
  const source = `s3://${stack.layout.bucket}/case1/`;

  const s = await runLoad(config, { source });
  expect(s.rows_in).toBe(4999 + 6000);
  expect(s.balanced).toBe(true);
  expect(s.rows_rejected).toBe(stats.bad);
  const [{ n }] = await q('SELECT COUNT(*) AS n FROM violations');
  expect(Number(n)).toBe(s.rows_loaded);
  const dl = await q('SELECT reason, COUNT(*) AS n FROM dead_letters GROUP BY reason');
  expect(dl.reduce((a, r) => a + Number(r.n), 0)).toBe(stats.bad);
  expect(new Set(dl.map((r) => r.reason))).toEqual(new Set(['missing_key', 'invalid_key', 'column_count', 'csv_error']));
  const [bad] = await q("SELECT source_key, line_number, raw FROM dead_letters WHERE reason = 'csv_error' LIMIT 1");
  expect(String(bad.source_key)).toBe(`${source}b-generated.csv`);
  expect(Buffer.from(bad.raw).toString()).toContain('"BBB"BB');

  const [row] = await q('SELECT * FROM violations WHERE summons_number = 1283294138');
  expect(row).toMatchObject({ plate_id: 'GBB9093', registration_state: 'NY', issue_date: '2013-08-04', violation_time: '07:52:00', vehicle_year: 2013, violation_precinct: 33 });

  const v = await verifyTable(config, source);
  expect(v).toMatchObject({ ok: true, lost: 0, unexpected: 0, mismatched: 0, duplicated: 0 });

  const checksum = async () => (await q('CHECKSUM TABLE violations'))[0].Checksum;
  const before = await checksum();
  const again = await runLoad(config, { source });
  expect(again.batches_committed).toBe(0);
  expect(await checksum()).toBe(before);

  // Even with the WAL and checkpoint gone, MySQL knows every object is in (the leases' done
  // marks, proven against the ledger): nothing is read again, the totals come from the ledger.
  const fresh = stack.config({ 'batch.size': 1000, 'wal.dir': join(stack.layout.dir, 'wal-fresh') });
  const replay = await runLoad(fresh, { source });
  expect(replay.this_run).toMatchObject({ batches_committed: 0, batches_skipped: 0, rows_in: 0 });
  expect({ rows_in: replay.rows_in, rows_loaded: replay.rows_loaded, rows_rejected: replay.rows_rejected, rows_duplicate: replay.rows_duplicate }).toEqual({ rows_in: s.rows_in, rows_loaded: s.rows_loaded, rows_rejected: s.rows_rejected, rows_duplicate: s.rows_duplicate });
  expect(await checksum()).toBe(before);
});

test('the loader SIGKILLed at a random batch and started again: the table holds exactly the source', async () => {
  const gen = join(stack.layout.dir, 'gen-kill.csv');
  await generate(gen, { rows: 20000, seed: 3, badShare: 0.01 });
  for (const point of ['after-intent', 'before-commit', 'after-commit']) {
    await stack.resetData();
    const batch = 2 + Math.floor(Math.random() * 15);
    const killed = runCli(stack, ['load', '--source', gen, '--batch-size', '1000', '--no-progress'], { PIPEWARDEN_FAULT: `${point}:${batch}` });
    expect(killed.signal).toBe('SIGKILL');
    const resumed = runCli(stack, ['load', '--source', gen, '--batch-size', '1000', '--no-progress', '--json']);
    expect(resumed.status).toBe(0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary.rows_in).toBe(20000);
    expect(summary.rows_in).toBe(summary.rows_loaded + summary.rows_rejected + summary.rows_duplicate);
    const v = await verifyTable(config, gen);
    expect({ point, ok: v.ok, lost: v.lost, duplicated: v.duplicated, unexpected: v.unexpected }).toEqual({ point, ok: true, lost: 0, duplicated: 0, unexpected: 0 });
  }
});

test('the S3 server stopped mid-object and restarted: the load completes correctly', async () => {
  const gen = join(stack.layout.dir, 'gen-s3.csv');
  await generate(gen, { rows: 150000, seed: 5 });
  const url = await put(gen, 'case3/big.csv');
  let killedAt = -1;
  const load = runLoad(stack.config({ 'batch.size': 2000 }), {
    source: url,
    onProgress: (p) => {
      if (killedAt < 0 && p.rowsIn >= 20000) {
        killedAt = p.rowsIn;
        void (async () => {
          await stack.s3.kill();
          await sleep(1500);
          await stack.s3.start();
        })();
      }
    },
  });
  const s = await load;
  expect(killedAt).toBeGreaterThan(0);
  expect(s.rows_in).toBe(150000);
  const v = await verifyTable(config, url);
  expect(v.ok).toBe(true);
});

test('malformed inputs never crash the loader and are all accounted for', async () => {
  const dir = join(stack.layout.dir, 'malformed');
  mkdirSync(dir, { recursive: true });
  const header = require('node:fs').readFileSync(SHARED_SAMPLE, 'utf8').split('\n')[0];
  const good = require('node:fs').readFileSync(SHARED_SAMPLE, 'utf8').split('\n')[1];
  const withKey = (k: string) => good.replace(/^\d+/, k);
  writeFileSync(join(dir, '1-quotes.csv'), `${header}\n${withKey('900000001')}\n900000002,"unbalanced,GBB\n${withKey('900000003')}\n900000004,"x"y,NY\n`);
  writeFileSync(join(dir, '2-columns.csv'), `${header}\n${withKey('900000011')}\n900000012,too,few\n${withKey('900000013')},extra,fields\n`);
  writeFileSync(join(dir, '3-utf8.csv'), Buffer.concat([Buffer.from(`${header}\n${withKey('900000021')}\n`), Buffer.from(withKey('900000022').replace('GBB9093', 'GB')), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('\n')]));
  writeFileSync(join(dir, '4-bigfield.csv'), `${header}\n${withKey('900000031').replace('W 175 ST', `"${'W'.repeat(1 << 20)}"`)}\n${withKey('900000032')}\n`);
  writeFileSync(join(dir, '5-empty.csv'), '');
  writeFileSync(join(dir, '6-header-only.csv'), `${header}\n`);
  writeFileSync(join(dir, '7-binary.csv'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
  const s = await runLoad(config, { source: dir });
  expect(s.objects).toBe(7);
  expect(s.balanced).toBe(true);
  const keys = (await q('SELECT summons_number AS k FROM violations ORDER BY 1')).map((r) => String(r.k));
  // kept: the good rows, and the 1 MB street name becomes NULL (too long) on a kept row
  expect(keys).toEqual(['900000001', '900000003', '900000011', '900000021', '900000031', '900000032']);
  const [big] = await q('SELECT street_name FROM violations WHERE summons_number = 900000031');
  expect(big.street_name).toBeNull();
  const reasons = Object.fromEntries((await q('SELECT reason, COUNT(*) AS n FROM dead_letters GROUP BY reason')).map((r) => [r.reason, Number(r.n)]));
  expect(reasons.csv_error).toBeGreaterThanOrEqual(2);
  expect(reasons.column_count).toBe(2);
  expect(reasons.invalid_utf8).toBe(1);
  expect(reasons.bad_header).toBeGreaterThanOrEqual(1);
  const [utf] = await q("SELECT raw FROM dead_letters WHERE reason = 'invalid_utf8'");
  expect(Buffer.from(utf.raw).includes(Buffer.from([0xff, 0xfe]))).toBe(true);
  expect(s.rows_in).toBe(s.rows_loaded + s.rows_rejected + s.rows_duplicate);
});

test('control API: 401 without the token; pause, resume and restart show in /status', async () => {
  const gen = join(stack.layout.dir, 'gen-svc.csv');
  await generate(gen, { rows: 60000, seed: 9 });
  const svcConfig = stack.config({ 'batch.size': 500 });
  const svc = await startLoaderService(svcConfig, { source: gen });
  const token = svcConfig.token!;
  const call = (method: string, path: string, auth = true) => fetch(`${svc.url}${path}`, { method, headers: auth ? { authorization: `Bearer ${token}` } : {} });
  const status = async (method: string, path: string): Promise<LoaderStatus> => (await (await call(method, path)).json()) as LoaderStatus;
  try {
    expect((await call('GET', '/status', false)).status).toBe(401);
    expect((await fetch(`${svc.url}/status`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await call('POST', '/pause', false)).status).toBe(401);
    expect((await call('GET', '/healthz', false)).status).toBe(200);
    const paused = await status('POST', '/pause');
    expect(paused.state).toBe('paused');
    const rowsAtPause = paused.rowsIn;
    await sleep(700);
    const still = await status('GET', '/status');
    expect(still.state).toBe('paused');
    expect(still.rowsIn).toBe(rowsAtPause);
    const resumed = await status('POST', '/resume');
    expect(['running', 'finished']).toContain(resumed.state);
    const restarted = await status('POST', '/restart');
    expect(['running', 'finished', 'stopping']).toContain(restarted.state);
    for (let i = 0; i < 600; i++) {
      const st = await status('GET', '/status');
      if (st.state === 'finished') break;
      await sleep(100);
    }
    expect((await status('GET', '/status')).state).toBe('finished');
    const metrics = await (await call('GET', '/metrics', false)).text();
    expect(metrics).toMatch(/pipewarden_loader_batches_total\{pipeline="default",result="committed"\} [1-9]\d*/);
    expect(metrics).toMatch(/pipewarden_loader_service_state\{pipeline="default",state="finished"\} 1/);
    const v = await verifyTable(svcConfig, gen);
    expect(v.ok).toBe(true);
  } finally {
    await svc.close();
  }
});

test('S3 problems are clear errors that name the problem', async () => {
  await expect(runLoad(config, { source: 's3://no-such-bucket-here/x/' })).rejects.toThrow(/s3:\/\/no-such-bucket-here: the bucket does not exist/);
  const gen = join(stack.layout.dir, 'gen-etag.csv');
  await generate(gen, { rows: 100, seed: 1 });
  const url = await put(gen, 'case-etag/a.csv');
  // s3rver checks the access key id (it does not verify secrets)
  const wrongKeys = stack.config({ 's3.accessKeyId': 'NOT-A-KEY' });
  await expect(runLoad(wrongKeys, { source: url })).rejects.toThrow(/access denied|SignatureDoesNotMatch|InvalidAccessKeyId/i);
  // An object replaced between listing and reading is refused, not mixed.
  const { LocalSource } = await import('@pipewarden/loader');
  const src = new LocalSource(gen);
  const [obj] = await src.list();
  writeFileSync(gen, 'changed');
  expect(() => src.open(obj, 0)).toThrow(/changed while loading/);
});
