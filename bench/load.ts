// The load benchmark (issue "Loader"): generator data prepared once, then in one run on the
// same private MariaDB, interleaved per round so noise falls on all alike:
//   (1) raw LOAD DATA LOCAL INFILE of the prepared CSV (the practical limit),
//   (2) a naive dual writer: csv-parse, 1000-row INSERT + one XADD per row, one connection,
//   (3) pipewarden's full pipeline (`pipewarden load`, WAL + Redis mirror), as its own process.
//
//   npm run bench:load -- [--rows 1000000] [--rounds 3] [--phases load-data,naive,pipewarden]
//
// (`--rows 10000000 --rounds 1 --phases pipewarden` checks memory at 10M rows without the
// naive writer's quarter of an hour.)
//
// Last line: RESULT {json}. Target: ratio_vs_load_data >= 0.8, peak RSS <= 256 MB.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse';
import { COLUMNS, COLUMN_NAMES, OddityCounter, connect, createRedis, mapHeader, migrate, normalizeRecord, type Config } from '@pipewarden/core';
import { generate } from '@pipewarden/loader';
import { Stack, REPO_ROOT } from '@pipewarden/stack';
import { flag, log, median, peakRss, settleInnoDb } from './lib';

const args = process.argv.slice(2);
const ROWS = flag(args, 'rows', 1_000_000);
const ROUNDS = flag(args, 'rounds', 3);
const pi = args.indexOf('--phases');
const PHASES = new Set((pi >= 0 ? args[pi + 1] : 'load-data,naive,pipewarden').split(','));
const say = (m: string) => log('load', m);

async function resetTables(stack: Stack, config: Config): Promise<void> {
  await stack.resetData(config);
}

/** (1) LOAD DATA of the CSV into a table of the same columns and keys (text columns: no conversion). */
async function rawLoadData(config: Config, file: string): Promise<number> {
  const c = await connect(config);
  const cols = COLUMNS.map((x) => (x.type === 'key' ? '`summons_number` BIGINT UNSIGNED NOT NULL' : `\`${x.column}\` VARCHAR(100) NULL`)).join(', ');
  await c.query('DROP TABLE IF EXISTS bench_raw');
  await c.query(`CREATE TABLE bench_raw (${cols}, PRIMARY KEY (summons_number), KEY (issue_date), KEY (violation_precinct), KEY (violation_code)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  await settleInnoDb(c);
  const t = process.hrtime.bigint();
  await c.query({
    sql: `LOAD DATA LOCAL INFILE 'bench.csv' IGNORE INTO TABLE bench_raw CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED BY '\\n' IGNORE 1 LINES (${COLUMN_NAMES.map((n) => `\`${n}\``).join(', ')})`,
    infileStreamFactory: () => createReadStream(file),
  });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  await c.query('DROP TABLE bench_raw');
  await c.end();
  return ROWS / secs;
}

/** (2) What one writes first: parse, INSERT 1000 rows at a time, XADD each row as fields. */
async function naiveDualWrite(config: Config, file: string): Promise<number> {
  const c = await connect(config);
  await settleInnoDb(c);
  const redis = createRedis(config, { role: 'bench' });
  const t = process.hrtime.bigint();
  let header: ReturnType<typeof mapHeader> | undefined;
  let batch: unknown[][] = [];
  const odd = new OddityCounter();
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    const pipe = redis.pipeline();
    for (const r of rows) pipe.xadd('naive:mirror', '*', ...COLUMN_NAMES.flatMap((n, i) => [n, r[i] === null ? '' : String(r[i])]));
    await Promise.all([c.query(`INSERT IGNORE INTO violations (${COLUMN_NAMES.join(', ')}) VALUES ?`, [rows]), pipe.exec()]);
  };
  for await (const rec of createReadStream(file).pipe(parse({ relax_column_count: true, relax_quotes: true, skip_records_with_error: true }))) {
    if (!header) {
      header = mapHeader(rec as string[]);
      continue;
    }
    const res = normalizeRecord(rec as string[], header, odd);
    if (!res.ok) continue;
    batch.push(res.values);
    if (batch.length >= 1000) await flush();
  }
  await flush();
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  await c.end();
  redis.disconnect();
  return ROWS / secs;
}

/** (3) pipewarden load as users run it; rows/s from its own summary, RSS and Redis memory sampled. */
async function pipewarden(stack: Stack, config: Config, file: string): Promise<{ rowsPerSec: number; rss: number; redis: number }> {
  const c = await connect(config);
  await settleInnoDb(c);
  await c.end();
  const redis = createRedis(config, { role: 'bench' });
  const child = spawn(join(REPO_ROOT, 'cli', 'bin', 'pipewarden.cjs'), ['load', '--source', file, '--json', '--no-progress'], {
    env: { ...process.env, ...stack.env, PIPEWARDEN_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  let rss = 0;
  let redisPeak = 0;
  const timer = setInterval(async () => {
    rss = Math.max(rss, peakRss(child.pid!));
    const info = await redis.info('memory').catch(() => '');
    redisPeak = Math.max(redisPeak, Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0));
  }, 200);
  const code: number = await new Promise((r) => child.on('exit', (c2) => r(c2 ?? 1)));
  clearInterval(timer);
  redis.disconnect();
  if (code !== 0) throw new Error(`pipewarden load exited with ${code}`);
  const summary = JSON.parse(out.trim().split('\n').pop()!);
  if (!summary.balanced || summary.rows_in !== ROWS) throw new Error(`unexpected summary ${out}`);
  return { rowsPerSec: ROWS / summary.seconds, rss, redis: redisPeak };
}

(async () => {
  const dataDir = resolve(REPO_ROOT, 'bench', '.data');
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, `violations-${ROWS}.csv`);
  if (!existsSync(file)) {
    say(`generating ${ROWS} rows`);
    await generate(file, { rows: ROWS, seed: 42, badShare: 0.001, duplicateShare: 0.001 });
  }
  say(`data: ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB)`);
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-load-'));
  const stack = await Stack.create({ dir, services: ['mariadb', 'redis'], bufferPool: '1G' });
  await stack.start();
  const config = stack.config();
  await migrate(config);
  const ld: number[] = [];
  const nv: number[] = [];
  const pw: number[] = [];
  let rss = 0;
  let redisPeak = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Rotate the order each round so no phase always runs right after another's flush.
      const phases = [
        async () => {
          if (!PHASES.has('load-data')) return;
          await resetTables(stack, config);
          ld.push(await rawLoadData(config, file));
          say(`round ${round}: LOAD DATA ${ld[ld.length - 1].toFixed(0)} rows/s`);
        },
        async () => {
          if (!PHASES.has('naive')) return;
          await resetTables(stack, config);
          nv.push(await naiveDualWrite(config, file));
          say(`round ${round}: naive dual write ${nv[nv.length - 1].toFixed(0)} rows/s`);
        },
        async () => {
          if (!PHASES.has('pipewarden')) return;
          await resetTables(stack, config);
          const r = await pipewarden(stack, config, file);
          pw.push(r.rowsPerSec);
          rss = Math.max(rss, r.rss);
          redisPeak = Math.max(redisPeak, r.redis);
          say(`round ${round}: pipewarden ${r.rowsPerSec.toFixed(0)} rows/s, peak RSS ${(r.rss / 2 ** 20).toFixed(0)} MB, Redis ${(r.redis / 2 ** 20).toFixed(0)} MB`);
        },
      ];
      for (let i = 0; i < phases.length; i++) await phases[(i + round - 1) % phases.length]();
    }
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (xs: number[]) => (xs.length ? median(xs) : NaN);
  const result = {
    rows: ROWS,
    rounds: ROUNDS,
    load_data_rows_per_s: Math.round(med(ld)) || null,
    naive_dual_write_rows_per_s: Math.round(med(nv)) || null,
    pipewarden_rows_per_s: Math.round(med(pw)) || null,
    ratio_vs_load_data: +(med(pw) / med(ld)).toFixed(3) || null,
    ratio_vs_naive: +(med(pw) / med(nv)).toFixed(2) || null,
    peak_rss_mb: Math.round(rss / 2 ** 20),
    peak_redis_mb: Math.round(redisPeak / 2 ** 20),
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
})().catch((e) => {
  process.stderr.write(`bench:load failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
