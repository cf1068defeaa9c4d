// The load benchmark (issue "Loader"): generator data prepared once per dataset, then in one
// run on the same private MariaDB, interleaved per round so noise falls on all alike:
//   (1) raw LOAD DATA LOCAL INFILE of the prepared CSV (the practical limit) into a table with
//       the dataset's key and indexes and text columns (no conversion),
//   (2) a naive dual writer: csv-parse, 1000-row INSERT + one XADD per row, one connection,
//   (3) pipewarden's full pipeline (`pipewarden load`, WAL + Redis mirror), as its own process.
// Two datasets by default, so speed is not tuned to one file: NYC parking violations (43
// columns, mostly short text and integers) and the NYC 311 fixture's spec (31 columns,
// datetimes and decimals, `duplicates: last`: the upsert path), both made by the generator.
//
//   npm run bench:load -- [--rows 1000000] [--rounds 3] [--phases load-data,naive,pipewarden]
//                         [--datasets nyc,311] (a name below, or a spec path)
//
// (`--rows 10000000 --rounds 1 --phases pipewarden --datasets nyc` checks memory at 10M rows
// without the naive writer's quarter of an hour.)
//
// Last line: RESULT {json}: the NYC figures at the top level (as before), every dataset's
// under `datasets`. Target: ratio_vs_load_data >= 0.8, peak RSS <= 256 MB.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse';
import { columnDefinition, connect, createRedis, datasetOf, migrate, readSpec, rulesFor, type Config, type HeaderMap, type ResolvedSpec } from '@pipewarden/core';
import { generate } from '@pipewarden/loader';
import { Stack, REPO_ROOT } from '@pipewarden/stack';
import { flag, log, median, peakRss, settleInnoDb } from './lib';

const args = process.argv.slice(2);
const ROWS = flag(args, 'rows', 1_000_000);
const ROUNDS = flag(args, 'rounds', 3);
const pi = args.indexOf('--phases');
const PHASES = new Set((pi >= 0 ? args[pi + 1] : 'load-data,naive,pipewarden').split(','));
const di = args.indexOf('--datasets');
const DATASETS = (di >= 0 ? args[di + 1] : 'nyc,311').split(',');
const say = (m: string) => log('load', m);

/** The benchmark's datasets by short name; anything else is a spec reference. */
const NAMED: Record<string, string> = {
  nyc: 'builtin:nyc-parking-violations',
  '311': resolve(REPO_ROOT, 'data', 'datasets', 'nyc-311-animal-complaints', 'spec.yaml'),
};
const q = (n: string) => `\`${n}\``;

/** The CSV's header line (the generator writes one line of plain names). */
async function headerOf(file: string): Promise<string[]> {
  for await (const rec of createReadStream(file).pipe(parse({ to_line: 1 }))) return rec as string[];
  throw new Error(`${file} is empty`);
}

/** (1) LOAD DATA of the CSV into a table of the same key and indexes, text columns (no conversion). */
async function rawLoadData(config: Config, spec: ResolvedSpec, file: string): Promise<number> {
  const c = await connect(config);
  const rules = rulesFor(spec);
  // Key columns with the dataset's own types (as before: NYC's summons number a BIGINT), the
  // rest text at least 100 wide (NYC's widest column: the same table as before datasets).
  const cols = spec.columns.map((x) => (x.key ? columnDefinition(x) : `${q(x.name)} VARCHAR(${Math.max(100, 'maxLength' in x ? x.maxLength : 0)}) NULL`));
  const keys = [...(spec.key.length ? [`PRIMARY KEY (${spec.key.map(q).join(', ')})`] : []), ...spec.indexes.map((ix) => `KEY (${ix.map(q).join(', ')})`)];
  await c.query('DROP TABLE IF EXISTS bench_raw');
  await c.query(`CREATE TABLE bench_raw (${[...cols, ...keys].join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  await settleInnoDb(c);
  // Fields in the file's order: spec columns by header, anything else into a user variable.
  const map = rules.mapHeader(await headerOf(file));
  const targets = Array.from({ length: map.fieldCount }, (_, f) => {
    const i = map.fieldIndex.indexOf(f);
    return i < 0 ? '@skip' : q(rules.columnNames[i]);
  });
  const t = process.hrtime.bigint();
  await c.query({
    sql: `LOAD DATA LOCAL INFILE 'bench.csv' IGNORE INTO TABLE bench_raw CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED BY '\\n' IGNORE 1 LINES (${targets.join(', ')})`,
    infileStreamFactory: () => createReadStream(file),
  });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  await c.query('DROP TABLE bench_raw');
  await c.end();
  return ROWS / secs;
}

/** (2) What one writes first: parse, INSERT 1000 rows at a time, XADD each row as fields. */
async function naiveDualWrite(config: Config, spec: ResolvedSpec, file: string): Promise<number> {
  const rules = rulesFor(spec);
  const names = rules.columnNames;
  const c = await connect(config);
  await settleInnoDb(c);
  const redis = createRedis(config, { role: 'bench' });
  const t = process.hrtime.bigint();
  let header: HeaderMap | undefined;
  let batch: unknown[][] = [];
  const odd = rules.newOddities();
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    const pipe = redis.pipeline();
    for (const r of rows) pipe.xadd('naive:mirror', '*', ...names.flatMap((n, i) => [n, r[i] === null ? '' : String(r[i])]));
    await Promise.all([c.query(`INSERT IGNORE INTO ${q(spec.table)} (${names.map(q).join(', ')}) VALUES ?`, [rows]), pipe.exec()]);
  };
  for await (const rec of createReadStream(file).pipe(parse({ relax_column_count: true, relax_quotes: true, skip_records_with_error: true }))) {
    if (!header) {
      header = rules.mapHeader(rec as string[]);
      continue;
    }
    const res = rules.normalizeRecord(rec as string[], header, odd);
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
    env: { ...process.env, ...stack.env, PIPEWARDEN_DATASET: config.dataset, PIPEWARDEN_LOG_LEVEL: 'warn' },
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

interface DatasetResult {
  dataset: string;
  load_data_rows_per_s: number | null;
  naive_dual_write_rows_per_s: number | null;
  pipewarden_rows_per_s: number | null;
  ratio_vs_load_data: number | null;
  ratio_vs_naive: number | null;
  peak_rss_mb: number;
  peak_redis_mb: number;
}

/** One dataset's rounds on the running stack. */
async function benchDataset(stack: Stack, name: string): Promise<DatasetResult> {
  const config = stack.config({ dataset: NAMED[name] ?? resolve(name) });
  const spec = datasetOf(config);
  const dataDir = resolve(REPO_ROOT, 'bench', '.data');
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, `${spec.name}-${ROWS}.csv`);
  if (!existsSync(file)) {
    say(`generating ${ROWS} rows of ${spec.name}`);
    await generate(file, { spec: readSpec(config.dataset), rows: ROWS, seed: 42, badShare: 0.001, duplicateShare: 0.001 });
  }
  say(`data: ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB)`);
  await migrate(config);
  const ld: number[] = [];
  const nv: number[] = [];
  const pw: number[] = [];
  let rss = 0;
  let redisPeak = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    // Rotate the order each round so no phase always runs right after another's flush.
    const phases = [
      async () => {
        if (!PHASES.has('load-data')) return;
        await stack.resetData(config);
        ld.push(await rawLoadData(config, spec, file));
        say(`${spec.name} round ${round}: LOAD DATA ${ld[ld.length - 1].toFixed(0)} rows/s`);
      },
      async () => {
        if (!PHASES.has('naive')) return;
        await stack.resetData(config);
        nv.push(await naiveDualWrite(config, spec, file));
        say(`${spec.name} round ${round}: naive dual write ${nv[nv.length - 1].toFixed(0)} rows/s`);
      },
      async () => {
        if (!PHASES.has('pipewarden')) return;
        await stack.resetData(config);
        const r = await pipewarden(stack, config, file);
        pw.push(r.rowsPerSec);
        rss = Math.max(rss, r.rss);
        redisPeak = Math.max(redisPeak, r.redis);
        say(`${spec.name} round ${round}: pipewarden ${r.rowsPerSec.toFixed(0)} rows/s, peak RSS ${(r.rss / 2 ** 20).toFixed(0)} MB, Redis ${(r.redis / 2 ** 20).toFixed(0)} MB`);
      },
    ];
    for (let i = 0; i < phases.length; i++) await phases[(i + round - 1) % phases.length]();
  }
  const med = (xs: number[]) => (xs.length ? median(xs) : NaN);
  return {
    dataset: spec.name,
    load_data_rows_per_s: Math.round(med(ld)) || null,
    naive_dual_write_rows_per_s: Math.round(med(nv)) || null,
    pipewarden_rows_per_s: Math.round(med(pw)) || null,
    ratio_vs_load_data: +(med(pw) / med(ld)).toFixed(3) || null,
    ratio_vs_naive: +(med(pw) / med(nv)).toFixed(2) || null,
    peak_rss_mb: Math.round(rss / 2 ** 20),
    peak_redis_mb: Math.round(redisPeak / 2 ** 20),
  };
}

(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-load-'));
  const stack = await Stack.create({ dir, services: ['mariadb', 'redis'], bufferPool: '1G' });
  await stack.start();
  const results: DatasetResult[] = [];
  try {
    for (const name of DATASETS) results.push(await benchDataset(stack, name));
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const [first] = results;
  const { dataset: _name, ...top } = first;
  process.stdout.write(`RESULT ${JSON.stringify({ rows: ROWS, rounds: ROUNDS, ...top, datasets: results })}\n`);
})().catch((e) => {
  process.stderr.write(`bench:load failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
