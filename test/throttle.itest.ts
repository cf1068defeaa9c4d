// Issue 17, load control: rate caps shared by every loader (token buckets in Redis) and a
// back-off while MySQL is busy. What is asserted is what happened (tokens owed, time waited
// by reason, the table exact), never how fast: speed lives in bench/rate-cap.ts.
import { join } from 'node:path';
import Redis from 'ioredis';
import { connect, type Config } from '@pipewarden/core';
import { LoaderMetrics, createS3Client, generate, putFile, runLoad, verifyTable } from '@pipewarden/loader';
import { takeTokens } from '../loader/src/throttle';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
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
