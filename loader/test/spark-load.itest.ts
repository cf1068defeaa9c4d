// `pipewarden load --engine spark` from an S3 server ends with the same MySQL tables as an
// inline load of the same objects (CSV, and Parquet read by Spark's own reader): the same
// rows, the same dead letters, the same batch ids in the ledger. A Spark job killed mid-load
// (on the Parquet object) stops the load with a clear error; the next run resumes from the
// checkpoint (objects already committed are not redone) and the tables end up identical. A
// second run changes nothing.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { DEFAULT_DATASET, connect, datasetOf, migrate, type Config } from '@pipewarden/core';
import { runLoad } from '../src/load';
import { generate } from '../src/generate';
import { putFile } from '../src/s3-admin';
import { createS3Client } from '../src/source';
import { createSparkEngine } from '../src/engine/spark';
import { SparkJobError } from '../src/engine/spark/process';
import { captureLogger, sparkSkipReason } from './helpers/spark-testkit';
import { REPO_ROOT } from '@pipewarden/stack';
import { startTestStack, SHARED_SAMPLE, type TestStack } from '../../test/helpers/stack';

jest.setTimeout(300_000);

const skip = sparkSkipReason();
if (skip) console.warn(`SKIPPED spark-load: ${skip}`);
const describeSpark = skip ? describe.skip : describe;

describeSpark('load with --engine spark from S3', () => {
  let stack: TestStack;
  let inline: Config;
  let spark: Config;
  let source: string;

  beforeAll(async () => {
    stack = await startTestStack();
    source = `s3://${stack.layout.bucket}/spark/`;
    const gen = join(stack.layout.dir, 'generated.csv');
    await generate(gen, { rows: 12000, seed: 21, badShare: 0.03, duplicateShare: 0.01, kaggle: true, crlf: true });
    // Parquet has no malformed records: pyarrow leaves out the rows with another field count.
    const genCsv = join(stack.layout.dir, 'generated-2.csv');
    const genParquet = join(stack.layout.dir, 'generated-2.parquet');
    await generate(genCsv, { rows: 9000, seed: 22, badShare: 0.03, duplicateShare: 0.01 });
    execFileSync(join(REPO_ROOT, '.venv', 'bin', 'python'), [join(REPO_ROOT, 'scripts', 'csv-to-parquet.py'), '--row-group-rows', '2500', '--skip-invalid', genCsv, genParquet], { stdio: 'pipe' });
    // Each engine loads into its own database, WAL and mirror prefix, from the same objects.
    // One batch in flight: with two, which copy of a duplicated summons number is kept
    // depends on which of two concurrent transactions commits first, in either engine.
    inline = stack.config({ 'batch.size': 1000, 'batch.pipelineDepth': 1, engine: 'inline' });
    const base = new URL(inline.mysql.url);
    base.pathname = '/pipewarden_spark';
    spark = stack.config({ 'batch.size': 1000, 'batch.pipelineDepth': 1, engine: 'spark', 'mysql.url': base.toString(), 'wal.dir': join(stack.layout.dir, 'wal-spark'), 'redis.keyPrefix': 'pws:' });
    await migrate(spark);
    const s3 = createS3Client(inline);
    try {
      await putFile(s3, SHARED_SAMPLE, `${source}a-sample.csv`);
      await putFile(s3, genParquet, `${source}b-generated.parquet`);
      await putFile(s3, gen, `${source}c-generated.csv`);
    } finally {
      s3.destroy();
    }
  });
  afterAll(() => stack?.cleanup());

  async function q(config: Config, sql: string): Promise<RowDataPacket[]> {
    const c = await connect(config);
    try {
      const [rows] = await c.query<RowDataPacket[]>(sql);
      return rows;
    } finally {
      await c.end();
    }
  }
  const checksum = async (c: Config) => String((await q(c, 'CHECKSUM TABLE violations'))[0].Checksum);
  /** Keys whose rows differ between the two databases (for a readable failure). */
  async function differingRows(): Promise<string[]> {
    const cols = datasetOf({ dataset: DEFAULT_DATASET }).columns.map((c) => `IFNULL(\`${c.name}\`, '<null>')`).join(', ');
    const rows = async (c: Config) => new Map((await q(c, `SELECT summons_number AS k, CONCAT_WS('|', ${cols}) AS v FROM violations`)).map((r) => [String(r.k), String(r.v)]));
    const a = await rows(inline);
    const b = await rows(spark);
    const diff: string[] = [];
    for (const [k, v] of a) if (b.get(k) !== v) diff.push(`${k}: inline ${v} / spark ${b.get(k)}`);
    for (const k of b.keys()) if (!a.has(k)) diff.push(`${k}: only in spark`);
    return diff.slice(0, 5);
  }
  const deadLetters = (c: Config) => q(c, 'SELECT batch_id, line_number, source_key, reason, detail, HEX(raw) AS raw FROM dead_letters ORDER BY batch_id, line_number');
  const ledger = (c: Config) => q(c, 'SELECT batch_id, source_key, first_record, record_count, rows_kept, rows_inserted, rows_duplicate, rows_rejected, key_checksum FROM batch_ledger ORDER BY batch_id');

  test('same tables as the inline load, after a killed Spark job and a resume; a rerun changes nothing', async () => {
    const a = await runLoad(inline, { source, log: captureLogger().log });
    expect(a.rows_in).toBeGreaterThan(4999 + 12000 + 8000); // the Parquet copy lacks the malformed rows
    expect(a.balanced).toBe(true);

    // First attempt: kill the Spark job of the second object (the Parquet one) as soon as it runs tasks.
    const { log, lines } = captureLogger();
    let jobs = 0;
    let pid = 0;
    const killing = createSparkEngine(spark, log, {
      onJobStart: (p) => {
        jobs++;
        pid = p;
      },
      onProgress: () => {
        if (jobs === 2 && pid) {
          process.kill(pid, 'SIGKILL');
          pid = 0;
        }
      },
    });
    const err = await runLoad(spark, { source, log, engine: killing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkJobError);
    expect((err as Error).message).toMatch(/Spark job (was killed by SIGKILL|exited with code)/);
    const [{ n: afterKill }] = await q(spark, 'SELECT COUNT(*) AS n FROM violations');
    const [{ n: sampleRows }] = await q(inline, "SELECT COUNT(*) AS n FROM batch_ledger WHERE source_key LIKE '%a-sample.csv'");
    expect(Number(afterKill)).toBeGreaterThan(0); // the first object was committed
    expect(Number(sampleRows)).toBeGreaterThan(0);

    // Resume with the engine the loader picks for config.engine === 'spark'.
    lines.length = 0;
    const seen: { read: number; total: number }[] = [];
    const b = await runLoad(spark, { source, log, onProgress: (p) => seen.push({ read: p.bytesRead, total: p.bytesTotal }) });
    expect(lines.filter((l) => l.includes('spark job starting'))).toHaveLength(2); // only the unfinished objects ran: the Parquet one again, and the last
    // The progress bar moves with Spark batches too, and ends at the input's size.
    const reads = seen.map((x) => x.read);
    expect(reads).toEqual([...reads].sort((x, y) => x - y));
    expect(reads[reads.length - 1]).toBe(seen[0].total);
    expect(b).toMatchObject({ engine: 'spark', rows_in: a.rows_in, rows_loaded: a.rows_loaded, rows_rejected: a.rows_rejected, rows_duplicate: a.rows_duplicate, balanced: true });
    expect(await differingRows()).toEqual([]);
    expect(await checksum(spark)).toBe(await checksum(inline));
    expect(await deadLetters(spark)).toEqual(await deadLetters(inline));
    expect(await ledger(spark)).toEqual(await ledger(inline));

    // Running it again changes nothing.
    const before = await checksum(spark);
    const c = await runLoad(spark, { source, log });
    expect(c.batches_committed).toBe(0);
    expect(await checksum(spark)).toBe(before);
  });
});
