// The reconcile procedure (docs/architecture.md, "Recovery"): lock, pause the loader, wait
// for MySQL, find batches in doubt, insert exactly the missing rows of each from the mirror
// (or the source), verify count and checksum, record the run, restart the loader. Every
// step is idempotent, so a reconciler killed mid-run is recovered by running it again.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import {
  TABLES,
  WalWriter,
  createLogger,
  createPool,
  ledgerHasAny,
  listMirror,
  mirrorKeys,
  parseChecksum,
  pingMysql,
  readWalState,
  splitTsv,
  tsvLineKey,
  writeBatchTx,
  faultAt,
  type BatchRepair,
  type Config,
  type IntentRecord,
  type Logger,
  type ReconcileProgress,
  type ReconcileReport,
  type ReconcileTrigger,
  type WriteMethod,
} from '@pipewarden/core';
import { chooseWriteMethod } from '@pipewarden/loader';
import { acquireReconcileLock } from './lock';
import { LoaderClient } from './loader-client';
import { SourceRereader, rowsFromMirror } from './batch-rows';

export interface ReconcileOptions {
  dryRun?: boolean;
  trigger: ReconcileTrigger;
  runId?: string;
  log?: Logger;
  onProgress?: (p: ReconcileProgress) => void;
  /** How long to wait for MySQL to answer (default 10 minutes). */
  mysqlWaitSeconds?: number;
  /** Restart the loader service afterwards (default true; never on a dry run). */
  restartLoader?: boolean;
  signal?: AbortSignal;
}

const KEY_CHUNK = 1000;
const MAX_BATCH_DETAILS = 100;

/** Keys (of those given) that the violations table lacks, looked up in chunks. */
export async function missingKeys(pool: Pool, keys: readonly string[]): Promise<Set<string>> {
  const missing = new Set(keys);
  for (let i = 0; i < keys.length; i += KEY_CHUNK) {
    const chunk = keys.slice(i, i + KEY_CHUNK);
    const [rows] = await pool.query<RowDataPacket[]>(`SELECT summons_number FROM \`${TABLES.violations}\` WHERE summons_number IN (?)`, [chunk]);
    for (const r of rows) missing.delete(String(r.summons_number));
  }
  return missing;
}

/** Count and CRC32 sum of the keys MySQL holds among `keys`, computed server-side. */
export async function serverChecksum(pool: Pool, keys: readonly string[]): Promise<{ count: number; crcSum: number }> {
  let count = 0;
  let crcSum = 0;
  for (let i = 0; i < keys.length; i += KEY_CHUNK) {
    const [rows] = await pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n, COALESCE(SUM(CRC32(summons_number)), 0) AS s FROM \`${TABLES.violations}\` WHERE summons_number IN (?)`, [keys.slice(i, i + KEY_CHUNK)]);
    count += Number(rows[0].n);
    crcSum += Number(rows[0].s);
  }
  return { count, crcSum };
}

async function waitForMysql(config: Config, seconds: number, log: Logger, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let logged = false;
  while (!(await pingMysql(config, 2000))) {
    if (signal?.aborted) throw new Error('aborted');
    if (Date.now() > deadline) throw new Error(`MySQL did not answer within ${seconds} s`);
    if (!logged) log.info('waiting for MySQL to answer');
    logged = true;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function reconcile(config: Config, opts: ReconcileOptions): Promise<ReconcileReport> {
  const log = opts.log ?? createLogger('reconciler');
  const dryRun = opts.dryRun === true;
  const runId = opts.runId ?? randomUUID();
  const started = Date.now();
  const progress: ReconcileProgress = { phase: 'lock', batchesTotal: 0, batchesDone: 0, rowsMissing: 0, rowsInserted: 0 };
  const step = (patch: Partial<ReconcileProgress>) => {
    Object.assign(progress, patch);
    opts.onProgress?.({ ...progress });
  };
  const report: ReconcileReport = {
    runId,
    dryRun,
    trigger: opts.trigger,
    batchesExamined: 0,
    batchesRepaired: 0,
    rowsMissing: 0,
    rowsInserted: 0,
    verification: dryRun ? 'skipped' : 'ok',
    outcome: dryRun ? 'dry_run' : 'nothing_to_do',
    durationSeconds: 0,
    loaderRestarted: false,
    batches: [],
  };

  step({ phase: 'lock' });
  const release = acquireReconcileLock(config.wal.dir);
  const loader = new LoaderClient(config);
  let wal: WalWriter | undefined;
  let pool: Pool | undefined;
  let redis: Redis | undefined;
  const rereader = new SourceRereader(config, log);
  let recorded = false;
  try {
    if (!dryRun) {
      wal = await WalWriter.open(config.wal.dir, 'reconciler', { fsync: 'always', segmentBytes: config.wal.segmentBytes });
      await wal.append({ t: 'run', run: runId, phase: 'start', ts: Date.now() });
      step({ phase: 'pause_loader' });
      const paused = await loader.pause();
      log.info(paused ? 'loader paused' : 'loader service not reachable; continuing without it');
    }

    step({ phase: 'wait_mysql' });
    await waitForMysql(config, opts.mysqlWaitSeconds ?? 600, log, opts.signal);
    pool = createPool(config);
    const method: WriteMethod = await chooseWriteMethod(pool, config.mysql.writeMethod);

    if (!dryRun) {
      // Runs a killed reconciler left open are closed as failed: this run redoes their work.
      const state = readWalState(config.wal.dir);
      if (state.unfinishedRuns.length > 0) {
        await pool.query(`UPDATE \`${TABLES.reconcileRuns}\` SET outcome = 'failed', error = 'interrupted (the reconciler stopped mid-run); redone by a later run', finished_at = NOW(3) WHERE run_id IN (?) AND outcome = 'running'`, [state.unfinishedRuns]);
        for (const r of state.unfinishedRuns.filter((r) => r !== runId)) await wal!.append({ t: 'run', run: r, phase: 'end', outcome: 'failed', ts: Date.now() });
      }
      await pool.query(`INSERT INTO \`${TABLES.reconcileRuns}\` (run_id, trigger_source, dry_run, started_at, outcome) VALUES (?, ?, 0, FROM_UNIXTIME(?), 'running')`, [runId, opts.trigger, started / 1000]);
      recorded = true;
    }

    step({ phase: 'find_batches' });
    redis = new Redis(config.redis.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
    redis.on('error', () => undefined);
    const redisUp = await redis.connect().then(
      () => true,
      () => false,
    );
    if (!redisUp) log.warn('Redis mirror unreachable; batches will be re-read from the source');
    const keys = mirrorKeys(config.redis.keyPrefix);
    const walState = readWalState(config.wal.dir);
    const candidates = new Map<string, IntentRecord | null>(walState.inDoubt);
    // Committed batches still in the mirror whose ledger row is missing: commits a MySQL
    // with relaxed durability acknowledged and then lost.
    const mirrored = redisUp ? await listMirror(redis, keys) : [];
    for (const id of mirrored) if (!candidates.has(id)) candidates.set(id, null);
    const inLedger = await ledgerHasAny(pool, [...candidates.keys()]);
    report.batchesExamined = candidates.size;
    const todo = [...candidates.entries()].filter(([id]) => !inLedger.has(id));
    step({ phase: 'repair', batchesTotal: todo.length });
    log.info('batches examined', { examined: candidates.size, inDoubt: walState.inDoubt.size, mirrored: mirrored.length, toRepair: todo.length, dryRun });

    // In doubt in the WAL but complete in MySQL: only the WAL needs to learn it.
    if (!dryRun) {
      for (const [id] of walState.inDoubt) {
        if (inLedger.has(id)) await wal!.append({ t: 'repair', id, inserted: 0, run: runId, source: 'ledger', ts: Date.now() });
      }
    }

    let verified = true;
    for (const [id, walIntent] of todo) {
      if (opts.signal?.aborted) throw new Error('aborted');
      let rows = await rowsFromMirror(redisUp ? redis : undefined, keys, id);
      const intent = walIntent ?? rows?.intent;
      if (!intent) throw new Error(`batch ${id} is in the mirror index but its entry is unreadable`);
      if (!rows) rows = await rereader.rows(intent);
      const lines = splitTsv(rows.tsv.toString('utf8'));
      const batchKeys = [...new Set(lines.map(tsvLineKey))];
      const missing = await missingKeys(pool, batchKeys);
      const detail: BatchRepair = { batchId: id, source: rows.source, rowsMissing: missing.size, rowsInserted: 0 };
      report.rowsMissing += missing.size;
      if (!dryRun) {
        // Exactly the missing rows, first occurrence per key, plus dead letters and the ledger row.
        const seen = new Set<string>();
        const toInsert = lines.filter((l) => {
          const k = tsvLineKey(l);
          if (!missing.has(k) || seen.has(k)) return false;
          seen.add(k);
          return true;
        });
        const conn = await pool.getConnection();
        try {
          const tx = await writeBatchTx(conn, {
            intent,
            tsv: Buffer.from(toInsert.map((l) => l + '\n').join(''), 'utf8'),
            rejects: rows.rejects,
            committedBy: 'reconciler',
            method,
          });
          detail.rowsInserted = tx.inserted;
        } finally {
          conn.release();
        }
        const expected = parseChecksum(intent.check);
        const got = await serverChecksum(pool, batchKeys);
        const ok = got.count === expected.count && got.crcSum === expected.crcSum;
        if (!ok) {
          verified = false;
          log.error('batch verification failed', { batch: id, expected: intent.check, got: `${got.count}:${got.crcSum}` });
        }
        await wal!.append({ t: 'repair', id, inserted: detail.rowsInserted, run: runId, source: rows.source, ts: Date.now() });
        report.rowsInserted += detail.rowsInserted;
        report.batchesRepaired++;
        faultAt('after-repair', report.batchesRepaired);
      }
      if (report.batches.length < MAX_BATCH_DETAILS) report.batches.push(detail);
      step({ batchesDone: progress.batchesDone + 1, rowsMissing: report.rowsMissing, rowsInserted: report.rowsInserted });
    }

    step({ phase: 'verify' });
    if (!dryRun) {
      report.verification = verified ? 'ok' : 'failed';
      report.outcome = !verified ? 'failed' : report.batchesRepaired > 0 || walState.inDoubt.size > 0 ? 'success' : 'nothing_to_do';
      step({ phase: 'restart_loader' });
      if (opts.restartLoader !== false) report.loaderRestarted = await loader.restart();
    }
    report.durationSeconds = (Date.now() - started) / 1000;
    if (recorded) await recordRun(pool, report);
    await wal?.append({ t: 'run', run: runId, phase: 'end', outcome: report.outcome, ts: Date.now() });
    step({ phase: 'done' });
    log.info('reconcile finished', { run: runId, outcome: report.outcome, batches: report.batchesRepaired, rowsMissing: report.rowsMissing, rowsInserted: report.rowsInserted, verification: report.verification, seconds: report.durationSeconds.toFixed(2) });
    return report;
  } catch (e) {
    report.outcome = 'failed';
    report.durationSeconds = (Date.now() - started) / 1000;
    if (recorded && pool) await recordRun(pool, report, (e as Error).message).catch(() => undefined);
    await wal?.append({ t: 'run', run: runId, phase: 'end', outcome: 'failed', ts: Date.now() }).catch(() => undefined);
    throw e;
  } finally {
    await wal?.close().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    redis?.disconnect();
    rereader.close();
    release();
  }
}

async function recordRun(pool: Pool, r: ReconcileReport, error?: string): Promise<void> {
  await pool.query(
    `UPDATE \`${TABLES.reconcileRuns}\` SET finished_at = NOW(3), duration_seconds = ?, batches_examined = ?, batches_repaired = ?, rows_missing = ?, rows_inserted = ?, outcome = ?, verification = ?, error = ? WHERE run_id = ?`,
    [r.durationSeconds, r.batchesExamined, r.batchesRepaired, r.rowsMissing, r.rowsInserted, r.outcome, r.verification, error ?? null, r.runId],
  );
}
