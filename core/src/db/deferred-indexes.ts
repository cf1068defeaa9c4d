// Secondary indexes built after an initial load's data, not row by row during it (MySQL
// Shell's util.loadDump calls this deferTableIndexes). Into an empty table, a load drops the
// spec's secondary indexes before its first batch and builds them all in one ALTER TABLE
// when it finishes: InnoDB then sorts each index once instead of inserting every row into
// three B-trees in random order, which is what collapses a load once the indexes outgrow
// the buffer pool (docs/architecture.md, "Bulk loads").
//
// The primary key always stays, so duplicates and exactly-once do not change. No marker
// records the deferral: the spec is the truth, and a load that finds the spec's indexes
// missing (its earlier run was interrupted, the host crashed) goes on without them and
// builds them when it finishes, as `pipewarden migrate` would. Only indexes under
// pipewarden's own names are ever dropped; one a user made on the same columns stays.
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { ResolvedSpec } from '../dataset/types';
import { indexPlan, readTable } from './dataset-table';
import { ident } from './schema';

/**
 * The build's own deadline, not the statement deadline of a batch: sorting the indexes of a
 * table of tens of millions of rows takes minutes (about 20 s per index per 9M rows here).
 */
const BUILD_TIMEOUT_MS = 4 * 3600_000;

/** How long the DROP may wait for an analyst's query holding the table: past it, the load keeps its indexes. */
const DROP_LOCK_WAIT_SECONDS = 10;

export interface Deferral {
  /** The spec's secondary indexes the table lacks for this load: built when it finishes. */
  deferred: string[];
  /** Dropped by this call (the table was empty); the rest were missing already. */
  dropped: string[];
  /** Why indexes the table has stay (not empty, a user's own index, the DROP could not get its lock). */
  kept?: string;
}

async function isEmpty(pool: Pool, spec: ResolvedSpec): Promise<boolean> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT 1 FROM ${ident(spec.table)} LIMIT 1`);
  return rows.length === 0;
}

/** At a load's start: leave the spec's secondary indexes out of an empty table until the load finishes. */
export async function deferIndexes(pool: Pool, spec: ResolvedSpec): Promise<Deferral> {
  const table = await readTable(pool, spec.table);
  if (!table) return { deferred: [], dropped: [] };
  const { present, missing } = indexPlan(spec, table);
  const deferred = missing.map((m) => m.name);
  const own = present.filter((p) => p.own);
  if (own.length === 0) return { deferred, dropped: [] };
  if (!(await isEmpty(pool, spec))) return { deferred, dropped: [], kept: 'the table holds rows' };
  const conn = await pool.getConnection();
  try {
    await conn.query('SET SESSION lock_wait_timeout = ?', [DROP_LOCK_WAIT_SECONDS]);
    await conn.query(`ALTER TABLE ${ident(spec.table)} ${own.map((p) => `DROP INDEX ${ident(p.name)}`).join(', ')}`);
  } catch (e) {
    // ER_LOCK_WAIT_TIMEOUT: a long query holds the table's metadata lock. Slower, not wrong.
    if ((e as { errno?: number }).errno === 1205) return { deferred, dropped: [], kept: `a query held the table for ${DROP_LOCK_WAIT_SECONDS} s` };
    throw e;
  } finally {
    conn.release();
  }
  const dropped = own.map((p) => p.name);
  return { deferred: [...deferred, ...dropped], dropped, ...(own.length < present.length ? { kept: 'an index of the same columns under another name is the user\'s' } : {}) };
}

/**
 * When a load has finished: build every secondary index of the spec the table lacks, in one
 * ALTER TABLE (one scan of the table for all of them; online: the server's default algorithm
 * for ADD INDEX lets readers and writers go on). Returns the names built.
 */
export async function buildMissingIndexes(pool: Pick<Pool, 'query'>, spec: ResolvedSpec): Promise<string[]> {
  const table = await readTable(pool, spec.table);
  if (!table) return [];
  const { missing } = indexPlan(spec, table);
  if (missing.length === 0) return [];
  await pool.query({ sql: `ALTER TABLE ${ident(spec.table)} ${missing.map((m) => `ADD ${m.clause}`).join(', ')}`, timeout: BUILD_TIMEOUT_MS });
  return missing.map((m) => m.name);
}
