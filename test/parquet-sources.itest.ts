// Issue 18, Parquet objects (inline engine): the same rows written as Parquet by another
// implementation (pyarrow: several row groups, snappy, zstd and gzip pages, dictionary and
// plain encodings, typed columns) load to the same table as the CSV they came from
// (CHECKSUM TABLE, dead letters, `verify`); a load killed at a random batch resumes exactly;
// a batch in doubt whose mirror copy is gone is re-read by its row numbers; a damaged
// footer, a nested column and a type that cannot map are clear errors that write nothing
// of that object and keep what was committed before.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { Config } from '@pipewarden/core';
import { reconcile } from '@pipewarden/reconciler';
import { createS3Client, generate, putFile, runLoad } from '@pipewarden/loader';
import { REPO_ROOT } from '@pipewarden/stack';
import { startTestStack, type TestStack, query as q } from './helpers/stack';
import { expectExact, outcome, type Outcome } from './helpers/outcome';
import { runCli } from './helpers/doubt';

const PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
const TO_PARQUET = join(REPO_ROOT, 'scripts', 'csv-to-parquet.py');
const BATCH = 1000;
const ROWS = 12000;

let stack: TestStack;
let plain: string;
let reference: Outcome;


beforeAll(async () => {
  stack = await startTestStack();
  plain = join(stack.layout.dir, 'plain.csv');
  // No malformed CSV rows (Parquet has no such thing), but invalid optional values, empty
  // cells and repeated keys: the rules' work is the same for both formats.
  await generate(plain, { rows: ROWS, seed: 1819, badShare: 0, duplicateShare: 0.01 });
  await stack.resetData();
  const config = stack.config({ 'batch.size': BATCH });
  await runLoad(config, { source: (await stage(config, plain, 'reference', 'data.csv')).source });
  reference = await outcome(config);
});
afterAll(() => stack?.cleanup());
beforeEach(() => stack.resetData());

/** `csv` written as Parquet by pyarrow with these options, beside it. */
function parquetOf(csv: string, name: string, options: string[]): string {
  const out = join(stack.layout.dir, `${name}.parquet`);
  execFileSync(PYTHON, [TO_PARQUET, csv, out, ...options], { stdio: 'pipe' });
  return out;
}

/** A file staged alone under a prefix of its own. */
async function stage(config: Config, file: string, prefix: string, name: string): Promise<{ source: string }> {
  const s3 = createS3Client(config);
  try {
    await putFile(s3, file, `s3://${stack.layout.bucket}/${prefix}/${name}`);
  } finally {
    s3.destroy();
  }
  return { source: `s3://${stack.layout.bucket}/${prefix}/` };
}


const VARIANTS = {
  // Row groups of 3,500 rows: batches of 1,000 straddle them.
  'snappy, dictionary pages, 4 row groups': ['--compression', 'snappy', '--row-group-rows', '3500'],
  'zstd, plain pages, 3 row groups': ['--compression', 'zstd', '--no-dictionary', '--row-group-rows', '5000'],
  'gzip, one row group': ['--compression', 'gzip'],
  // Dictionaries of 4 kB: high-cardinality columns go on in plain pages within a chunk.
  'snappy, dictionaries falling back to plain pages': ['--compression', 'snappy', '--dictionary-bytes', '4096', '--row-group-rows', '6000'],
  'uncompressed': ['--compression', 'none', '--row-group-rows', '7000'],
} as const;

test.each(Object.keys(VARIANTS) as (keyof typeof VARIANTS)[])('Parquet (%s) loads to the same table as the CSV', async (variant) => {
  const config = stack.config({ 'batch.size': BATCH });
  const file = parquetOf(plain, variant.replace(/\W+/g, '-'), [...VARIANTS[variant]]);
  const { source } = await stage(config, file, `pq-${variant.replace(/\W+/g, '-')}`, 'data.parquet');
  const s = await runLoad(config, { source });
  expect(s.rows_in).toBe(ROWS);
  expect(await outcome(config)).toEqual(reference);
  await expectExact(config, source);
});

test('typed columns (int64, date32) load to the same table as their CSV', async () => {
  // A clean file: pyarrow must convert every value of the typed columns.
  const clean = join(stack.layout.dir, 'clean.csv');
  await generate(clean, { rows: 5000, seed: 1820, badShare: 0, duplicateShare: 0.01, oddShare: 0 });
  let config = stack.config({ 'batch.size': BATCH });
  await runLoad(config, { source: (await stage(config, clean, 'typed-ref', 'data.csv')).source });
  const want = await outcome(config);
  await stack.resetData();
  config = stack.config({ 'batch.size': BATCH });
  const file = parquetOf(clean, 'typed', ['--row-group-rows', '2000', '--types', 'Summons Number=int64,Issue Date=date32[%m/%d/%Y],Vehicle Year=int64']);
  const { source } = await stage(config, file, 'typed', 'data.parquet');
  await runLoad(config, { source });
  expect(await outcome(config)).toEqual(want);
  await expectExact(config, source);
});

test.each(['snappy', 'zstd'] as const)('%s: a load killed at a random batch resumes exactly', async (codec) => {
  const config = stack.config({ 'batch.size': BATCH });
  const file = parquetOf(plain, `crash-${codec}`, ['--compression', codec, '--row-group-rows', '2500']);
  const { source } = await stage(config, file, `crash-${codec}`, 'data.parquet');
  const at = 2 + Math.floor(Math.random() * 8);
  const args = ['load', '--source', source, '--batch-size', String(BATCH), '--no-progress', '--json'];
  const killed = runCli(stack, args, { PIPEWARDEN_FAULT: `before-commit:${at}` });
  expect({ at, signal: killed.signal }).toEqual({ at, signal: 'SIGKILL' });
  const again = runCli(stack, args);
  expect({ at, status: again.status, stderr: again.status === 0 ? '' : again.stderr }).toEqual({ at, status: 0, stderr: '' });
  // The rerun went on at the ledger's end (the batch in flight at the kill at most found again).
  const summary = JSON.parse(again.stdout) as { this_run: { batches_committed: number; batches_skipped: number } };
  expect(summary.this_run.batches_committed + summary.this_run.batches_skipped).toBeLessThanOrEqual(ROWS / BATCH - (at - 2));
  await expectExact(config, source);
  expect(await outcome(config)).toEqual(reference);
});

test('a batch in doubt whose mirror copy is gone is re-read from the Parquet object by its rows', async () => {
  const config = stack.config({ 'batch.size': BATCH });
  const file = parquetOf(plain, 'doubt', ['--row-group-rows', '2500']);
  const { source } = await stage(config, file, 'doubt', 'data.parquet');
  const args = ['load', '--source', source, '--batch-size', String(BATCH), '--no-progress', '--json'];
  expect(runCli(stack, args, { PIPEWARDEN_FAULT: 'before-commit:6' }).signal).toBe('SIGKILL');
  const redis = new Redis(stack.redis.url);
  await redis.flushall(); // only the source has the rows now
  redis.disconnect();
  const report = await reconcile(config, { trigger: 'cli', restartLoader: false });
  expect({ outcome: report.outcome, verification: report.verification }).toEqual({ outcome: 'success', verification: 'ok' });
  expect(report.batchesRepaired).toBeGreaterThanOrEqual(1);
  expect(report.batches.every((b) => b.source === 's3')).toBe(true);
  const again = runCli(stack, args);
  expect({ status: again.status, stderr: again.status === 0 ? '' : again.stderr }).toEqual({ status: 0, stderr: '' });
  await expectExact(config, source);
  expect(await outcome(config)).toEqual(reference);
});

/** A load of `prefix` that must fail: its stderr, the rows of the CSV loaded before the bad object. */
function failingLoad(source: string): { stderr: string } {
  const r = runCli(stack, ['load', '--source', source, '--batch-size', String(BATCH), '--no-progress', '--json']);
  expect(r.status).not.toBe(0);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  return { stderr: r.stderr };
}

test('a damaged footer is an error naming the object; the object before it stays loaded', async () => {
  const config = stack.config({ 'batch.size': BATCH });
  const file = parquetOf(plain, 'damaged', ['--row-group-rows', '2500']);
  const bytes = readFileSync(file);
  const footer = bytes.length - 8 - bytes.readUInt32LE(bytes.length - 8);
  bytes.fill(0xff, footer + 4, footer + 64); // the start of the footer's thrift (its schema), not its length or magic
  writeFileSync(file, bytes);
  await stage(config, plain, 'damaged', 'a.csv');
  const { source } = await stage(config, file, 'damaged', 'b.parquet');
  const { stderr } = failingLoad(source);
  expect(stderr).toMatch(/damaged\/b\.parquet: not a readable Parquet file: its footer cannot be decoded/);
  expect(await outcome(config)).toEqual(reference);
  // Cut short: the magic at its end is gone.
  const whole = readFileSync(parquetOf(plain, 'cut', []));
  writeFileSync(file, whole.subarray(0, whole.length - 1000));
  const cut = await stage(config, file, 'cut', 'b.parquet');
  expect(failingLoad(cut.source).stderr).toMatch(/cut\/b\.parquet: not a readable Parquet file: it does not end in "PAR1"/);
});

test('a damaged page is an error naming its row group and column; the batches before it stay committed', async () => {
  const config = stack.config({ 'batch.size': BATCH });
  const file = parquetOf(plain, 'damaged-page', ['--row-group-rows', '3000']);
  const bytes = readFileSync(file);
  const at = Math.floor(bytes.length * 0.7); // inside the last row groups' pages
  bytes.fill(0xff, at, at + 64);
  writeFileSync(file, bytes);
  const { source } = await stage(config, file, 'damaged-page', 'p.parquet');
  const { stderr } = failingLoad(source);
  expect(stderr).toMatch(/damaged-page\/p\.parquet: row group [1-3], column "[^"]+": /);
  const [l] = await q(config, 'SELECT COUNT(*) AS batches, COALESCE(SUM(rows_inserted), 0) AS rows_in FROM batch_ledger');
  expect(Number(l.batches)).toBeGreaterThanOrEqual(3); // the first row group's batches at least
  expect((await outcome(config)).rows).toBe(Number(l.rows_in));
});

/** A Parquet file written by a few lines of pyarrow (`options`: write_table's keyword arguments). */
function pyarrowFile(name: string, code: string, options = ''): string {
  const out = join(stack.layout.dir, `${name}.parquet`);
  execFileSync(PYTHON, ['-c', `import sys, datetime, pyarrow as pa, pyarrow.parquet as pq\nt = ${code}\npq.write_table(t, sys.argv[1]${options ? ', ' + options : ''})`, out], { stdio: 'pipe' });
  return out;
}

test('INT96 timestamps (as Spark writes them), dictionary-encoded or not, load as their dates', async () => {
  const config = stack.config({ 'batch.size': BATCH });
  // 400 rows over 4 dates at midnight: a dictionary page, then the same as plain pages.
  const table = "pa.table({'Summons Number': list(range(1, 401)), 'Issue Date': [datetime.datetime(2014, 1, 15 + i % 4) for i in range(400)]})";
  for (const [name, options] of [['int96-dict', 'use_deprecated_int96_timestamps=True'], ['int96-plain', 'use_deprecated_int96_timestamps=True, use_dictionary=False']]) {
    await stack.resetData();
    const { source } = await stage(config, pyarrowFile(name, table, options), name, 't.parquet');
    const s = await runLoad(config, { source });
    expect({ name, loaded: s.rows_loaded, nulled: s.fields_nulled }).toEqual({ name, loaded: 400, nulled: {} });
    const dates = await q(config, "SELECT DATE_FORMAT(issue_date, '%Y-%m-%d') AS d, COUNT(*) AS n FROM violations GROUP BY d ORDER BY d");
    expect(dates.map((r) => [r.d, Number(r.n)])).toEqual([['2014-01-15', 100], ['2014-01-16', 100], ['2014-01-17', 100], ['2014-01-18', 100]]);
  }
});

test('a nested column and a column whose type cannot map are errors before any row is written', async () => {
  const config = stack.config({ 'batch.size': BATCH });
  const nested = pyarrowFile('nested', "pa.table({'Summons Number': [1, 2], 'Plate ID': [{'a': 1}, {'a': 2}]})");
  const { source } = await stage(config, nested, 'nested', 'n.parquet');
  expect(failingLoad(source).stderr).toMatch(/nested\/n\.parquet: column "Plate ID" is nested/);
  const wrong = pyarrowFile('wrong', "pa.table({'Summons Number': [datetime.datetime(2014, 1, 1)], 'Issue Date': ['01/15/2014']})");
  const w = await stage(config, wrong, 'wrong', 'w.parquet');
  expect(failingLoad(w.source).stderr).toMatch(/wrong\/w\.parquet: column "Summons Number" holds timestamp values \(INT64 TIMESTAMP\), which cannot load into summons_number, an integer column/);
  const [l] = await q(config, 'SELECT COUNT(*) AS n FROM batch_ledger');
  expect(Number(l.n)).toBe(0);
});
