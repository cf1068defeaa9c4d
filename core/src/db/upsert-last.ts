// The duplicate policy `last` by LOAD DATA (docs/architecture.md, "Bulk loads"). A batch's
// rows go in as two sets:
//
//   keys the table lacks   LOAD DATA … IGNORE straight into the table: the last occurrence
//                          of each such key in the batch, its source position (./position.ts)
//                          computed by the server from the batch's prefix and the row's index
//                          in the batch (appended to each TSV line). Its affected rows are
//                          the batch's new keys.
//   keys the table holds   found first with SELECT … FOR UPDATE (so nobody changes them
//                          before this transaction ends); their last occurrences go to a
//                          per-session staging table and take the stored row's place by
//                          UPDATE … JOIN where the staged position is greater, the same rule
//                          as the upsert's IF(VALUES(_pw_pos) > _pw_pos).
//
// A key that another batch in flight inserts between the lookup and the LOAD DATA (batches
// of `last` run concurrently) makes LOAD DATA skip that row, which the affected-row count
// shows: the statement is then undone (a savepoint) and the whole batch goes the staged way,
// which is right whatever other batches do, only slower: all rows into the staging table
// (LOAD DATA … REPLACE: a key repeated in the batch keeps its last occurrence), then
// INSERT IGNORE … SELECT (exactly the new keys, atomically: a key another batch holds
// uncommitted waits for it) and the same UPDATE … JOIN.
//
// Measured against the staged way alone (the first version): the staging LOAD DATA and the
// INSERT … SELECT each convert or copy every row once more. The staging table is TEMPORARY
// (one per session, invisible to others, gone with the connection), created and emptied
// before the batch's transaction begins (TRUNCATE is DDL and would commit it).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { PoolConnection, ResultSetHeader } from 'mysql2/promise';
import type { ResolvedSpec } from '../dataset/types';
import { rulesFor } from '../record/rules';
import { keyTuplesOfTexts, keysPresent } from './keys';
import { POSITION_COLUMN, POSITION_DDL, columnDefinition, ident } from './schema';

interface Statements {
  stage: string;
  create: string;
  /** ? is the batch's position prefix (bytes); @pw_i each row's index in the batch. */
  direct: string;
  load: string;
  insert: string;
  update: string;
}

const statements = new WeakMap<ResolvedSpec, Statements>();

/** The statements of a spec with a key under `last`, built once from its validated names. */
function statementsOf(spec: ResolvedSpec): Statements {
  let s = statements.get(spec);
  if (s) return s;
  const cols = spec.columns.map((c) => ident(c.name));
  const defs = [...spec.columns.map((c) => columnDefinition(c)), `${ident(POSITION_COLUMN)} ${POSITION_DDL}`, `PRIMARY KEY (${spec.key.map(ident).join(', ')})`];
  // Named by its shape: a spec changed under a long-lived connection gets a new table.
  const name = `_pw_stage_${createHash('sha256').update(defs.join(',')).digest('hex').slice(0, 12)}`;
  const table = ident(spec.table);
  const stage = ident(name);
  const pos = ident(POSITION_COLUMN);
  const all = [...cols, pos];
  const setPos = `(${cols.join(', ')}, @pw_i) SET ${pos} = CONCAT(?, UNHEX(LPAD(HEX(@pw_i), 8, '0')))`;
  const on = spec.key.map((k) => `t.${ident(k)} = s.${ident(k)}`).join(' AND ');
  const sets = [...spec.columns.filter((c) => !c.key).map((c) => ident(c.name)), pos].map((c) => `t.${c} = s.${c}`);
  s = {
    stage: name,
    create: `CREATE TEMPORARY TABLE IF NOT EXISTS ${stage} (${defs.join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    direct: `LOAD DATA LOCAL INFILE 'pipewarden-batch' IGNORE INTO TABLE ${table} CHARACTER SET utf8mb4 ${setPos}`,
    load: `LOAD DATA LOCAL INFILE 'pipewarden-batch' REPLACE INTO TABLE ${stage} CHARACTER SET utf8mb4 ${setPos}`,
    insert: `INSERT IGNORE INTO ${table} (${all.join(', ')}) SELECT ${all.join(', ')} FROM ${stage}`,
    update: `UPDATE ${table} t JOIN ${stage} s ON ${on} SET ${sets.join(', ')} WHERE s.${pos} > t.${pos}`,
  };
  statements.set(spec, s);
  return s;
}

/** Before the batch's transaction: the session's staging table exists and is empty. */
export async function prepareStaging(conn: PoolConnection, spec: ResolvedSpec): Promise<void> {
  const s = statementsOf(spec);
  await conn.query(s.create);
  await conn.query(`TRUNCATE TABLE ${ident(s.stage)}`);
}

/** Where each line of a TSV batch starts and ends (no newline): [start0, end0, start1, end1, …]. */
export function lineSpans(tsv: Buffer): number[] {
  const spans: number[] = [];
  for (let start = 0; start < tsv.length; ) {
    let end = tsv.indexOf(10, start);
    if (end < 0) end = tsv.length;
    spans.push(start, end);
    start = end + 1;
  }
  return spans;
}

/** These lines of the batch (by index), each with its index as one more field: the server computes the row's position from it. */
export function withRowIndex(tsv: Buffer, spans: readonly number[], indexes: Iterable<number>): Buffer {
  const parts: Buffer[] = [];
  for (const i of indexes) parts.push(tsv.subarray(spans[2 * i], spans[2 * i + 1]), Buffer.from(`\t${i}\n`));
  return Buffer.concat(parts);
}

/** 0, 1, … n-1. */
function allOf(n: number): Iterable<number> {
  return Array.from({ length: n }, (_, i) => i);
}

/** Rows in the staging table after LOAD DATA … REPLACE: "Records: 5000  Deleted: 3  Skipped: 0  Warnings: 0" (Deleted = rows replaced by a later one). */
function stagedRows(res: ResultSetHeader): number {
  const m = /Records:\s*(\d+)\s+Deleted:\s*(\d+)\s+Skipped:\s*(\d+)/.exec(res.info ?? '');
  // Without the counts, assume some keys were there before: the update is then always right.
  return m ? Number(m[1]) - Number(m[2]) - Number(m[3]) : Infinity;
}

async function loadLines(conn: PoolConnection, sql: string, prefix: Buffer, rows: Buffer): Promise<ResultSetHeader> {
  // mysql2 loses its packet sequence on an empty LOCAL INFILE stream ("Got packets out of order").
  if (rows.length === 0) throw new Error('loadLines: no rows to load');
  const [res] = await conn.query<ResultSetHeader>({ sql, values: [prefix], infileStreamFactory: () => Readable.from([rows]) });
  return res;
}

/** The whole batch through the staging table: right whatever other batches do. Returns the new keys. */
async function stagedUpsert(conn: PoolConnection, s: Statements, tsv: Buffer, spans: readonly number[], prefix: Buffer): Promise<number> {
  const staged = await loadLines(conn, s.load, prefix, withRowIndex(tsv, spans, allOf(spans.length / 2)));
  const [ins] = await conn.query<ResultSetHeader>(s.insert);
  if (ins.affectedRows < stagedRows(staged)) await conn.query(s.update);
  return ins.affectedRows;
}

/** Inside the batch's transaction (staging prepared before it): upsert the batch's rows; returns how many keys were new to the table. */
export async function upsertLast(conn: PoolConnection, spec: ResolvedSpec, tsv: Buffer, prefix: Buffer): Promise<number> {
  const s = statementsOf(spec);
  const spans = lineSpans(tsv);
  // The last occurrence of each key, in batch order (only the key fields are decoded).
  const rules = rulesFor(spec);
  const lastAt = new Map<string, number>();
  for (let i = 0; i < spans.length / 2; i++) lastAt.set(rules.keyOfTsv(tsv, spans[2 * i], spans[2 * i + 1]), i);
  const held = await keysPresent(conn, spec, keyTuplesOfTexts(spec, lastAt.keys()), { forUpdate: true });
  const fresh: number[] = [];
  const known: number[] = [];
  for (const [key, i] of lastAt) (held.has(key) ? known : fresh).push(i);
  fresh.sort((a, b) => a - b);
  known.sort((a, b) => a - b);
  if (fresh.length > 0) {
    await conn.query('SAVEPOINT pw_last');
    const direct = await loadLines(conn, s.direct, prefix, withRowIndex(tsv, spans, fresh));
    if (direct.affectedRows !== fresh.length) {
      await conn.query('ROLLBACK TO SAVEPOINT pw_last');
      return stagedUpsert(conn, s, tsv, spans, prefix);
    }
  }
  if (known.length > 0) {
    await loadLines(conn, s.load, prefix, withRowIndex(tsv, spans, known));
    await conn.query(s.update);
  }
  return fresh.length;
}
