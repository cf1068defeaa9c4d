// Crash-recovery scenarios, each a real sequence of process kills against a private stack,
// ending with the table compared to the source; named for what they kill.
// Run by test/reconcile.itest.ts, a few randomized trials per case (the nemesis, test/soak.ts,
// draws its own).
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { connect, listSegments, readWalState, type Config } from '@pipewarden/core';
import { createS3Client, generate, putFile, startLoaderService, verifyTable, type VerifyReport } from '@pipewarden/loader';
import { startReconcilerService } from '@pipewarden/reconciler';
import { sleep, type Stack } from '@pipewarden/stack';
import { waitFor } from './wait';
import { runCli } from './doubt';

export type CaseName =
  /** MariaDB SIGKILLed mid-load and restarted, loader and reconciler services running. */
  | 'mysql-killed'
  /** The same on a MariaDB that acknowledges commits before they are durable (flush 0): the kill loses some. */
  | 'mysql-killed-commits-lost'
  /** The loader (mid-batch) and MariaDB killed together. */
  | 'loader-and-mysql-killed'
  /** MariaDB killed, and Redis (no persistence) while it is down: the mirror is gone, repairs come from the source. */
  | 'mysql-killed-mirror-lost'
  /** The WAL's last record torn (a crash mid-append). */
  | 'wal-tail-torn'
  /** The reconciler killed mid-run, then run again. */
  | 'reconciler-killed-mid-run';

export interface TrialResult {
  case: CaseName;
  recovered: boolean;
  rowsLost: number;
  rowsDuplicated: number;
  detail: string;
  rowsRepaired: number;
  verify: VerifyReport;
}

const random = (min: number, max: number) => min + Math.random() * (max - min);

async function sourceFile(stack: Stack, rows: number, seed: number): Promise<string> {
  const dir = join(stack.layout.dir, 'scenario-data');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `src-${rows}-${seed}.csv`);
  await generate(file, { rows, seed, badShare: 0.005, duplicateShare: 0.002 });
  return file;
}

async function result(c: CaseName, config: Config, source: string, detail: string): Promise<TrialResult> {
  const v = await verifyTable(config, source);
  const conn = await connect(config);
  const [[runs]] = await conn.query<RowDataPacket[]>("SELECT COUNT(*) AS n, COALESCE(SUM(rows_inserted), 0) AS rows_repaired FROM reconcile_runs WHERE outcome <> 'running'");
  await conn.end();
  const repaired = `${runs.n} reconcile run(s) repaired ${runs.rows_repaired} rows`;
  return { case: c, recovered: v.ok, rowsLost: v.lost, rowsDuplicated: v.duplicated + v.unexpected, detail: `${detail}; ${repaired}`, rowsRepaired: Number(runs.rows_repaired), verify: v };
}

/**
 * Loader and reconciler services running; MariaDB SIGKILLed at a random point of the load
 * and restarted; the watchdog reconciles and the load finishes. 'mysql-killed-mirror-lost'
 * also kills Redis (no persistence: the mirror is gone) while MySQL is down, so repairs
 * come from S3.
 */
async function crashDuringServiceLoad(stack: Stack, c: 'mysql-killed' | 'mysql-killed-commits-lost' | 'mysql-killed-mirror-lost', seed: number): Promise<TrialResult> {
  await stack.resetData();
  const rows = 40000;
  let source = await sourceFile(stack, rows, seed);
  const base = stack.config({ 'batch.size': 1000, 'reconciler.watchdogIntervalSeconds': 0.2 });
  if (c === 'mysql-killed-mirror-lost') {
    const s3 = createS3Client(base);
    source = (await putFile(s3, source, `s3://${stack.layout.bucket}/mirror-lost/${seed}.csv`)).url;
    s3.destroy();
  }
  const reconciler = await startReconcilerService(base);
  const loader = await startLoaderService(base, { source });
  const killAt = Math.floor(random(0.15, 0.8) * rows);
  try {
    await waitFor('the load to reach the crash point', () => loader.service.status().rowsIn >= killAt || loader.service.status().state === 'finished', 120000);
    await stack.mariadb.kill();
    if (c === 'mysql-killed-mirror-lost') {
      await stack.redis.kill();
      await stack.redis.start();
    }
    await sleep(random(200, 1500));
    await stack.mariadb.start();
    await waitFor('the load to finish after the repair', async () => loader.service.status().state === 'finished' && reconciler.service.jobs.current === null, 180000);
    await reconciler.service.jobs.idle();
  } finally {
    await loader.close();
    await reconciler.close();
  }
  return result(c, base, source, `MariaDB killed at ${killAt} rows`);
}

/** The loader (a real process) and MariaDB killed together; everything restarted. */
async function loaderAndMysqlKilled(stack: Stack, seed: number): Promise<TrialResult> {
  await stack.resetData();
  const source = await sourceFile(stack, 30000, seed);
  const config = stack.config({ 'batch.size': 1000 });
  const batch = 3 + Math.floor(random(0, 20));
  // The fault kills the loader mid-batch; MariaDB dies at the same moment.
  const killed = runCli(stack, ['load', '--source', source, '--batch-size', '1000', '--no-progress'], { PIPEWARDEN_FAULT: `before-commit:${batch}` });
  if (killed.signal !== 'SIGKILL') throw new Error(`expected the loader to be killed: ${killed.stderr.slice(-500)}`);
  await stack.mariadb.kill();
  await stack.mariadb.start();
  const rec = runCli(stack, ['reconcile', '--json']);
  if (rec.status !== 0) throw new Error(`reconcile failed: ${rec.stderr.slice(-1000)}`);
  const load = runCli(stack, ['load', '--source', source, '--batch-size', '1000', '--no-progress', '--json']);
  if (load.status !== 0) throw new Error(`reload failed: ${load.stderr.slice(-1000)}`);
  return result('loader-and-mysql-killed', config, source, `killed before the commit of batch ${batch}`);
}

/** The WAL's last record torn (a crash mid-append), then recovery. */
async function tornWal(stack: Stack, seed: number): Promise<TrialResult> {
  await stack.resetData();
  const source = await sourceFile(stack, 20000, seed);
  const config = stack.config({ 'batch.size': 1000 });
  const batch = 2 + Math.floor(random(0, 15));
  const killed = runCli(stack, ['load', '--source', source, '--batch-size', '1000', '--no-progress'], { PIPEWARDEN_FAULT: `after-intent:${batch}` });
  if (killed.signal !== 'SIGKILL') throw new Error('expected the loader to be killed');
  const seg = listSegments(config.wal.dir).filter((s) => s.writer === 'loader').pop()!;
  // Half a frame: a length that promises more bytes than follow.
  appendFileSync(seg.path, Buffer.from([0x40, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x7b, 0x22]));
  if (readWalState(config.wal.dir).tornTails.length === 0) throw new Error('the torn tail was not detected');
  const rec = runCli(stack, ['reconcile', '--json']);
  if (rec.status !== 0) throw new Error(`reconcile failed: ${rec.stderr.slice(-1000)}`);
  const load = runCli(stack, ['load', '--source', source, '--batch-size', '1000', '--no-progress', '--json']);
  if (load.status !== 0) throw new Error(`reload failed: ${load.stderr.slice(-1000)}`);
  if (readWalState(config.wal.dir).tornTails.length !== 0) throw new Error('the torn tail is still there');
  return result('wal-tail-torn', config, source, `torn record after the intent of batch ${batch}`);
}

/** The reconciler killed mid-run, then run again. */
async function reconcilerKilled(stack: Stack, seed: number): Promise<TrialResult> {
  await stack.resetData();
  const source = await sourceFile(stack, 24000, seed);
  const config = stack.config({ 'batch.size': 1000, 'batch.pipelineDepth': 8 });
  // Eight batches in flight at the crash: eight to repair.
  const killed = runCli(stack, ['load', '--source', source, '--batch-size', '1000', '--no-progress'], { PIPEWARDEN_FAULT: 'before-commit:24', PIPEWARDEN_PIPELINE_DEPTH: '8' });
  if (killed.signal !== 'SIGKILL') throw new Error('expected the loader to be killed');
  const inDoubt = readWalState(config.wal.dir).inDoubt.size;
  if (inDoubt === 0) throw new Error('the crash left no batch in doubt');
  // Killed after a repair that is not the last when there are several: a run cut in the middle.
  const after = inDoubt > 1 ? 1 + Math.floor(random(0, inDoubt - 1)) : 1;
  const first = runCli(stack, ['reconcile', '--json'], { PIPEWARDEN_FAULT: `after-repair:${after}` });
  if (first.signal !== 'SIGKILL') throw new Error(`expected the reconciler to be killed: ${first.stderr.slice(-500)}`);
  const second = runCli(stack, ['reconcile', '--json']);
  if (second.status !== 0) throw new Error(`second reconcile failed: ${second.stderr.slice(-1000)}`);
  const c = await connect(config);
  const [runs] = await c.query<RowDataPacket[]>('SELECT outcome FROM reconcile_runs ORDER BY started_at');
  await c.end();
  // The killed run is closed as failed (interrupted); the second one completes the work —
  // or finds none left when the kill came after the last batch that needed rows (batches in
  // doubt whose transaction had committed need only their WAL record).
  const history = runs.map((r) => r.outcome).join(',');
  if (history !== 'failed,success' && history !== 'failed,nothing_to_do') throw new Error(`unexpected run history: ${history}`);
  const load = runCli(stack, ['load', '--source', source, '--batch-size', '1000', '--no-progress', '--json']);
  if (load.status !== 0) throw new Error(`reload failed: ${load.stderr.slice(-1000)}`);
  return result('reconciler-killed-mid-run', config, source, `${inDoubt} batches in doubt, reconciler killed after ${after} repairs`);
}

export async function runTrial(stack: Stack, c: CaseName, seed: number): Promise<TrialResult> {
  switch (c) {
    case 'mysql-killed':
    case 'mysql-killed-commits-lost':
    case 'mysql-killed-mirror-lost':
      return crashDuringServiceLoad(stack, c, seed);
    case 'loader-and-mysql-killed':
      return loaderAndMysqlKilled(stack, seed);
    case 'wal-tail-torn':
      return tornWal(stack, seed);
    case 'reconciler-killed-mid-run':
      return reconcilerKilled(stack, seed);
  }
}
