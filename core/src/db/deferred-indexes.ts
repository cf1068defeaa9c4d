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
import type { Connection, Pool, RowDataPacket } from 'mysql2/promise';
import type { ResolvedSpec } from '../dataset/types';
import { indexPlan, readTable } from './dataset-table';
import { ident } from './schema';

/**
 * The build's own deadline, not the statement deadline of a batch: sorting the indexes of a
 * table of tens of millions of rows takes minutes (about 37 s for NYC's three at 9.1M rows here).
 */
const BUILD_TIMEOUT_MS = 4 * 3600_000;

/** How long the DROP may wait for an analyst's query holding the table: past it, the load keeps its indexes. */
const DROP_LOCK_WAIT_SECONDS = 10;

export interface Deferral {
  /** Dropped by this call (the table was empty): built when the load finishes. */
  dropped: string[];
  /** Missing already (an interrupted initial load): built when the load finishes too. */
  missing: string[];
  /** Why indexes the table has stay (it holds rows, the DROP could not get its lock, a user's own index). */
  kept?: string;
}

async function isEmpty(pool: Pool, spec: ResolvedSpec): Promise<boolean> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT 1 FROM ${ident(spec.table)} LIMIT 1`);
  return rows.length === 0;
}

/** At a load's start: leave the spec's secondary indexes out of an empty table until the load finishes. */
export async function deferIndexes(pool: Pool, spec: ResolvedSpec): Promise<Deferral> {
  const table = await readTable(pool, spec.table);
  if (!table) return { dropped: [], missing: [] };
  const { present, missing } = indexPlan(spec, table);
  const already = missing.map((m) => m.name);
  const own = present.filter((p) => p.own);
  if (own.length === 0) return { dropped: [], missing: already };
  if (!(await isEmpty(pool, spec))) return { dropped: [], missing: already, kept: 'the table holds rows' };
  const conn = await pool.getConnection();
  try {
    await conn.query('SET SESSION lock_wait_timeout = ?', [DROP_LOCK_WAIT_SECONDS]);
    await conn.query(`ALTER TABLE ${ident(spec.table)} ${own.map((p) => `DROP INDEX ${ident(p.name)}`).join(', ')}`);
  } catch (e) {
    // ER_LOCK_WAIT_TIMEOUT: a long query holds the table's metadata lock. Slower, not wrong.
    if ((e as { errno?: number }).errno === 1205) return { dropped: [], missing: already, kept: `a query held the table for ${DROP_LOCK_WAIT_SECONDS} s` };
    // ER_CANT_DROP_FIELD_OR_KEY: another loader starting on the same empty table dropped them first.
    if ((e as { errno?: number }).errno === 1091) return { dropped: [], missing: [...already, ...own.map((p) => p.name)] };
    throw e;
  } finally {
    conn.release();
  }
  return { dropped: own.map((p) => p.name), missing: already, ...(own.length < present.length ? { kept: 'an index of the same columns under another name is the user\'s' } : {}) };
}

/**
 * When a load has finished: build every secondary index of the spec the table lacks, in one
 * ALTER TABLE (one scan of the table for all of them; online: the server's default algorithm
 * for ADD INDEX lets readers and writers go on). Returns the names built.
 */
export async function buildMissingIndexes(pool: Pool | Connection, spec: ResolvedSpec): Promise<string[]> {
  // Several loaders sharing a source finish together, and each builds what is missing: the
  // second ALTER waits for the first one's metadata lock, then finds an index there already
  // (ER_DUP_KEYNAME). It looks again and builds only what is still missing.
  for (let attempt = 1; ; attempt++) {
    const table = await readTable(pool, spec.table);
    if (!table) return [];
    const { missing } = indexPlan(spec, table);
    if (missing.length === 0) return [];
    try {
      await pool.query({ sql: `ALTER TABLE ${ident(spec.table)} ${missing.map((m) => `ADD ${m.clause}`).join(', ')}`, timeout: BUILD_TIMEOUT_MS });
      return missing.map((m) => m.name);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ER_DUP_KEYNAME' || attempt >= 3) throw e;
    }
  }
}
