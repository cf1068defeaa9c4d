// The reconcile runs' history (tables reconcile_runs and reconcile_run_batches): a real run
// records itself as running at its start and its outcome at its end, with its report's batch
// details; the reconciler service reads them back (GET /runs, /runs/:id, /status), the
// exporter its aggregates (runHistoryFigures). Dry runs are not recorded.
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { BatchRepair, ReconcileReport, ReconcileRun, ReconcileRunDetail } from '../api';
import type { ReconcileTrigger } from '../metrics';
import type { SelectRows } from './connection';
import { TABLES } from './schema';

type Queryable = Pick<Pool, 'query'>;

/** Runs a killed reconciler left running (the WAL names them: `runIds`, at least one) end failed: the run that finds them redoes their work. */
export async function closeInterruptedRuns(conn: Queryable, runIds: readonly string[]): Promise<void> {
  await conn.query(`UPDATE \`${TABLES.reconcileRuns}\` SET outcome = 'failed', error = 'interrupted (the reconciler stopped mid-run); redone by a later run', finished_at = NOW(3) WHERE run_id IN (?) AND outcome = 'running'`, [runIds]);
}

/** A real run at its start. */
export interface RunStarted {
  runId: string;
  pipeline: string;
  trigger: ReconcileTrigger;
  /** When the run started (ms since the epoch). */
  startedAt: number;
  /** The Grafana user who pressed the button. */
  requestedBy?: string;
}

export async function insertRunStarted(conn: Queryable, run: RunStarted): Promise<void> {
  await conn.query(`INSERT INTO \`${TABLES.reconcileRuns}\` (run_id, pipeline, trigger_source, dry_run, started_at, outcome, requested_by) VALUES (?, ?, ?, 0, FROM_UNIXTIME(?), 'running', ?)`, [run.runId, run.pipeline, run.trigger, run.startedAt / 1000, run.requestedBy ?? null]);
}

/** The run's outcome and its batch details (upserted: a run whose recording failed is recorded again as failed). */
export async function recordRunOutcome(conn: Queryable, r: ReconcileReport, error?: string): Promise<void> {
  if (r.batches.length > 0) {
    await conn.query(
      `INSERT INTO \`${TABLES.reconcileRunBatches}\` (run_id, seq, batch_id, source_key, first_record, record_count, rows_source, rows_missing, rows_inserted) VALUES ? ON DUPLICATE KEY UPDATE rows_missing = VALUES(rows_missing), rows_inserted = VALUES(rows_inserted)`,
      [r.batches.map((b, i) => [r.runId, i, b.batchId, b.sourceKey, b.firstRecord, b.records, b.source, b.rowsMissing, b.rowsInserted])],
    );
  }
  await conn.query(
    `UPDATE \`${TABLES.reconcileRuns}\` SET finished_at = NOW(3), duration_seconds = ?, batches_examined = ?, batches_repaired = ?, rows_missing = ?, rows_inserted = ?, outcome = ?, verification = ?, error = ? WHERE run_id = ?`,
    [r.durationSeconds, r.batchesExamined, r.batchesRepaired, r.rowsMissing, r.rowsInserted, r.outcome, r.verification, error ?? null, r.runId],
  );
}

/** The latest recorded runs, newest first; of one pipeline when `pipeline` is given. */
export async function listRuns(conn: Queryable, limit: number, pipeline?: string): Promise<ReconcileRun[]> {
  const [rows] =
    pipeline === undefined
      ? await conn.query<RowDataPacket[]>(`SELECT * FROM \`${TABLES.reconcileRuns}\` ORDER BY started_at DESC LIMIT ?`, [limit])
      : await conn.query<RowDataPacket[]>(`SELECT * FROM \`${TABLES.reconcileRuns}\` WHERE pipeline = ? ORDER BY started_at DESC LIMIT ?`, [pipeline, limit]);
  return rows.map(toRun);
}

/** A recorded run and its batches; null when no run has that id. */
export async function runDetail(conn: Queryable, runId: string): Promise<ReconcileRunDetail | null> {
  const [runs] = await conn.query<RowDataPacket[]>(`SELECT * FROM \`${TABLES.reconcileRuns}\` WHERE run_id = ?`, [runId]);
  if (runs.length === 0) return null;
  const [batches] = await conn.query<RowDataPacket[]>(`SELECT * FROM \`${TABLES.reconcileRunBatches}\` WHERE run_id = ? ORDER BY seq`, [runId]);
  return { ...toRun(runs[0]), batches: batches.map(toBatch) };
}

function toRun(r: RowDataPacket): ReconcileRun {
  return {
    runId: r.run_id,
    pipeline: r.pipeline ?? 'default',
    trigger: r.trigger_source,
    dryRun: Number(r.dry_run) === 1,
    startedAt: new Date(String(r.started_at).replace(' ', 'T') + 'Z').toISOString(),
    finishedAt: r.finished_at ? new Date(String(r.finished_at).replace(' ', 'T') + 'Z').toISOString() : null,
    durationSeconds: r.duration_seconds === null ? null : Number(r.duration_seconds),
    batchesExamined: Number(r.batches_examined),
    batchesRepaired: Number(r.batches_repaired),
    rowsMissing: Number(r.rows_missing),
    rowsInserted: Number(r.rows_inserted),
    outcome: r.outcome,
    verification: r.verification,
    error: r.error,
    requestedBy: r.requested_by,
  };
}

function toBatch(r: RowDataPacket): BatchRepair {
  return {
    batchId: r.batch_id,
    sourceKey: r.source_key,
    firstRecord: Number(r.first_record),
    records: Number(r.record_count),
    source: r.rows_source,
    rowsMissing: Number(r.rows_missing),
    rowsInserted: Number(r.rows_inserted),
  };
}

/** What the exporter publishes of the run history, per pipeline: rows as MySQL returns them (DECIMAL and BIGINT values may be strings). */
interface RunHistoryFigures {
  /** Finished runs by outcome: `pipeline`, `outcome`, `n`. */
  byOutcome: RowDataPacket[];
  /** Rows inserted by real runs: `pipeline`, `n`. */
  repaired: RowDataPacket[];
  /** Each pipeline's newest finished real (not dry) run: `pipeline`, `outcome`, `rows_inserted`, `finished` (UNIX seconds). */
  last: RowDataPacket[];
}

/** The run history's aggregates, read at once (three small GROUP BY reads of reconcile_runs). */
export async function runHistoryFigures(select: SelectRows): Promise<RunHistoryFigures> {
  const t = `\`${TABLES.reconcileRuns}\``;
  const [byOutcome, repaired, last] = await Promise.all([
    select(`SELECT pipeline, outcome, COUNT(*) AS n FROM ${t} WHERE finished_at IS NOT NULL GROUP BY pipeline, outcome`),
    select(`SELECT pipeline, SUM(rows_inserted) AS n FROM ${t} WHERE dry_run = 0 GROUP BY pipeline`),
    select(
      // The newest finished real run of each pipeline (window functions: MySQL 8, MariaDB
      // 10.2+). UNIX_TIMESTAMP reads the DATETIME in the session time zone, the one NOW(3)
      // wrote it in (recordRunOutcome sets finished_at = NOW(3)), whatever the server's zone is.
      `SELECT pipeline, outcome, rows_inserted, UNIX_TIMESTAMP(finished_at) AS finished FROM (
         SELECT pipeline, outcome, rows_inserted, finished_at, ROW_NUMBER() OVER (PARTITION BY pipeline ORDER BY finished_at DESC) AS nth
         FROM ${t} WHERE finished_at IS NOT NULL AND dry_run = 0) AS runs
       WHERE nth = 1`,
    ),
  ]);
  return { byOutcome, repaired, last };
}
