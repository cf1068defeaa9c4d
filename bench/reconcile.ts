// The reconcile benchmark (issue "Reconciler"): a table of T rows, then a load whose last
// D rows are lost the way a MySQL with relaxed durability loses acknowledged commits (rows
// and ledger rows gone, the mirror still holding the batches). Measured in the same run:
// the reconcile, and inserting just those D rows with a plain multi-row INSERT.
//
//   npm run bench:reconcile -- [--doubt 50000] [--rounds 3] [--tables 1000000,5000000]
//
// Last line: RESULT {json}. Targets: ratio_vs_insert_only <= 1.5 and reconcile time at
// T = 5M within 1.2x of T = 1M (the cost follows the difference, not the table).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { connect, createRedis, datasetOf, decodeTsvLine, getMirrorEntry, ident, keyTuples, listMirror, migrate, mirrorKeys, splitTsv, type Config, type Logger, type KeyTuple } from '@pipewarden/core';
import { generate, runLoad } from '@pipewarden/loader';
import { reconcile } from '@pipewarden/reconciler';
import { Stack, REPO_ROOT } from '@pipewarden/stack';
import { flag, log, median, settleInnoDb } from './lib';

const args = process.argv.slice(2);
const DOUBT = flag(args, 'doubt', 50_000);
const ROUNDS = flag(args, 'rounds', 3);
const ti = args.indexOf('--tables');
const TABLES = (ti >= 0 ? args[ti + 1] : '1000000,5000000').split(',').map(Number);
const say = (m: string) => log('reconcile', m);
const BATCH = 5000;
const quietLog: Logger = { debug() {}, info() {}, warn: (m) => say(`warn: ${m}`), error: (m) => say(`error: ${m}`), child: () => quietLog };

async function file(rows: number, keyBase: number, name: string): Promise<string> {
  const dir = resolve(REPO_ROOT, 'bench', '.data');
  mkdirSync(dir, { recursive: true });
  const f = join(dir, `${name}-${rows}.csv`);
  if (!existsSync(f)) await generate(f, { rows, seed: keyBase % 1000, badShare: 0, duplicateShare: 0, keyBase });
  return f;
}

/** The doubt batches' rows, from the mirror (what the reconciler will find). */
async function doubtLines(config: Config, ids: string[]): Promise<string[]> {
  const redis = createRedis(config, { role: 'bench' });
  const keys = mirrorKeys(config.redis.keyPrefix);
  const lines: string[] = [];
  for (const id of ids) lines.push(...splitTsv((await getMirrorEntry(redis, keys, id))!.rows.toString('utf8')));
  redis.disconnect();
  return lines;
}

/** Lose the doubt batches: their rows and ledger rows, as a crash of a relaxed MySQL would. */
async function lose(config: Config, ids: string[], keys: KeyTuple[]): Promise<void> {
  const spec = datasetOf(config);
  const c = await connect(config);
  for (let i = 0; i < keys.length; i += 5000) await c.query(`DELETE FROM ${ident(spec.table)} WHERE (${spec.key.map(ident).join(', ')}) IN (?)`, [keys.slice(i, i + 5000)]);
  await c.query('DELETE FROM batch_ledger WHERE batch_id IN (?)', [ids]);
  await settleInnoDb(c);
  await c.end();
}

async function insertOnly(config: Config, lines: string[]): Promise<number> {
  const spec = datasetOf(config);
  const c = await connect(config);
  const t = process.hrtime.bigint();
  for (let i = 0; i < lines.length; i += 1000) {
    await c.query(`INSERT INTO ${ident(spec.table)} (${spec.columns.map((x) => ident(x.name)).join(', ')}) VALUES ?`, [lines.slice(i, i + 1000).map(decodeTsvLine)]);
  }
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  await c.end();
  return secs;
}

(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-rec-'));
  const stack = await Stack.create({ dir, services: ['mariadb', 'redis'], bufferPool: '1G' });
  await stack.start();
  const results: Record<string, { table_rows: number; doubt_rows: number; reconcile_s: number; insert_only_s: number; ratio_vs_insert_only: number }> = {};
  try {
    for (const T of TABLES) {
      await stack.resetData();
      const config = stack.config({ 'batch.size': BATCH, 'mirror.retentionBatches': Math.ceil(DOUBT / BATCH) + 10, 'mysql.connections': 4 });
      await migrate(config);
      say(`T=${T}: loading the table`);
      await runLoad(config, { source: await file(T - DOUBT, 1_000_000_000, 'table'), log: quietLog });
      await runLoad(config, { source: await file(DOUBT, 5_000_000_000, 'doubt'), log: quietLog });
      const redis = createRedis(config, { role: 'bench' });
      const mirrored = await listMirror(redis, mirrorKeys(config.redis.keyPrefix));
      redis.disconnect();
      const ids = mirrored.slice(-Math.ceil(DOUBT / BATCH));
      const lines = await doubtLines(config, ids);
      const keys = keyTuples(datasetOf(config), lines);
      const rec: number[] = [];
      const ins: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        await lose(config, ids, keys);
        const rep = await reconcile(config, { trigger: 'cli', log: quietLog, restartLoader: false });
        if (rep.rowsInserted !== DOUBT || rep.verification !== 'ok') throw new Error(`reconcile inserted ${rep.rowsInserted}, verification ${rep.verification}`);
        rec.push(rep.durationSeconds);
        await lose(config, ids, keys);
        ins.push(await insertOnly(config, lines));
        say(`T=${T} round ${r + 1}: reconcile ${rec[r].toFixed(2)} s, insert only ${ins[r].toFixed(2)} s`);
      }
      const c = await connect(config);
      const [[n]] = await c.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${ident(datasetOf(config).table)}`);
      await c.end();
      results[String(T)] = { table_rows: Number(n.n), doubt_rows: DOUBT, reconcile_s: +median(rec).toFixed(3), insert_only_s: +median(ins).toFixed(3), ratio_vs_insert_only: +(median(rec) / median(ins)).toFixed(3) };
    }
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const small = results[String(TABLES[0])];
  const large = results[String(TABLES[TABLES.length - 1])];
  const out = {
    doubt_rows: DOUBT,
    by_table_rows: results,
    ratio_vs_insert_only: Math.max(...Object.values(results).map((r) => r.ratio_vs_insert_only)),
    reconcile_growth_large_vs_small: +(large.reconcile_s / small.reconcile_s).toFixed(3),
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
})().catch((e) => {
  process.stderr.write(`bench:reconcile failed: ${(e as Error).stack}\n`);
  process.exit(1);
});

