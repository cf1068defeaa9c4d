// Issue 18: the Spark engine reads Parquet with Spark's own reader and hands the loader
// exactly what the inline engine does (./helpers/engine-parity.ts): on the real NYC sample
// written by pyarrow in many row groups and read in many Spark partitions (some empty), on
// typed files (dates, microsecond, millisecond and INT96 timestamps, decimals, unsigned
// 64-bit integers, float32 and float64, booleans, text that needs quoting or is not UTF-8,
// columns the spec does not read), on a header that does not map, and from a row in the
// middle (a resumed load). A TIME column, which Spark cannot read, is refused before a job
// starts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError, loadConfig, type Config } from '@pipewarden/core';
import { createSparkEngine } from '../src/engine/spark';
import { captureLogger, drainEngine, inlineEngine, sparkSkipReason, type Drained } from './helpers/spark-testkit';
import { openSource } from '../src/source';
import { expectSameBatches } from './helpers/engine-parity';

jest.setTimeout(300_000);

const skip = sparkSkipReason();
if (skip) console.warn(`SKIPPED spark-parquet: ${skip}`);
const describeSpark = skip ? describe.skip : describe;

const REPO = join(__dirname, '..', '..');
const PYTHON = join(REPO, '.venv', 'bin', 'python');
const SHARED = join(REPO, '..', 'shared', 'data', 'nyc-parking-fy2014-head.csv');
const SAMPLE = existsSync(SHARED) ? SHARED : join(REPO, 'data', 'nyc-parking-fy2014-sample.csv');
const ALL_TYPES = join(REPO, 'loader', 'test', 'spark-job', 'testdata', 'all-types.yaml');

describeSpark('Spark engine reading Parquet, parity with the inline engine', () => {
  let dir: string;
  const { log, lines: logLines } = captureLogger();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-spark-parquet-'));
    execFileSync(PYTHON, [join(REPO, 'scripts', 'csv-to-parquet.py'), '--row-group-rows', '400', SAMPLE, join(dir, 'nyc.parquet')], { stdio: 'pipe' });
    execFileSync(PYTHON, [join(REPO, 'loader', 'test', 'spark-job', 'testdata', 'typed_parquet.py'), dir, '3000', '1818'], { stdio: 'pipe' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function configFor(dataset?: string): Config {
    return loadConfig({ env: { PIPEWARDEN_RUN_DIR: join(dir, 'run'), PIPEWARDEN_ENGINE: 'spark', ...(dataset ? { PIPEWARDEN_DATASET: dataset } : {}) }, useStackEnv: false });
  }

  async function both(config: Config, file: string, batchSize: number, partitionBytes: number, nextRecord = 1): Promise<{ inline: Drained; spark: Drained }> {
    const source = openSource(join(dir, file), config);
    const [object] = await source.list();
    await source.probe([object]); // as the loader does before planning: finds the PAR1 magic
    expect(object.format).toBe('parquet');
    config.spark.maxPartitionBytes = partitionBytes;
    logLines.length = 0;
    const spark = await drainEngine(createSparkEngine(config, log), source, object, batchSize, { nextRecord });
    return { inline: await drainEngine(inlineEngine(config), source, object, batchSize, { nextRecord }), spark };
  }

  const ready = () => logLines.find((l) => l.includes('spark output ready')) ?? '';

  test('the real NYC sample in 13 row groups, read in many partitions (some empty), batches straddling row groups', async () => {
    const { inline: a, spark: b } = await both(configFor(), 'nyc.parquet', 1000, 20_000);
    expect(a.drafts.reduce((n, d) => n + d.src.records, 0)).toBe(4999);
    expect(a.tsv).toContain('760 BROADWAY ,BROOKL'); // a value with a comma inside
    expectSameBatches(a, b);
    expect(Number(/partitions=(\d+)/.exec(ready())?.[1])).toBeGreaterThan(5);
    expect(ready()).toContain('scan=none');
  });

  test.each([
    ['typed.parquet', 'microsecond timestamps, float32, dictionary pages, snappy'],
    ['typed-int96.parquet', 'INT96 timestamps in dictionary pages, float64, zstd'],
    ['typed-ms.parquet', 'millisecond timestamps, plain pages, gzip'],
  ])('typed columns of every kind into the all-types spec: %s (%s)', async (file) => {
    const { inline: a, spark: b } = await both(configFor(ALL_TYPES), file, 256, 32_000);
    expect(a.drafts.reduce((n, d) => n + d.src.records, 0)).toBe(3000);
    // The file exercises every path: kept rows, rejects of several reasons, oddities.
    const reasons = new Set(a.rejects.map((r) => r.reason));
    for (const r of ['invalid_utf8', 'missing_value', 'invalid_value']) expect(reasons).toContain(r);
    expect(a.oddities.filter((n) => n > 0).length).toBeGreaterThan(4);
    expect(a.tsv).toContain('s "hi"'); // quotes inside a value
    expect(a.tsv).toContain('l1\\nl2'); // a newline in a value, TSV-escaped
    expectSameBatches(a, b);
  });

  // Found in review: Spark reads these with the same local dates whatever the rebase settings; the inline engine read them as proleptic Gregorian days.
  test.each([
    ['legacy.parquet', 'Spark 2.4: dates and INT96 timestamps in the hybrid calendar'],
    ['legacy-3x.parquet', 'Spark 3.3 in LEGACY mode: dates and microsecond timestamps'],
    ['legacy-3x-ntz.parquet', 'Spark 3.3 in LEGACY mode: dates; local date-times are not rebased'],
  ])("files in Spark's hybrid Julian calendar, dates from year 1: %s (%s)", async (file) => {
    const { inline: a, spark: b } = await both(configFor(ALL_TYPES), file, 500, 64_000);
    // pyarrow stored 0001-01-01's proleptic day, which the hybrid calendar the footer names reads as 0001-01-03.
    expect(a.rejects.some((r) => Buffer.from(r.raw, 'base64').toString().includes('0001-01-03'))).toBe(true);
    expectSameBatches(a, b);
  });

  test('a header that does not map: every row a bad_header dead letter, the same ones', async () => {
    const { inline: a, spark: b } = await both(configFor(ALL_TYPES), 'no-note.parquet', 500, 1 << 20);
    expect(a.rejects).toHaveLength(3000);
    expect(new Set(a.rejects.map((r) => r.reason))).toEqual(new Set(['bad_header']));
    expectSameBatches(a, b);
  });

  test('from a row in the middle (a resumed load): the same batches from there', async () => {
    const { inline: a, spark: b } = await both(configFor(), 'nyc.parquet', 700, 40_000, 2101);
    expect(a.drafts[0].src.firstRecord).toBe(2101);
    expect(a.drafts.reduce((n, d) => n + d.src.records, 0)).toBe(4999 - 2100);
    expectSameBatches(a, b);
  });

  test('a TIME column, which Spark cannot read, is refused by name before a job starts', async () => {
    const config = configFor(ALL_TYPES);
    const source = openSource(join(dir, 'time.parquet'), config);
    const [object] = await source.list();
    await source.probe([object]);
    logLines.length = 0;
    const err = await drainEngine(createSparkEngine(config, log), source, object, 500).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain('column "Closes" is a Parquet TIME');
    expect(logLines.some((l) => l.includes('spark job starting'))).toBe(false);
  });
});
