// The load benchmark (issues "Loader" and 16): generator data prepared once per dataset and
// key order, then, on one private MariaDB sized like a production server for this machine
// (scripts/src/server-sizing.ts, as `pipewarden up`), interleaved per round so noise falls on all alike:
//   ceiling    LOAD DATA LOCAL INFILE of the rows pipewarden would write, already typed (its
//              own TSV, made once by the inline engine), in the source's row order, into the
//              dataset's own table (same key, indexes and server): the physical limit for
//              this schema. pipewarden ÷ this = ratio_vs_ceiling.
//   ceiling-deferred  the same LOAD DATA into the table without its secondary indexes, then
//              one ALTER TABLE adding them, timed together: the limit of what pipewarden does
//              for an initial load (core/src/db/deferred-indexes.ts) = ratio_vs_ceiling_deferred.
//   load-data  raw LOAD DATA of the CSV into a table of the same key and indexes with text
//              columns (no conversion), the practical limit of issue "Loader"; up to 1M rows
//              (beyond, its untyped table is a different workload, and the ceiling says more).
//   naive      csv-parse, 1000-row INSERT + one XADD per row on one connection; up to 1M rows
//              (it takes a quarter of an hour per million), first dataset and order only.
//   pipewarden `pipewarden load` as users run it (WAL + Redis mirror), as its own process.
// For the ceiling and pipewarden, rows/s per million rows as the table grows (InnoDB's own
// rows-inserted counter, sampled every 250 ms), so a collapse at size is visible.
// Key orders (loader/src/key-order.ts): source-like (the real export's runs) and shuffled.
//
//   npm run bench:load -- [--rows 1000000] [--rounds 3] [--phases ceiling,load-data,naive,pipewarden]
//                         [--datasets nyc,311] [--orders source-like,shuffled] [--buffer-pool 12G]
//                         [--format csv|gz|zst|bz2|parquet]   (what pipewarden reads; the baselines read the CSV)
//   npm run bench:load -- --rows 9100000 --rounds 1 --datasets nyc --orders source-like
//                         (the whole FY2014 size: about 10 minutes here, most of it generating)
//
// Last line: RESULT {json}: the first dataset's first order at the top level, every case under
// `cases`. Targets (issue 16): ratio_vs_ceiling >= 0.9; the last million within 1.5x of the
// first; peak RSS <= 256 MB.
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse';
import { buildMissingIndexes, columnDefinition, connect, createRedis, datasetOf, indexName, migrate, readSpec, rowWriter, rulesFor, type Config, type HeaderMap, type ResolvedSpec } from '@pipewarden/core';
import { generate, InlineEngine, KEY_ORDERS, openSource, type KeyOrder } from '@pipewarden/loader';
import { Stack, REPO_ROOT, serverSizing } from '@pipewarden/stack';
import { flag, log, median, peakRss, settleInnoDb } from './lib';
import { InsertRate, type MillionRate } from './insert-rate';

const args = process.argv.slice(2);
const option = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const ROWS = flag(args, 'rows', 1_000_000);
const ROUNDS = flag(args, 'rounds', 3);
const PHASES = new Set(option('phases', 'ceiling,ceiling-deferred,load-data,naive,pipewarden').split(','));
const DATASETS = option('datasets', 'nyc,311').split(',');
const ORDERS = option('orders', 'source-like,shuffled').split(',') as KeyOrder[];
const BUFFER_POOL = option('buffer-pool', '');
/** What pipewarden reads (issue 18): the CSV as it is, or compressed by the reference tool; the baselines read the plain CSV. */
const FORMATS = { csv: '', gz: 'gzip', zst: 'zstd -q', bz2: 'bzip2', parquet: '' } as const;
const FORMAT = option('format', 'csv') as keyof typeof FORMATS;
if (!(FORMAT in FORMATS)) throw new Error(`--format: ${FORMAT} is none of ${Object.keys(FORMATS).join(', ')}`);
/** The raw and naive baselines stop here (see the header). */
const SMALL = 1_000_000;
const say = (m: string) => log('load', m);
for (const o of ORDERS) if (!KEY_ORDERS.includes(o)) throw new Error(`--orders: ${o} is none of ${KEY_ORDERS.join(', ')}`);

/** The benchmark's datasets by short name; anything else is a spec reference. */
const NAMED: Record<string, string> = {
  nyc: 'builtin:nyc-parking-violations',
  '311': resolve(REPO_ROOT, 'data', 'datasets', 'nyc-311-animal-complaints', 'spec.yaml'),
};
const q = (n: string) => `\`${n}\``;
const DATA_DIR = resolve(REPO_ROOT, 'bench', '.data');

/** The CSV's header line (the generator writes one line of plain names). */
async function headerOf(file: string): Promise<string[]> {
  for await (const rec of createReadStream(file).pipe(parse({ to_line: 1 }))) return rec as string[];
  throw new Error(`${file} is empty`);
}

/** Files are made once per (dataset, rows, order) and kept in bench/.data. */
async function prepare(config: Config, spec: ResolvedSpec, order: KeyOrder): Promise<{ csv: string; tsv: string }> {
  mkdirSync(DATA_DIR, { recursive: true });
  const base = join(DATA_DIR, `${spec.name}-${ROWS}-${order}`);
  const csv = `${base}.csv`;
  if (!existsSync(csv)) {
    say(`generating ${ROWS} rows of ${spec.name}, keys ${order}`);
    await generate(`${csv}.tmp`, { spec: readSpec(config.dataset), rows: ROWS, seed: 42, badShare: 0.001, duplicateShare: 0.001, keyOrder: order });
    renameSync(`${csv}.tmp`, csv);
  }
  const tsv = `${base}.tsv`;
  if (!existsSync(tsv)) {
    say(`writing the typed rows of ${csv} (the ceiling's input)`);
    const engine = new InlineEngine(rulesFor(spec));
    const source = openSource(csv, config);
    const [obj] = await source.list();
    const out = createWriteStream(`${tsv}.tmp`);
    for await (const d of engine.batches(source, obj, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 50_000 }, new AbortController().signal)) {
      if (!out.write(d.tsv)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    renameSync(`${tsv}.tmp`, tsv);
  }
  return { csv, tsv };
}

/** Time `work` with InnoDB's insert counter sampled alongside (per-million rates). */
async function timed(config: Config, rows: number, work: () => Promise<void>): Promise<{ rowsPerSec: number; curve: MillionRate[]; afterLastRow: number }> {
  const rate = await InsertRate.start(config, rows);
  const t = process.hrtime.bigint();
  try {
    await work();
  } finally {
    await rate.stop();
  }
  return { rowsPerSec: rows / (Number(process.hrtime.bigint() - t) / 1e9), curve: rate.curve(), afterLastRow: rate.afterLastRow() };
}

/** Ceiling: LOAD DATA of the typed rows, in source order, into the dataset's table. */
async function ceiling(config: Config, spec: ResolvedSpec, tsv: string): Promise<{ rowsPerSec: number; curve: MillionRate[]; afterLastRow: number }> {
  const c = await connect(config);
  try {
    await settleInnoDb(c);
    return await timed(config, ROWS, async () => {
      await c.query({ sql: rowWriter(spec).load, infileStreamFactory: () => createReadStream(tsv), timeout: 0 });
    });
  } finally {
    await c.end();
  }
}

/** The ceiling with the secondary indexes built after the data, in one ALTER TABLE (the build inside the time). */
async function ceilingDeferred(config: Config, spec: ResolvedSpec, tsv: string): Promise<number> {
  const c = await connect(config);
  try {
    if (spec.indexes.length > 0) await c.query(`ALTER TABLE ${q(spec.table)} ${spec.indexes.map((ix) => `DROP INDEX ${q(indexName(ix))}`).join(', ')}`);
    await settleInnoDb(c);
    const t = process.hrtime.bigint();
    await c.query({ sql: rowWriter(spec).load, infileStreamFactory: () => createReadStream(tsv), timeout: 0 });
    await buildMissingIndexes(c, spec);
    return ROWS / (Number(process.hrtime.bigint() - t) / 1e9);
  } finally {
    await c.end();
  }
}

/** Raw LOAD DATA of the CSV into a table of the same key and indexes, text columns (no conversion). */
async function rawLoadData(config: Config, spec: ResolvedSpec, file: string): Promise<number> {
  const c = await connect(config);
  const rules = rulesFor(spec);
  // Key columns with the dataset's own types (NYC's summons number a BIGINT), the rest text
  // at least 100 wide (NYC's widest column: the same table as before datasets).
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
    timeout: 0,
  });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  await c.query('DROP TABLE bench_raw');
  await c.end();
  return ROWS / secs;
}

/** What one writes first: parse, INSERT 1000 rows at a time, XADD each row as fields. */
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

/** The CSV in --format, made once beside it (bench/.data). */
function encodedCopy(csv: string): string {
  if (FORMAT === 'csv') return csv;
  const out = `${csv}.${FORMAT}`;
  if (!existsSync(out)) {
    // Parquet by pyarrow (snappy, its default row groups of 1Mi rows), the malformed CSV rows left out (Parquet cannot hold them).
    if (FORMAT === 'parquet') execFileSync(join(REPO_ROOT, '.venv', 'bin', 'python'), [join(REPO_ROOT, 'scripts', 'csv-to-parquet.py'), csv, `${out}.part`, '--skip-invalid'], { stdio: 'inherit' });
    else execFileSync('sh', ['-c', `${FORMATS[FORMAT]} -c < "$1" > "$2.part"`, 'sh', csv, out]);
    renameSync(`${out}.part`, out);
  }
  return out;
}

/** pipewarden load as users run it; rows/s from its own summary, RSS and Redis memory sampled. */
async function pipewarden(stack: Stack, config: Config, file: string): Promise<{ rowsPerSec: number; curve: MillionRate[]; afterLastRow: number; rss: number; redis: number }> {
  const c = await connect(config);
  await settleInnoDb(c);
  await c.end();
  const redis = createRedis(config, { role: 'bench' });
  let out = '';
  let rss = 0;
  let redisPeak = 0;
  const { curve, afterLastRow } = await timed(config, ROWS, async () => {
    const child = spawn(join(REPO_ROOT, 'cli', 'bin', 'pipewarden.cjs'), ['load', '--source', file, '--json', '--no-progress'], {
      env: { ...process.env, ...stack.env, PIPEWARDEN_DATASET: config.dataset, PIPEWARDEN_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (d) => (out += d));
    const timer = setInterval(async () => {
      rss = Math.max(rss, peakRss(child.pid!));
      const info = await redis.info('memory').catch(() => '');
      redisPeak = Math.max(redisPeak, Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0));
    }, 200);
    const code: number = await new Promise((r) => child.on('exit', (c2) => r(c2 ?? 1)));
    clearInterval(timer);
    if (code !== 0) throw new Error(`pipewarden load exited with ${code}`);
  });
  redis.disconnect();
  const summary = JSON.parse(out.trim().split('\n').pop()!);
  // A Parquet copy lacks the CSV's malformed rows (csv-to-parquet.py --skip-invalid leaves them out).
  const expected = FORMAT === 'parquet' ? Math.round(ROWS * 0.999) : ROWS;
  if (!summary.balanced || (FORMAT === 'parquet' ? Math.abs(summary.rows_in - expected) > ROWS * 0.001 : summary.rows_in !== ROWS)) throw new Error(`unexpected summary ${out}`);
  return { rowsPerSec: summary.rows_in / summary.seconds, curve, afterLastRow, rss, redis: redisPeak };
}

interface CaseResult {
  dataset: string;
  key_order: KeyOrder;
  /** What pipewarden read: the CSV, or it compressed (--format). */
  format: string;
  pipewarden_rows_per_s: number | null;
  ceiling_rows_per_s: number | null;
  ceiling_deferred_rows_per_s: number | null;
  load_data_rows_per_s: number | null;
  naive_dual_write_rows_per_s: number | null;
  ratio_vs_ceiling: number | null;
  ratio_vs_ceiling_deferred: number | null;
  ratio_vs_load_data: number | null;
  ratio_vs_naive: number | null;
  /** The last whole million's rows/s over the first's (1 = no slowdown as the table grows). */
  pipewarden_last_vs_first_million: number | null;
  /** Seconds after pipewarden's last row went in: building the deferred indexes, the last proofs. */
  pipewarden_after_last_row_s: number | null;
  pipewarden_curve: MillionRate[];
  ceiling_curve: MillionRate[];
  peak_rss_mb: number;
  peak_redis_mb: number;
}

const med = (xs: number[]) => (xs.length ? median(xs) : NaN);
const ratio = (a: number, b: number, digits = 3) => (Number.isFinite(a / b) ? +(a / b).toFixed(digits) : null);

/** One dataset and key order: its rounds on the running stack. */
async function benchCase(stack: Stack, name: string, order: KeyOrder, first: boolean): Promise<CaseResult> {
  const config = stack.config({ dataset: NAMED[name] ?? resolve(name) });
  const spec = datasetOf(config);
  await migrate(config);
  const { csv, tsv } = await prepare(config, spec, order);
  say(`${spec.name}, keys ${order}: ${csv} (${(statSync(csv).size / 1e6).toFixed(0)} MB)`);
  const runs = { ceiling: [] as number[], deferred: [] as number[], raw: [] as number[], naive: [] as number[], pw: [] as number[] };
  let pwCurve: MillionRate[] = [];
  let pwAfter: number | null = null;
  let ceilingCurve: MillionRate[] = [];
  let rss = 0;
  let redisPeak = 0;
  const label = (round: number) => `${spec.name} ${order} round ${round}`;
  const phases: Array<[string, (round: number) => Promise<void>]> = [
    ['ceiling', async (round) => {
      const r = await ceiling(config, spec, tsv);
      runs.ceiling.push(r.rowsPerSec);
      ceilingCurve = r.curve;
      say(`${label(round)}: ceiling (typed LOAD DATA) ${r.rowsPerSec.toFixed(0)} rows/s`);
    }],
    ['ceiling-deferred', async (round) => {
      runs.deferred.push(await ceilingDeferred(config, spec, tsv));
      say(`${label(round)}: ceiling with indexes built after the data ${runs.deferred[runs.deferred.length - 1].toFixed(0)} rows/s`);
    }],
    ['load-data', async (round) => {
      if (ROWS > SMALL) return;
      runs.raw.push(await rawLoadData(config, spec, csv));
      say(`${label(round)}: raw LOAD DATA ${runs.raw[runs.raw.length - 1].toFixed(0)} rows/s`);
    }],
    ['naive', async (round) => {
      if (ROWS > SMALL || !first) return;
      runs.naive.push(await naiveDualWrite(config, spec, csv));
      say(`${label(round)}: naive dual write ${runs.naive[runs.naive.length - 1].toFixed(0)} rows/s`);
    }],
    ['pipewarden', async (round) => {
      const r = await pipewarden(stack, config, encodedCopy(csv));
      runs.pw.push(r.rowsPerSec);
      pwCurve = r.curve;
      pwAfter = r.afterLastRow;
      rss = Math.max(rss, r.rss);
      redisPeak = Math.max(redisPeak, r.redis);
      say(`${label(round)}: pipewarden ${r.rowsPerSec.toFixed(0)} rows/s, per million ${r.curve.map((m) => m.rows_per_s).join(' ')}, ${r.afterLastRow} s after the last row, peak RSS ${(r.rss / 2 ** 20).toFixed(0)} MB`);
    }],
  ];
  const active = phases.filter(([p]) => PHASES.has(p));
  for (let round = 1; round <= ROUNDS; round++) {
    // Rotate the order each round so no phase always runs right after another's flush.
    for (let i = 0; i < active.length; i++) {
      await stack.resetData(config);
      await active[(i + round - 1) % active.length][1](round);
    }
  }
  const pw = med(runs.pw);
  const whole = pwCurve.filter((m) => m.rows === 1e6);
  const lastVsFirst = whole.length > 1 ? ratio(whole[whole.length - 1].rows_per_s, whole[0].rows_per_s) : null;
  return {
    dataset: spec.name,
    key_order: order,
    format: FORMAT,
    pipewarden_rows_per_s: Math.round(pw) || null,
    ceiling_rows_per_s: Math.round(med(runs.ceiling)) || null,
    ceiling_deferred_rows_per_s: Math.round(med(runs.deferred)) || null,
    load_data_rows_per_s: Math.round(med(runs.raw)) || null,
    naive_dual_write_rows_per_s: Math.round(med(runs.naive)) || null,
    ratio_vs_ceiling: ratio(pw, med(runs.ceiling)),
    ratio_vs_ceiling_deferred: ratio(pw, med(runs.deferred)),
    ratio_vs_load_data: ratio(pw, med(runs.raw)),
    ratio_vs_naive: ratio(pw, med(runs.naive), 2),
    pipewarden_last_vs_first_million: lastVsFirst,
    pipewarden_after_last_row_s: pwAfter,
    pipewarden_curve: pwCurve,
    ceiling_curve: ceilingCurve,
    peak_rss_mb: Math.round(rss / 2 ** 20),
    peak_redis_mb: Math.round(redisPeak / 2 ** 20),
  };
}

(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-load-'));
  const sizing = serverSizing(BUFFER_POOL || undefined);
  say(`MariaDB sized for this machine: ${JSON.stringify(sizing)}`);
  const stack = await Stack.create({ dir, services: ['mariadb', 'redis'], bufferPool: sizing.bufferPool, mariadbSettings: sizing.settings });
  await stack.start();
  const cases: CaseResult[] = [];
  try {
    for (const [d, name] of DATASETS.entries()) for (const [o, order] of ORDERS.entries()) cases.push(await benchCase(stack, name, order, d === 0 && o === 0));
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const [top] = cases;
  process.stdout.write(`RESULT ${JSON.stringify({ rows: ROWS, rounds: ROUNDS, server: sizing, ...top, cases })}\n`);
})().catch((e) => {
  process.stderr.write(`bench:load failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
