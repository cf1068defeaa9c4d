// The Spark engine against the pipeline it replaces, on one private MariaDB (1G buffer
// pool), the same synthetic CSV (43 columns, random key order, 1% bad rows):
//   (a) the 2018 method: spark-submit reads the CSV and appends it with Spark's JDBC writer
//       (bench/jdbc_baseline.py, MariaDB Connector/J) — no checkpoint, no idempotence;
//   (b) pipewarden, --engine spark: staged from the S3 server, transform.py, then the WAL +
//       dual-write sink (MySQL and the Redis mirror);
//   (c) pipewarden, --engine inline.
// Each writes into its own database; InnoDB is left to settle between runs (the machine is
// noisy: a load right after another is ~20% slower). Rates are input rows per wall-clock
// second, JVM start included for (a) and (b).
//
//   npx tsx bench/spark.ts [--rows 1000000] [--format csv|parquet] [--keep]
//
// --format parquet: the same rows written as Parquet by pyarrow (scripts/csv-to-parquet.py,
// row groups of 131,072 rows, snappy; the malformed rows left out), read by Spark's own
// Parquet reader in (a) and (b) and by the inline engine's in (c).
//
// Last line: RESULT {json}. Target: ratio_vs_spark_jdbc = (b) / (a) >= 1.5.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { connect, migrate, type Config, type Logger } from '@pipewarden/core';
import { REPO_ROOT, Stack } from '@pipewarden/stack';
import { generate } from '../loader/src/generate';
import { runLoad } from '../loader/src/load';
import { putFile } from '../loader/src/s3-admin';
import { createS3Client } from '../loader/src/source';
import { runSparkJdbcBaseline } from './spark-jdbc';
import { flag, runBench } from './lib';

const args = process.argv.slice(2);
const ROWS = flag(args, 'rows', 1_000_000);
const KEEP = args.includes('--keep');
const FORMAT = args.includes('--format') ? args[args.indexOf('--format') + 1] : 'csv';
if (FORMAT !== 'csv' && FORMAT !== 'parquet') throw new Error(`--format must be csv or parquet, not ${FORMAT}`);

const say = (msg: string) => process.stderr.write(`[bench:spark] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
/** Spark stage progress and warnings reach the console; per-batch chatter does not. */
const log: Logger = {
  debug() {},
  info: (m, f) => {
    if (/^spark (scan|transform|job)|stage finished|object staged/.test(m)) say(`  ${m} ${JSON.stringify(f ?? {})}`);
  },
  warn: (m, f) => say(`  warn ${m} ${JSON.stringify(f ?? {})}`),
  error: (m, f) => say(`  error ${m} ${JSON.stringify(f ?? {})}`),
  child: () => log,
};

async function query(config: Config, sql: string): Promise<RowDataPacket[]> {
  const c = await connect(config);
  try {
    const [rows] = await c.query<RowDataPacket[]>(sql);
    return rows;
  } finally {
    await c.end();
  }
}

/**
 * Wait until InnoDB has flushed what the previous run dirtied, so the next run starts on
 * a quiet server: dirty pages under 1% of the pool, or no longer falling for 5 s (the
 * background trickle of a fresh server), at most 90 s.
 */
async function settle(config: Config): Promise<void> {
  const end = Date.now() + 90_000;
  let best = Infinity;
  let bestAt = Date.now();
  while (Date.now() < end) {
    const rows = await query(config, "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_pages_dirty', 'Innodb_buffer_pool_pages_total')");
    const v = Object.fromEntries(rows.map((r) => [String(r.Variable_name), Number(r.Value)]));
    const dirty = v.Innodb_buffer_pool_pages_dirty;
    if (dirty <= v.Innodb_buffer_pool_pages_total * 0.01) return;
    if (dirty < best * 0.95) {
      best = dirty;
      bestAt = Date.now();
    } else if (Date.now() - bestAt > 5000) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  say('InnoDB still flushing after 90 s; going on');
}

function withDatabase(stack: Stack, db: string, engine: 'inline' | 'spark'): Config {
  const base = stack.config();
  const url = new URL(base.mysql.url);
  url.pathname = `/${db}`;
  return stack.config({ engine, 'mysql.url': url.toString(), 'wal.dir': join(stack.layout.dir, `wal-${db}`), 'redis.keyPrefix': `${db}:` });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-spark-'));
  const stack = await Stack.create({ dir, services: ['mariadb', 'redis', 's3'], bufferPool: '1G' });
  try {
    await stack.start();
    const file = join(dir, 'violations.csv');
    say(`generating ${ROWS} rows`);
    const gen = await generate(file, { rows: ROWS, seed: 2018 });
    let input = file;
    if (FORMAT === 'parquet') {
      input = join(dir, 'violations.parquet');
      say('writing it as Parquet (pyarrow)');
      execFileSync(join(REPO_ROOT, '.venv', 'bin', 'python'), [join(REPO_ROOT, 'scripts', 'csv-to-parquet.py'), '--row-group-rows', '131072', '--skip-invalid', file, input], { stdio: 'inherit' });
    }
    const bytes = statSync(input).size;
    const jdbc = withDatabase(stack, 'pw_jdbc', 'spark');
    const spark = withDatabase(stack, 'pw_spark', 'spark');
    const inline = withDatabase(stack, 'pw_inline', 'inline');
    for (const c of [jdbc, spark, inline]) await migrate(c);
    const source = `s3://${stack.layout.bucket}/bench/`;
    const s3 = createS3Client(inline);
    try {
      await putFile(s3, input, `${source}violations.${FORMAT}`);
    } finally {
      s3.destroy();
    }
    await settle(inline);

    say(`(a) Spark ${FORMAT} reader + JDBC writer, append (the 2018 method)`);
    const aSeconds = await runSparkJdbcBaseline(jdbc, { input, table: 'violations_2018', log });
    const [{ n: aRows }] = await query(jdbc, 'SELECT COUNT(*) AS n FROM violations_2018');
    say(`(a) ${aSeconds.toFixed(1)} s, ${aRows} rows written`);
    await settle(jdbc);

    say('(b) pipewarden --engine spark');
    const b = await runLoad(spark, { source, log });
    say(`(b) ${b.seconds.toFixed(1)} s, ${b.rows_loaded} loaded, ${b.rows_rejected} rejected, ${b.rows_duplicate} duplicate`);
    await settle(spark);

    say('(c) pipewarden --engine inline');
    const c = await runLoad(inline, { source, log });
    say(`(c) ${c.seconds.toFixed(1)} s, ${c.rows_loaded} loaded`);

    const [{ n: bTable }] = await query(spark, 'SELECT COUNT(*) AS n FROM violations');
    const [{ n: cTable }] = await query(inline, 'SELECT COUNT(*) AS n FROM violations');
    const rate = (s: number) => Math.round(ROWS / s);
    const result = {
      rows: ROWS,
      format: FORMAT,
      input_bytes: bytes,
      bad_rows: gen.bad,
      spark_jdbc: { seconds: +aSeconds.toFixed(2), rows_per_second: rate(aSeconds), rows_written: Number(aRows) },
      pipewarden_spark: { seconds: +b.seconds.toFixed(2), rows_per_second: rate(b.seconds), rows_loaded: b.rows_loaded, rows_rejected: b.rows_rejected, table_rows: Number(bTable) },
      pipewarden_inline: { seconds: +c.seconds.toFixed(2), rows_per_second: rate(c.seconds), rows_loaded: c.rows_loaded, rows_rejected: c.rows_rejected, table_rows: Number(cTable) },
      ratio_vs_spark_jdbc: +(aSeconds / b.seconds).toFixed(3),
      ratio_inline_vs_spark_jdbc: +(aSeconds / c.seconds).toFixed(3),
      ratio_spark_vs_inline: +(c.seconds / b.seconds).toFixed(3),
      same_table: Number(bTable) === Number(cTable),
      loadavg_1m: +loadavg()[0].toFixed(2),
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    await stack.stop().catch(() => undefined);
    if (!KEEP) rmSync(dir, { recursive: true, force: true });
    else say(`kept ${dir}`);
  }
}

runBench('spark', main);
