// Exporter scrape latency against the size of the violations table. Two databases on one
// private MariaDB, one with 100k violation rows and one with 5M, each with about 1,000
// ledger batches (the same number), the same dead letters and reconcile runs; one exporter
// per database. Scrapes alternate between the two (A, B, A, B, ...) so the machine's noise
// (InnoDB flushing, the other core) falls on both alike. The exporter reads only the
// ledger, dead-letter and reconcile aggregates, so the big table should cost nothing.
//
//   npx tsx bench/exporter.ts [--scrapes 200] [--rounds 3] [--small 100000] [--large 5000000] [--keep]
//
// Last line: RESULT {json}. Targets: p99 <= 50 ms, and large p99 <= 1.2 x small p99.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_DATASET, readSpec, connect, createRedis, migrate, mirrorKeys, REJECT_REASONS, TABLES, WalWriter, writeCheckpoint, type Config, type IntentRecord, type Logger } from '@pipewarden/core';

/** The default dataset's table (NYC parking violations): these tests and benches load it. */
const NYC_TABLE = readSpec(DEFAULT_DATASET).table;
import { Stack } from '@pipewarden/stack';
import { createCollectors, runCollector, startExporter, type ExporterHandle } from '@pipewarden/exporter';
import { flag, runBench } from './lib';

const args = process.argv.slice(2);
const SCRAPES = flag(args, 'scrapes', 200);
const ROUNDS = flag(args, 'rounds', 3);
const WARMUP = 20;
const SMALL = flag(args, 'small', 100_000);
const LARGE = flag(args, 'large', 5_000_000);
const BATCHES = 1000;
const DEAD_LETTERS = 2000;
const CHUNK = 500_000;

function log(msg: string): void {
  process.stderr.write(`[bench:exporter] ${msg}\n`);
}

/** Warnings and errors only: a collector failing mid-run must be seen. */
const quiet: Logger = {
  debug() {},
  info() {},
  warn: (m, f) => log(`warn ${m} ${JSON.stringify(f)}`),
  error: (m, f) => log(`error ${m} ${JSON.stringify(f)}`),
  child() {
    return quiet;
  },
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Violation rows with keys 1..target, in chunks of INSERT ... SELECT over MariaDB's
 * SEQUENCE engine (seq_1_to_N): no client round trip per row, and no temporary table as
 * a self-referencing INSERT ... SELECT doubling would need. Other columns derive from the key.
 */
async function fillViolations(conn: Awaited<ReturnType<typeof connect>>, target: number): Promise<void> {
  const t = `\`${NYC_TABLE}\``;
  const cols = 'summons_number, plate_id, registration_state, plate_type, issue_date, violation_code, vehicle_make, street_name, violation_precinct, violation_time, vehicle_year';
  for (let have = 0; have < target; ) {
    const add = Math.min(target - have, CHUNK);
    await conn.query(
      `INSERT INTO ${t} (${cols})
       SELECT k, CONCAT('P', k % 9999991), 'NY', 'PAS', DATE_ADD('2013-07-01', INTERVAL k % 365 DAY), k % 99 + 1, 'FORD', 'BROADWAY', k % 120, '07:52:00', 1990 + k % 30
       FROM (SELECT seq + ${have} AS k FROM seq_1_to_${add}) AS s`,
    );
    have += add;
  }
}

/** The pipeline's bookkeeping for `rows` loaded rows: ~1,000 ledger batches, dead letters, reconcile runs. */
async function fillBookkeeping(conn: Awaited<ReturnType<typeof connect>>, rows: number): Promise<void> {
  const per = Math.floor(rows / BATCHES);
  const ledger = Array.from({ length: BATCHES }, (_, i) => {
    const inserted = i === BATCHES - 1 ? rows - per * (BATCHES - 1) : per;
    return [`b${String(i).padStart(23, '0')}`, `s3://nyc-parking/fy2014/part-${i % 10}.csv`, 'etag', i * per + 1, inserted + 2, inserted, inserted, 0, 2, 'x', 'loader'];
  });
  await conn.query(
    `INSERT INTO \`${TABLES.ledger}\` (batch_id, source_key, source_etag, first_record, record_count, rows_kept, rows_inserted, rows_duplicate, rows_rejected, key_checksum, committed_by) VALUES ?`,
    [ledger],
  );
  const dl = Array.from({ length: DEAD_LETTERS }, (_, i) => [`b${String(i % BATCHES).padStart(23, '0')}`, i + 2, 's3://nyc-parking/fy2014/part-0.csv', REJECT_REASONS[i % 3], null, Buffer.from('raw,line')]);
  await conn.query(`INSERT INTO \`${TABLES.deadLetters}\` (batch_id, line_number, source_key, reason, detail, raw) VALUES ?`, [dl]);
  const runs = Array.from({ length: 20 }, (_, i) => [`run-${String(i).padStart(32, '0')}`, 'watchdog', 0, '2026-11-27 10:00:00.000', '2026-11-27 10:00:05.000', i, i % 4 === 0 ? 'failed' : 'success']);
  await conn.query(`INSERT INTO \`${TABLES.reconcileRuns}\` (run_id, trigger_source, dry_run, started_at, finished_at, rows_inserted, outcome) VALUES ?`, [runs]);
}

function intent(id: string): IntentRecord {
  return { t: 'intent', id, src: { key: 's3://nyc-parking/fy2014/part-0.csv', etag: 'e', firstRecord: 1, records: 5000, startByte: 0, endByte: 1 << 20, firstLine: 2 }, rows: 5000, rejected: 0, check: 'c', ts: Date.now() };
}

async function fillSharedState(config: Config, bucket: string): Promise<void> {
  const w = await WalWriter.open(config.wal.dir, 'loader', { fsync: 'never', segmentBytes: 64 << 20 });
  for (let i = 0; i < BATCHES; i++) await w.append([intent(`c${i}`), { t: 'commit', id: `c${i}`, inserted: 5000, duplicate: 0, ts: Date.now() }], { sync: false });
  for (let i = 0; i < 3; i++) await w.append(intent(`d${i}`));
  await w.close();
  const s3 = new S3Client({ region: config.s3.region, endpoint: config.s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: config.s3.accessKeyId!, secretAccessKey: config.s3.secretAccessKey! } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const objects: Record<string, ReturnType<typeof cpEntry>> = {};
  for (let i = 0; i < 10; i++) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `fy2014/part-${i}.csv`, Body: Buffer.alloc(4096, 'a') }));
    if (i < 7) objects[`s3://${bucket}/fy2014/part-${i}.csv`] = cpEntry(i < 6);
  }
  s3.destroy();
  writeCheckpoint(config.wal.dir, { version: 1, updatedAt: 0, objects });
  const redis = createRedis(config, { role: 'bench' });
  await redis.hset(mirrorKeys(config.redis.keyPrefix).stats, 'batches', '200', 'bytes', String(200 * 400_000));
  redis.disconnect();
}

function cpEntry(done: boolean) {
  return { etag: 'e', size: 4096, nextRecord: 1, nextByte: done ? 4096 : 1024, nextLine: 2, header: [], batchSize: 5000, done, rowsIn: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0 };
}

async function scrapeMs(url: string): Promise<{ ms: number; serverMs: number; rows: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`scrape of ${url} answered HTTP ${res.status}`);
  // One pipeline here (no config file), so its series is labelled `default`.
  const m = /^pipewarden_rows_loaded_total\{pipeline="default"\} (\d+)$/m.exec(text);
  if (!m) throw new Error(`scrape of ${url} has no pipewarden_rows_loaded_total (is MySQL up?)`);
  const failing = [...text.matchAll(/^pipewarden_exporter_collector_success\{collector="(\w+)"\} 0$/gm)].map((x) => x[1]);
  if (failing.length > 0) throw new Error(`collectors failing during the benchmark: ${failing.join(', ')}`);
  const d = /^pipewarden_exporter_scrape_duration_seconds (\S+)$/m.exec(text);
  return { ms, serverMs: Number(d?.[1] ?? NaN) * 1000, rows: Number(m[1]) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-exporter-'));
  const stack = await Stack.create({ dir, services: ['mariadb', 'redis', 's3'] });
  const exporters: ExporterHandle[] = [];
  try {
    log(`private stack in ${dir}`);
    await stack.start();
    const base = stack.config();
    const dbConfig = (db: string): Config => stack.config({ 'mysql.url': base.mysql.url.replace(/\/[^/]*$/, `/${db}`) });
    const small = dbConfig('pw_bench_small');
    const large = dbConfig('pw_bench_large');
    await migrate(small);
    await migrate(large);
    await fillSharedState(base, stack.layout.bucket);

    const fillStarted = performance.now();
    for (const [cfg, rows] of [[small, SMALL], [large, LARGE]] as const) {
      const conn = await connect(cfg);
      try {
        const t0 = performance.now();
        await fillViolations(conn, rows);
        await fillBookkeeping(conn, rows);
        log(`${cfg.mysql.url.replace(/.*\//, '')}: ${rows} violation rows, ${BATCHES} ledger batches, ${DEAD_LETTERS} dead letters in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      } finally {
        await conn.end();
      }
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    log('letting InnoDB settle (10 s)');
    await new Promise((r) => setTimeout(r, 10_000));

    const a = await startExporter(small, { listen: '127.0.0.1:0', log: quiet });
    exporters.push(a);
    const b = await startExporter(large, { listen: '127.0.0.1:0', log: quiet });
    exporters.push(b);

    for (let i = 0; i < WARMUP; i++) {
      await scrapeMs(a.url);
      await scrapeMs(b.url);
    }
    // Rounds of SCRAPES interleaved scrapes each. On a shared two-core machine a p99 over
    // 200 samples is the second-slowest scrape, so one round is at the mercy of whatever
    // else ran in those seconds; the headline figure is the median round, and every round
    // is printed.
    type Round = { small: number[]; large: number[]; serverSmall: number[]; serverLarge: number[] };
    const rounds: Round[] = [];
    const seen = { small: 0, large: 0 };
    const load0 = loadavg()[0];
    const cpu0 = process.cpuUsage();
    for (let round = 0; round < ROUNDS; round++) {
      const r0: Round = { small: [], large: [], serverSmall: [], serverLarge: [] };
      for (let i = 0; i < SCRAPES; i++) {
        // Alternate which goes first so neither always follows the other.
        const order = i % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const);
        for (const k of order) {
          const r = await scrapeMs(k === 'small' ? a.url : b.url);
          r0[k].push(r.ms);
          (k === 'small' ? r0.serverSmall : r0.serverLarge).push(r.serverMs);
          seen[k] = r.rows;
        }
      }
      rounds.push(r0);
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuPerScrapeMs = (cpu.user + cpu.system) / 1000 / (2 * SCRAPES * ROUNDS);
    const load1 = loadavg()[0];

    // The part that could grow with the table: the three MySQL collectors alone, run one
    // after the other, alternating between the databases.
    const sqlTimes = { small: [] as number[], large: [] as number[] };
    const sets = { small: createCollectors(small, { probeTimeoutMs: 1000, collectorTimeoutMs: 2500 }), large: createCollectors(large, { probeTimeoutMs: 1000, collectorTimeoutMs: 2500 }) };
    try {
      for (let i = 0; i < WARMUP + SCRAPES; i++) {
        for (const k of i % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const)) {
          let ms = 0;
          for (const c of sets[k].collectors.filter((x) => ['ledger', 'dead_letters', 'reconcile_runs'].includes(x.name))) {
            const r = await runCollector(c, 2500);
            if (!r.ok) throw r.error;
            ms += r.seconds * 1000;
          }
          if (i >= WARMUP) sqlTimes[k].push(ms);
        }
      }
    } finally {
      await Promise.all([sets.small.close(), sets.large.close()]);
    }
    if (seen.small !== SMALL || seen.large !== LARGE) throw new Error(`exporters report ${seen.small} / ${seen.large} rows loaded, expected ${SMALL} / ${LARGE}`);

    const stats = (xs: number[]) => {
      const s = [...xs].sort((x, y) => x - y);
      return { p50: +percentile(s, 50).toFixed(2), p99: +percentile(s, 99).toFixed(2), max: +s[s.length - 1].toFixed(2) };
    };
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
    const perRound = rounds.map((r) => {
      const S = stats(r.small);
      const L = stats(r.large);
      return { small: S, large: L, p99Ratio: +(L.p99 / S.p99).toFixed(3), serverSmall: stats(r.serverSmall), serverLarge: stats(r.serverLarge) };
    });
    const head = {
      small: { p50: median(perRound.map((r) => r.small.p50)), p99: median(perRound.map((r) => r.small.p99)) },
      large: { p50: median(perRound.map((r) => r.large.p50)), p99: median(perRound.map((r) => r.large.p99)) },
      p99Ratio: median(perRound.map((r) => r.p99Ratio)),
    };
    const pooled = { small: stats(rounds.flatMap((r) => r.small)), large: stats(rounds.flatMap((r) => r.large)) };
    const QS = stats(sqlTimes.small);
    const QL = stats(sqlTimes.large);
    const p99Met = Math.max(head.small.p99, head.large.p99) <= 50;
    console.log(`${ROUNDS} rounds of ${SCRAPES} scrapes per table (after ${WARMUP} warm-up), sequential, alternating between the two exporters`);
    perRound.forEach((r, i) =>
      console.log(
        `  round ${i + 1}: ${SMALL.toLocaleString('en')} rows p50 ${r.small.p50} p99 ${r.small.p99} max ${r.small.max} ms | ${LARGE.toLocaleString('en')} rows p50 ${r.large.p50} p99 ${r.large.p99} max ${r.large.max} ms | p99 ratio ${r.p99Ratio} | server-side collect p99 ${r.serverSmall.p99} / ${r.serverLarge.p99} ms`,
      ),
    );
    console.log(`median round: ${SMALL.toLocaleString('en')} rows p50 ${head.small.p50} ms p99 ${head.small.p99} ms; ${LARGE.toLocaleString('en')} rows p50 ${head.large.p50} ms p99 ${head.large.p99} ms`);
    console.log(`p99 large / small (median of rounds): ${head.p99Ratio} (target <= 1.2: ${head.p99Ratio <= 1.2 ? 'met' : 'NOT met'}); p99 <= 50 ms: ${p99Met ? 'met' : 'NOT met'}`);
    console.log(`all ${ROUNDS * SCRAPES} scrapes pooled: p99 ${pooled.small.p99} / ${pooled.large.p99} ms`);
    console.log(`MySQL collectors alone (ledger + dead_letters + reconcile_runs, serial): small p50 ${QS.p50} p99 ${QS.p99} ms; large p50 ${QL.p50} p99 ${QL.p99} ms`);
    console.log(`CPU of this process per scrape (exporter + client): ${cpuPerScrapeMs.toFixed(2)} ms; 1-min load average ${load0.toFixed(1)} → ${load1.toFixed(1)} (machine shared with other jobs)`);
    const result = {
      bench: 'exporter',
      scrapes: SCRAPES,
      rounds: ROUNDS,
      ledgerBatches: BATCHES,
      deadLetters: DEAD_LETTERS,
      small: { rows: SMALL, ...head.small },
      large: { rows: LARGE, ...head.large },
      p99Ratio: head.p99Ratio,
      perRound,
      pooled,
      mysqlCollectorsMs: { small: QS, large: QL, p99Ratio: +(QL.p99 / QS.p99).toFixed(3) },
      cpuPerScrapeMs: +cpuPerScrapeMs.toFixed(2),
      loadAverage: [+load0.toFixed(2), +load1.toFixed(2)],
      targets: { p99Ms: 50, p99Met, ratioMax: 1.2, ratioMet: head.p99Ratio <= 1.2 },
      fillSeconds: +fillSeconds.toFixed(1),
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    await Promise.all(exporters.map((e) => e.close()));
    await stack.stop().catch(() => undefined);
    if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

runBench('exporter', main);
