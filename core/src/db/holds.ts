// The pipeline hold: how one reconcile run pauses every loader of a pipeline, on every host,
// without knowing where they run. MySQL keeps one row per pipeline (table pipeline_holds).
// Every loader batch transaction share-locks its pipeline's row and writes nothing while a
// run holds it; taking the hold is an UPDATE of that row, which waits for the batch
// transactions in flight, so once it returns no loader commits until the hold is released.
// A failed run keeps the hold (later batches must not land before the missing ones), with
// its error, until a run succeeds or an operator resumes the loader.
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { TABLES } from './schema';

type Queryable = Pick<PoolConnection, 'query'>;

export class PipelineHeldError extends Error {
  constructor(
    readonly pipeline: string,
    readonly runId: string,
    readonly error: string | null,
  ) {
    super(`pipeline ${pipeline} is held by reconcile run ${runId}${error ? ` (it failed: ${error})` : ''}`);
    this.name = 'PipelineHeldError';
  }
}

export interface PipelineHold {
  runId: string;
  since: Date;
  error: string | null;
}

/**
 * The pipeline's row must exist before a loader's first batch: a share lock on a missing
 * row locks nothing (READ COMMITTED), so a hold inserted later would not wait for it.
 */
export async function ensureHoldRow(conn: Queryable, pipeline: string): Promise<void> {
  await conn.query(`INSERT IGNORE INTO \`${TABLES.holds}\` (pipeline) VALUES (?)`, [pipeline]);
}

/** Inside a loader's batch transaction: throws PipelineHeldError while a run holds the pipeline; keeps the row share-locked until COMMIT. */
export async function checkNotHeld(conn: Queryable, pipeline: string): Promise<void> {
  const [rows] = await conn.query<RowDataPacket[]>(`SELECT held_by, error FROM \`${TABLES.holds}\` WHERE pipeline = ? LOCK IN SHARE MODE`, [pipeline]);
  const held = rows[0]?.held_by;
  if (held) throw new PipelineHeldError(pipeline, String(held), rows[0].error ?? null);
}

/** Take the hold for a run; returns once every loader batch transaction in flight has ended. */
export async function holdPipeline(conn: Queryable, pipeline: string, runId: string): Promise<void> {
  await ensureHoldRow(conn, pipeline);
  await conn.query(`UPDATE \`${TABLES.holds}\` SET held_by = ?, held_since = NOW(3), error = NULL WHERE pipeline = ?`, [runId, pipeline]);
}

/** The run failed: the hold stays, and says why. */
export async function keepHoldFailed(conn: Queryable, pipeline: string, runId: string, error: string): Promise<void> {
  await conn.query(`UPDATE \`${TABLES.holds}\` SET error = ? WHERE pipeline = ? AND held_by = ?`, [error.slice(0, 1000), pipeline, runId]);
}

/** Release the hold: the run's own (`runId`), or whichever run holds it (an operator's resume). */
export async function releaseHold(conn: Queryable, pipeline: string, runId?: string): Promise<void> {
  const [sql, params] = runId === undefined ? ['', [pipeline]] : [' AND held_by = ?', [pipeline, runId]];
  await conn.query(`UPDATE \`${TABLES.holds}\` SET held_by = NULL, held_since = NULL, error = NULL WHERE pipeline = ?${sql}`, params);
}

export async function currentHold(conn: Queryable, pipeline: string): Promise<PipelineHold | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>(`SELECT held_by, held_since, error FROM \`${TABLES.holds}\` WHERE pipeline = ? AND held_by IS NOT NULL`, [pipeline]);
  return rows[0] ? { runId: String(rows[0].held_by), since: rows[0].held_since, error: rows[0].error ?? null } : undefined;
}
