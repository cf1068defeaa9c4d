// Issue 18, compressed objects: the same data as plain CSV, gzip (one member and several),
// zstd and bzip2 — and gzip under a `.csv` name — loads to the same table (CHECKSUM TABLE,
// dead letters, `verify`), with both engines; a load killed at a random batch of a
// compressed object resumes exactly; a cut-short gzip is a clear error that keeps the rows
// committed before it.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Redis from 'ioredis';
import type { Config } from '@pipewarden/core';
import { reconcile } from '@pipewarden/reconciler';
import { LoaderMetrics, createS3Client, generate, putFile, runLoad } from '@pipewarden/loader';
import { sparkSkipReason } from '../loader/test/helpers/spark-testkit';
import { startTestStack, type TestStack, query as q } from './helpers/stack';
import { expectExact, outcome } from './helpers/outcome';
import { runCli } from './helpers/doubt';

let stack: TestStack;
let plain: string;
let reference: { checksum: string; rows: number; deadLetters: number };
beforeAll(async () => {
  stack = await startTestStack();
  plain = join(stack.layout.dir, 'plain.csv');
  await generate(plain, { rows: 8000, seed: 1818, badShare: 0.02, duplicateShare: 0.01, kaggle: true });
  // What the plain CSV loads to: every format, and every resumed load, must end the same.
  await stack.resetData();
  const config = stack.config({ 'batch.size': BATCH });
  await runLoad(config, { source: (await stage(config, 'csv', 'reference')).source });
  reference = await outcome(config);
});
afterAll(() => stack?.cleanup());
beforeEach(() => stack.resetData());

const BATCH = 1000;
type Kind = 'csv' | 'gzip' | 'gzip-members' | 'gzip-named-csv' | 'zstd' | 'bzip2';
const NAME: Record<Kind, string> = { csv: 'data.csv', gzip: 'data.csv.gz', 'gzip-members': 'data.csv.gz', 'gzip-named-csv': 'data.csv', zstd: 'data.csv.zst', bzip2: 'data.csv.bz2' };

/** The plain file in `kind`'s encoding, staged alone under a prefix of its own; its stored size. */
async function stage(config: Config, kind: Kind, prefix: string, cut = 1): Promise<{ source: string; stored: number }> {
  const bytes = readFileSync(plain);
  let stored: Buffer;
  if (kind === 'csv') stored = bytes;
  else if (kind === 'gzip' || kind === 'gzip-named-csv') stored = gzipSync(bytes);
  else if (kind === 'gzip-members') {
    const half = Math.floor(bytes.length / 2);
    stored = Buffer.concat([gzipSync(bytes.subarray(0, half)), gzipSync(bytes.subarray(half))]);
  } else stored = execFileSync(kind, ['-c'], { input: bytes, maxBuffer: 1 << 28 });
  stored = stored.subarray(0, Math.floor(stored.length * cut));
  const file = join(stack.layout.dir, `${prefix}-${NAME[kind]}`);
  writeFileSync(file, stored);
  const s3 = createS3Client(config);
  try {
    await putFile(s3, file, `s3://${stack.layout.bucket}/${prefix}/${NAME[kind]}`);
  } finally {
    s3.destroy();
  }
  return { source: `s3://${stack.layout.bucket}/${prefix}/`, stored: statSync(file).size };
}



test.each(['csv', 'gzip', 'gzip-members', 'gzip-named-csv', 'zstd', 'bzip2'] as const)('%s loads to the same table as the plain CSV (inline engine)', async (kind) => {
  const config = stack.config({ 'batch.size': BATCH });
  const { source, stored } = await stage(config, kind, `fmt-${kind}`);
  const metrics = new LoaderMetrics();
  const s = await runLoad(config, { source, metrics });
  expect(s.rows_in).toBe(8000);
  expect(await outcome(config)).toEqual(reference);
  await expectExact(config, source);
  // Bytes read count what is stored (compressed); the decoded bytes are counted apart.
  const m = await metrics.registry.getMetricsAsJSON();
  const value = (name: string) => Number(m.find((x) => x.name === name)?.values[0]?.value ?? 0);
  expect(value('pipewarden_loader_source_bytes_read_total')).toBe(stored);
  expect(value('pipewarden_loader_decoded_bytes_total')).toBe(kind === 'csv' ? 0 : statSync(plain).size);
});

test.each(['gzip', 'zstd', 'bzip2'] as const)('%s: a load killed at a random batch resumes exactly', async (kind) => {
  const config = stack.config({ 'batch.size': BATCH });
  const { source } = await stage(config, kind, `crash-${kind}`);
  const at = 2 + Math.floor(Math.random() * 5);
  const killed = runCli(stack, ['load', '--source', source, '--batch-size', String(BATCH), '--no-progress', '--json'], { PIPEWARDEN_FAULT: `before-commit:${at}` });
  expect({ at, signal: killed.signal }).toEqual({ at, signal: 'SIGKILL' });
  const again = runCli(stack, ['load', '--source', source, '--batch-size', String(BATCH), '--no-progress', '--json']);
  expect({ at, status: again.status, stderr: again.status === 0 ? '' : again.stderr }).toEqual({ at, status: 0, stderr: '' });
  // The rerun went on where the ledger ends (the batch in flight at the kill at most found again).
  const summary = JSON.parse(again.stdout) as { this_run: { batches_committed: number; batches_skipped: number } };
  expect(summary.this_run.batches_committed + summary.this_run.batches_skipped).toBeLessThanOrEqual(8 - (at - 2));
  await expectExact(config, source);
  expect(await outcome(config)).toEqual(reference);
});

test('a batch in doubt whose mirror copy is gone is re-read from the zstd object by its decoded byte range', async () => {
  const config = stack.config({ 'batch.size': BATCH });
  const { source } = await stage(config, 'zstd', 'doubt');
  const killed = runCli(stack, ['load', '--source', source, '--batch-size', String(BATCH), '--no-progress', '--json'], { PIPEWARDEN_FAULT: 'before-commit:4' });
  expect(killed.signal).toBe('SIGKILL');
  const redis = new Redis(stack.redis.url);
  await redis.flushall(); // the mirror lost everything: only the source has the rows
  redis.disconnect();
  const report = await reconcile(config, { trigger: 'cli', restartLoader: false });
  expect({ outcome: report.outcome, verification: report.verification }).toEqual({ outcome: 'success', verification: 'ok' });
  expect(report.batchesRepaired).toBeGreaterThanOrEqual(1);
  expect(report.batches.every((b) => b.source === 's3')).toBe(true);
  const again = runCli(stack, ['load', '--source', source, '--batch-size', String(BATCH), '--no-progress', '--json']);
  expect({ status: again.status, stderr: again.status === 0 ? '' : again.stderr }).toEqual({ status: 0, stderr: '' });
  await expectExact(config, source);
  expect(await outcome(config)).toEqual(reference);
});

test('a gzip object cut short is an error naming it; the batches before the cut stay committed', async () => {
  const config = stack.config({ 'batch.size': BATCH });
  const { source } = await stage(config, 'gzip', 'cut', 0.6);
  const r = runCli(stack, ['load', '--source', source, '--batch-size', String(BATCH), '--no-progress', '--json']);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/cut\/data\.csv\.gz: its gzip stream is damaged or cut short after \d+ decoded bytes/);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  const [l] = await q(config, 'SELECT COUNT(*) AS batches, COALESCE(SUM(rows_inserted), 0) AS rows_in FROM batch_ledger');
  expect(Number(l.batches)).toBeGreaterThanOrEqual(3);
  expect((await outcome(config)).rows).toBe(Number(l.rows_in));
});

const spark = sparkSkipReason();
(spark ? test.skip : test)('zstd and gzip load to the same table with the Spark engine (staged decoded)', async () => {
  for (const kind of ['zstd', 'gzip-named-csv'] as const) {
    await stack.resetData();
    const config = stack.config({ 'batch.size': BATCH, 'batch.pipelineDepth': 1, engine: 'spark' });
    const { source } = await stage(config, kind, `spark-${kind}`);
    const s = await runLoad(config, { source });
    expect(s.rows_in).toBe(8000);
    await expectExact(config, source);
    const got = await outcome(config);
    expect({ rows: got.rows, deadLetters: got.deadLetters }).toEqual({ rows: reference.rows, deadLetters: reference.deadLetters });
  }
}, 600_000);
