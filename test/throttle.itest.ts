// Issue 17, load control: rate caps shared by every loader (token buckets in Redis) and a
// back-off while MySQL is busy or a replica of it lags (a second MariaDB replicating the
// stack's, binary log on). What is asserted is what happened (tokens owed, time waited
// by reason, the table exact), never how fast: speed lives in bench/rate-cap.ts.
import { join } from 'node:path';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import { connect, type Config } from '@pipewarden/core';
import { MariaDb, freePort } from '@pipewarden/stack';
import { LoaderMetrics, createS3Client, generate, putFile, runLoad, verifyTable } from '@pipewarden/loader';
import { takeTokens } from '../loader/src/throttle';
import { startTestStack, type TestStack } from './helpers/stack';
import { waitFor } from './helpers/wait';

let stack: TestStack;
beforeAll(async () => {
  // The binary log lets a replica follow the stack's MariaDB (the replica-lag test).
  stack = await startTestStack({ mariadbSettings: { log_bin: 'mariadb-bin', server_id: 1, binlog_format: 'ROW' } });
});
afterAll(() => stack?.cleanup());
beforeEach(() => stack.resetData());

async function stage(config: Config, prefix: string, objects: number, rows: number): Promise<string> {
  const s3 = createS3Client(config);
  try {
    for (let i = 0; i < objects; i++) {
      const file = join(stack.layout.dir, `${prefix}-${i}.csv`);
      await generate(file, { rows, seed: 1700 + i, keyBase: 2_000_000_000 + i * 1_000_000 });
      await putFile(s3, file, `s3://${stack.layout.bucket}/${prefix}/part-${i}.csv`);
    }
  } finally {
    s3.destroy();
  }
  return `s3://${stack.layout.bucket}/${prefix}/`;
}

async function metricValue(m: LoaderMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (metric?.values ?? []).find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return Number(v?.value ?? 0);
}

test('a token bucket in Redis lends a take at once and makes the next ones wait for the debt', async () => {
  const redis = new Redis(stack.redis.url);
  try {
    const waits = [];
    for (let i = 0; i < 3; i++) waits.push(await takeTokens(redis, 'pw-test:rate:rows', 1000, 1000));
    expect(waits[0]).toBe(0); // a full bucket: one second of tokens
    expect(waits[1]).toBeGreaterThan(0);
    expect(waits[2]).toBeGreaterThan(waits[1]); // the debt grows: takes queue behind each other
    expect(waits[2]).toBeLessThanOrEqual(2000);
  } finally {
    redis.disconnect();
  }
});

test('two loaders under one pipeline cap share its bucket: both wait for it, and the table is exact', async () => {
  const capped = (dir: string) => stack.config({ 'batch.size': 1000, 'rate.rowsPerSecond': 6000, 'loader.leaseSeconds': 5, 'wal.dir': join(stack.layout.dir, dir) });
  const source = await stage(capped('x'), 'capped', 4, 6000);
  const metrics = [new LoaderMetrics(), new LoaderMetrics()];
  const [a, b] = await Promise.all([runLoad(capped('run-a'), { source, metrics: metrics[0], worker: 'a' }), runLoad(capped('run-b'), { source, metrics: metrics[1], worker: 'b' })]);
  // The work was shared, and each loader waited for the shared bucket.
  expect(a.this_run.batches_committed + b.this_run.batches_committed).toBe(24);
  for (const m of metrics) {
    expect(await metricValue(m, 'pipewarden_loader_rate_limit', { limit: 'rows_per_second' })).toBe(6000);
    expect(await metricValue(m, 'pipewarden_loader_throttled_seconds_total', { reason: 'rows' })).toBeGreaterThan(0);
  }
  const v = await verifyTable(capped('x'), source);
  expect({ ok: v.ok, lost: v.lost, duplicated: v.duplicated }).toEqual({ ok: true, lost: 0, duplicated: 0 });
});

test('a busy MySQL (Threads_running above the limit) makes the loader wait before its batches; it goes on once the server calms down', async () => {
  const config = stack.config({ 'batch.size': 1000, 'rate.busyThreadsRunning': 1 });
  const source = await stage(config, 'busy', 1, 3000);
  const analyst = await connect(config);
  try {
    // An analyst's long query keeps a second thread running for three seconds.
    const slow = analyst.query('SELECT SLEEP(3)');
    const metrics = new LoaderMetrics();
    const s = await runLoad(config, { source, metrics });
    await slow;
    expect(s.rows_in).toBe(3000);
    expect(await metricValue(metrics, 'pipewarden_loader_throttled_seconds_total', { reason: 'mysql_busy' })).toBeGreaterThan(0);
  } finally {
    await analyst.end();
  }
});

test('a lagging replica makes the loader wait before its batches; it goes on once the replica catches up', async () => {
  const replica = new MariaDb({ dir: join(stack.layout.dir, 'replica'), port: await freePort(), settings: { server_id: 2 } });
  await replica.start();
  const onReplica = () => mysql.createConnection({ host: '127.0.0.1', port: replica.opts.port, user: 'root' });
  const admin = await onReplica();
  const locker = await onReplica();
  const primary = await connect(stack.config());
  try {
    await admin.query(`CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${stack.layout.ports.mariadb}, MASTER_USER = 'root', MASTER_USE_GTID = slave_pos`);
    await admin.query('START SLAVE');
    await primary.query('CREATE TABLE lag_probe (id INT PRIMARY KEY)');
    const lag = async () => {
      const [rows] = await admin.query<mysql.RowDataPacket[]>('SHOW SLAVE STATUS');
      return rows[0]?.Seconds_Behind_Master;
    };
    await waitFor('the replica following', async () => Number((await admin.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'pipewarden' AND table_name = 'lag_probe'"))[0][0].n) === 1 && (await lag()) === 0, 30000);
    // An analyst's lock on the replica stops replication at the next write to that table: the
    // replica falls behind, second by second.
    await locker.query('LOCK TABLES pipewarden.lag_probe WRITE');
    await primary.query('INSERT INTO lag_probe VALUES (1)');
    await waitFor('the replica lagging', async () => Number(await lag()) >= 2, 30000);

    const config = stack.config({ 'batch.size': 1000, 'rate.replicaUrl': `mysql://root@127.0.0.1:${replica.opts.port}/pipewarden`, 'rate.maxReplicaLagSeconds': 1 });
    const source = await stage(config, 'replica', 1, 3000);
    const metrics = new LoaderMetrics();
    const run = runLoad(config, { source, metrics });
    // While the replica lags, not one batch is committed.
    await new Promise((r) => setTimeout(r, 3000));
    const [[held]] = await primary.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM batch_ledger');
    expect(Number(held.n)).toBe(0);
    expect(await metricValue(metrics, 'pipewarden_loader_replica_lag_seconds', {})).toBeGreaterThan(1);
    await locker.query('UNLOCK TABLES');
    const s = await run;
    expect(s.rows_in).toBe(3000);
    expect(await metricValue(metrics, 'pipewarden_loader_throttled_seconds_total', { reason: 'replica_lag' })).toBeGreaterThan(2);
    expect(await metricValue(metrics, 'pipewarden_loader_rate_limit', { limit: 'max_replica_lag_seconds' })).toBe(1);
    const v = await verifyTable(config, source);
    expect({ ok: v.ok, lost: v.lost, duplicated: v.duplicated }).toEqual({ ok: true, lost: 0, duplicated: 0 });
    // The replica has every batch too, once it has caught up.
    await waitFor('the replica caught up', async () => {
      const [[r]] = await admin.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM pipewarden.batch_ledger');
      return Number(r.n) === 3;
    }, 30000);
  } finally {
    await locker.end().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await primary.query('DROP TABLE IF EXISTS lag_probe').catch(() => undefined);
    await primary.end();
    await replica.stop();
  }
});
