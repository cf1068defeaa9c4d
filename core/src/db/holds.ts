// The pipeline hold: how one reconcile run pauses every loader of a pipeline, on every host,
// without knowing where they run. MySQL keeps one row per pipeline (table pipeline_holds).
// Every loader batch transaction share-locks its pipeline's row and writes nothing while a
// run holds it; taking the hold is an UPDATE of that row, which waits for the batch
// transactions in flight, so once it returns no loader commits until the hold is released.
// A failed run keeps the hold (later batches must not land before the missing ones), with
// its error, until a run succeeds or an operator resumes the loader.
//
// Whether the run is still at work is a second fact the row cannot carry: a run killed
// mid-way never writes it. The run's MySQL session says it instead. The run takes a named
// lock (GET_LOCK) on the connection it holds the pipeline with, before the row names it,
// and lets it go only after its last write to the row; MySQL frees the lock the moment that
// session ends, whatever killed the process. A hold whose lock is free is abandoned: no run
// will release it, and a one-shot `pipewarden load` says so instead of waiting for ever.
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { UserError } from '../errors';
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

interface PipelineHold {
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

/**
 * The name of the lock a run's session keeps while it works on the pipeline: one per
 * database and pipeline, hashed to fit MySQL's 64 characters.
 */
const RUN_LOCK = "CONCAT('pipewarden_hold.', SHA1(CONCAT(DATABASE(), '/', ?)))";

/** How long a run waits for another live run of the same pipeline (another host's) to end. */
const RUN_LOCK_WAIT_SECONDS = 10;

/**
 * Take the hold for a run; returns once every loader batch transaction in flight has ended.
 * `conn` is the run's own session for as long as it holds the pipeline: keep it open until
 * keepHoldFailed or releaseHold with the run's id, which end the run's claim on it.
 */
export async function holdPipeline(conn: Queryable, pipeline: string, runId: string): Promise<void> {
  const [[lock]] = await conn.query<RowDataPacket[]>(`SELECT GET_LOCK(${RUN_LOCK}, ?) AS taken, IS_USED_LOCK(${RUN_LOCK}) AS session`, [pipeline, RUN_LOCK_WAIT_SECONDS, pipeline]);
  if (lock.taken === null) throw new Error(`MySQL could not take the run lock of pipeline ${pipeline} (GET_LOCK returned NULL)`);
  if (Number(lock.taken) !== 1) {
    throw new UserError(`another reconcile run of pipeline ${pipeline} is at work (MySQL session ${lock.session ?? 'unknown'})`, 'wait for it to end; reconcile again only if it failed');
  }
  await ensureHoldRow(conn, pipeline);
  await conn.query(`UPDATE \`${TABLES.holds}\` SET held_by = ?, held_since = NOW(3), error = NULL WHERE pipeline = ?`, [runId, pipeline]);
}

/** The run's session lets go of its lock (after its last write to the row: see holdAbandoned). */
async function endRunClaim(conn: Queryable, pipeline: string): Promise<void> {
  await conn.query(`DO RELEASE_LOCK(${RUN_LOCK})`, [pipeline]);
}

/** The run failed: the hold stays, and says why; the run, on its own session, ends its claim. */
export async function keepHoldFailed(conn: Queryable, pipeline: string, runId: string, error: string): Promise<void> {
  await conn.query(`UPDATE \`${TABLES.holds}\` SET error = ? WHERE pipeline = ? AND held_by = ?`, [error.slice(0, 1000), pipeline, runId]);
  await endRunClaim(conn, pipeline);
}

/**
 * Release the hold: the run's own (`runId`, on the run's session, which also ends its claim),
 * or whichever run holds it (an operator's resume, from any session).
 */
export async function releaseHold(conn: Queryable, pipeline: string, runId?: string): Promise<void> {
  const [sql, params] = runId === undefined ? ['', [pipeline]] : [' AND held_by = ?', [pipeline, runId]];
  await conn.query(`UPDATE \`${TABLES.holds}\` SET held_by = NULL, held_since = NULL, error = NULL WHERE pipeline = ?${sql}`, params);
  if (runId !== undefined) await endRunClaim(conn, pipeline);
}

/**
 * Whether the hold of run `runId` is abandoned: no session has the run lock, and the row
 * still names that run. The row is read after the lock: a run writes the row before it lets
 * the lock go, so one that just released its hold is not taken for dead.
 */
export async function holdAbandoned(conn: Queryable, pipeline: string, runId: string): Promise<boolean> {
  const [[lock]] = await conn.query<RowDataPacket[]>(`SELECT IS_USED_LOCK(${RUN_LOCK}) AS session`, [pipeline]);
  if (lock.session !== null) return false;
  return (await currentHold(conn, pipeline))?.runId === runId;
}

/** A one-shot load found the pipeline held by a run that is no longer at work. */
export class HoldAbandonedError extends UserError {
  constructor(held: PipelineHeldError) {
    super(
      `pipeline ${held.pipeline} is held by reconcile run ${held.runId}, which is no longer running (${held.error ? `it failed: ${held.error}` : 'it stopped mid-run'}); no loader commits until a run succeeds`,
      'run `pipewarden reconcile` to finish its repair, then load again',
    );
    this.name = 'HoldAbandonedError';
  }
}

async function currentHold(conn: Queryable, pipeline: string): Promise<PipelineHold | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>(`SELECT held_by, held_since, error FROM \`${TABLES.holds}\` WHERE pipeline = ? AND held_by IS NOT NULL`, [pipeline]);
  return rows[0] ? { runId: String(rows[0].held_by), since: rows[0].held_since, error: rows[0].error ?? null } : undefined;
}
