// The duplicate policy `last` by LOAD DATA: a batch goes into a per-connection staging table
// first, then into the dataset's table in two set statements. Measured against the multi-row
// INSERT … ON DUPLICATE KEY UPDATE it replaces (every value escaped into SQL text by the
// client, the text parsed again by the server): see docs/architecture.md, "Bulk loads".
//
//   1. LOAD DATA … REPLACE INTO the staging table, each row's source position computed by the
//      server from the batch's prefix and the row's index (appended to each TSV line): the
//      staging table has the dataset's key, so a key repeated inside the batch keeps its last
//      occurrence, the one with the greatest position.
//   2. INSERT IGNORE … SELECT: the keys the table lacks go in; its affected rows are exactly
//      the batch's new rows (atomic, whatever other batches do meanwhile: a key another
//      batch holds uncommitted waits for it).
//   3. UPDATE … JOIN (only when step 2 left staged rows out): a key the table held takes the staged row when the staged position is
//      greater (./position.ts), the same rule as the upsert's IF(VALUES(_pw_pos) > _pw_pos).
//      Rows step 2 inserted have equal positions and are left alone.
//
// The staging table is TEMPORARY (one per session, invisible to others, gone with the
// connection), created and emptied before the batch's transaction begins.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { PoolConnection, ResultSetHeader } from 'mysql2/promise';
import type { ResolvedSpec } from '../dataset/types';
import { POSITION_COLUMN, POSITION_DDL, columnDefinition, ident } from './schema';

interface Staging {
  name: string;
  create: string;
  load: string;
  insert: string;
  update: string;
}

const stagings = new WeakMap<ResolvedSpec, Staging>();

/** The staging table and statements of a spec with a key under `last`, from its validated names. */
function staging(spec: ResolvedSpec): Staging {
  let s = stagings.get(spec);
  if (s) return s;
  const cols = spec.columns.map((c) => ident(c.name));
  const defs = [...spec.columns.map((c) => columnDefinition(c)), `${ident(POSITION_COLUMN)} ${POSITION_DDL}`, `PRIMARY KEY (${spec.key.map(ident).join(', ')})`];
  // Named by its shape: a spec changed under a long-lived connection gets a new table.
  const name = `_pw_stage_${createHash('sha256').update(defs.join(',')).digest('hex').slice(0, 12)}`;
  const table = ident(spec.table);
  const stage = ident(name);
  const pos = ident(POSITION_COLUMN);
  const all = [...cols, pos];
  const on = spec.key.map((k) => `t.${ident(k)} = s.${ident(k)}`).join(' AND ');
  const sets = [...spec.columns.filter((c) => !c.key).map((c) => ident(c.name)), pos].map((c) => `t.${c} = s.${c}`);
  s = {
    name,
    create: `CREATE TEMPORARY TABLE IF NOT EXISTS ${stage} (${defs.join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    // ? is the batch's position prefix (bytes); @pw_i the row's index in the batch.
    load: `LOAD DATA LOCAL INFILE 'pipewarden-batch' REPLACE INTO TABLE ${stage} CHARACTER SET utf8mb4 (${cols.join(', ')}, @pw_i) SET ${pos} = CONCAT(?, UNHEX(LPAD(HEX(@pw_i), 8, '0')))`,
    insert: `INSERT IGNORE INTO ${table} (${all.join(', ')}) SELECT ${all.join(', ')} FROM ${stage}`,
    update: `UPDATE ${table} t JOIN ${stage} s ON ${on} SET ${sets.join(', ')} WHERE s.${pos} > t.${pos}`,
  };
  stagings.set(spec, s);
  return s;
}

/**
 * Before the batch's transaction: the session's staging table exists and is empty (TRUNCATE
 * is DDL, committing whatever is open, so it runs outside the batch's transaction; it is
 * cheaper than deleting the last batch's rows one by one).
 */
export async function prepareStaging(conn: PoolConnection, spec: ResolvedSpec): Promise<void> {
  const s = staging(spec);
  await conn.query(s.create);
  await conn.query(`TRUNCATE TABLE ${ident(s.name)}`);
}

/** Each TSV line with its index in the batch as one more field: the server computes the row's position from it. */
export function withRowIndex(tsv: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; start < tsv.length; i++) {
    let end = tsv.indexOf(10, start);
    if (end < 0) end = tsv.length;
    parts.push(tsv.subarray(start, end), Buffer.from(`\t${i}\n`));
    start = end + 1;
  }
  return Buffer.concat(parts);
}

/** Rows in the staging table after LOAD DATA … REPLACE: "Records: 5000  Deleted: 3  Skipped: 0  Warnings: 0" (Deleted = rows replaced by a later one). */
function stagedRows(res: ResultSetHeader): number {
  const m = /Records:\s*(\d+)\s+Deleted:\s*(\d+)\s+Skipped:\s*(\d+)/.exec(res.info ?? '');
  // Without the counts, assume some keys were there before: the update is then always right.
  return m ? Number(m[1]) - Number(m[2]) - Number(m[3]) : Infinity;
}

/** Inside the batch's transaction: upsert the batch's rows; returns how many keys were new to the table. */
export async function stagedUpsert(conn: PoolConnection, spec: ResolvedSpec, tsv: Buffer, prefix: Buffer): Promise<number> {
  const s = staging(spec);
  const [staged] = await conn.query<ResultSetHeader>({ sql: s.load, values: [prefix], infileStreamFactory: () => Readable.from([withRowIndex(tsv)]) });
  const [ins] = await conn.query<ResultSetHeader>(s.insert);
  // Every staged key was new: nothing for the update to compare (most batches of a first load).
  if (ins.affectedRows < stagedRows(staged)) await conn.query(s.update);
  return ins.affectedRows;
}
