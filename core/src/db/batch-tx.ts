// The one MySQL transaction that lands a batch: its rows (idempotent through the dataset's
// key and duplicate policy), its dead letters and its ledger row commit together, so "is
// batch X in MySQL?" is one primary-key lookup. Used by the loader's sink and by the
// reconciler's repairs.
import { Readable } from 'node:stream';
import type { PoolConnection, RowDataPacket, ResultSetHeader } from 'mysql2/promise';
import type { ResolvedSpec } from '../dataset/types';
import { decodeTsvLine, splitTsv } from '../record/tsv';
import type { DeadLetter } from '../record/dead-letter';
import { DEAD_LETTER_MAX_RAW } from '../record/dead-letter';
import type { LedgerRange } from '../batch';
import type { IntentRecord } from '../wal/record';
import { POSITION_COLUMN, TABLES, ident } from './schema';
import { DEFAULT_PIPELINE } from '../config';
import { batchPosition, rowPosition } from './position';
import { prepareStaging, upsertLast } from './upsert-last';
import { holdLease, type LeaseFence } from './leases';
import { checkNotHeld } from './holds';
import type { SelectRows } from './connection';

/** The ledger's resume columns (end_byte, next_line): both known, or neither. */
function resumePoint(intent: IntentRecord): [number | null, number | null] {
  const { endByte, nextLine } = intent.src;
  return endByte >= 0 && nextLine !== undefined ? [endByte, nextLine] : [null, null];
}

export type WriteMethod = 'load-data' | 'insert';

const INSERT_CHUNK_ROWS = 1000;

/** The SQL that writes a dataset's rows, built once per spec from its validated names. */
interface RowWriter {
  policy: 'first' | 'last' | 'keep';
  load: string;
  insert: string;
  /** `last`: INSERT IGNORE of rows with their positions (a one-row batch's new key). */
  insertNew: string;
}

const writers = new WeakMap<ResolvedSpec, RowWriter>();

/**
 * - first: INSERT IGNORE / LOAD DATA … IGNORE: the key's first occurrence stays.
 * - keep (keyless): plain INSERT / LOAD DATA, every row goes in; exactly-once comes from the
 *   ledger row in the same transaction, not from a key.
 * - last: INSERT … ON DUPLICATE KEY UPDATE, each column taking the new value only when the new
 *   row's source position (_pw_pos, see ./position) is greater, _pw_pos itself assigned LAST
 *   (MySQL evaluates the assignments left to right, each seeing the ones before it, so an
 *   earlier _pw_pos assignment would make every later IF compare the new position with
 *   itself). VALUES(col) works on MariaDB and MySQL 8 (deprecated there since 8.0.20 in
 *   favour of row aliases, which MariaDB lacks; still working). That is the INSERT method's
 *   way; with LOAD DATA, `last` loads its new keys directly and the rest through a staging
 *   table (./upsert-last.ts), since LOAD DATA cannot make its duplicates conditional.
 */
export function rowWriter(spec: ResolvedSpec): RowWriter {
  let w = writers.get(spec);
  if (w) return w;
  const table = ident(spec.table);
  const cols = spec.columns.map((c) => ident(c.name));
  const policy = spec.key.length === 0 ? 'keep' : spec.duplicates === 'last' ? 'last' : 'first';
  const ignore = policy === 'first' ? ' IGNORE' : '';
  const load = `LOAD DATA LOCAL INFILE 'pipewarden-batch'${ignore} INTO TABLE ${table} CHARACTER SET utf8mb4 (${cols.join(', ')})`;
  let insert = `INSERT${ignore} INTO ${table} (${cols.join(', ')}) VALUES ?`;
  let insertNew = insert;
  if (policy === 'last') {
    const pos = ident(POSITION_COLUMN);
    const newer = `VALUES(${pos}) > ${pos}`;
    const sets = spec.columns.filter((c) => !c.key).map((c) => `${ident(c.name)} = IF(${newer}, VALUES(${ident(c.name)}), ${ident(c.name)})`);
    sets.push(`${pos} = IF(${newer}, VALUES(${pos}), ${pos})`);
    insert = `INSERT INTO ${table} (${cols.join(', ')}, ${pos}) VALUES ? ON DUPLICATE KEY UPDATE ${sets.join(', ')}`;
    insertNew = `INSERT IGNORE INTO ${table} (${cols.join(', ')}, ${pos}) VALUES ?`;
  }
  w = { policy, load, insert, insertNew };
  writers.set(spec, w);
  return w;
}


/** "Records: 3  Duplicates: 1  Warnings: 0" (a multi-row INSERT's info): rows that met an existing key. */
function duplicatesOf(res: ResultSetHeader): number | null {
  const m = /Duplicates:\s*(\d+)/.exec(res.info ?? '');
  return m ? Number(m[1]) : null;
}

export interface LedgerEntry {
  batchId: string;
  /** The source range the batch covers: a ledger hit counts only when it is the same range. */
  sourceKey: string;
  sourceEtag: string;
  firstRecord: number;
  recordCount: number;
  rowsKept: number;
  rowsInserted: number;
  rowsDuplicate: number;
  rowsRejected: number;
  keyChecksum: string;
  committedBy: string;
}

export async function ledgerEntry(conn: Pick<PoolConnection, 'query'>, batchId: string): Promise<LedgerEntry | null> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT batch_id, source_key, source_etag, first_record, record_count, rows_kept, rows_inserted, rows_duplicate, rows_rejected, key_checksum, committed_by FROM \`${TABLES.ledger}\` WHERE batch_id = ?`,
    [batchId],
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  return {
    batchId: r.batch_id,
    sourceKey: r.source_key,
    sourceEtag: r.source_etag,
    firstRecord: Number(r.first_record),
    recordCount: Number(r.record_count),
    rowsKept: Number(r.rows_kept),
    rowsInserted: Number(r.rows_inserted),
    rowsDuplicate: Number(r.rows_duplicate),
    rowsRejected: Number(r.rows_rejected),
    keyChecksum: r.key_checksum,
    committedBy: r.committed_by,
  };
}

/**
 * How a ledger row differs from the batch an intent describes, or null when it is the same
 * batch: same object version, same record range, same kept/rejected counts and key checksum.
 * A batch id is a hash of (key, ETag, first record) only, so the same id can name a range
 * of another length (a batch cut with another batch size): that is not a replay.
 */
export function ledgerMismatch(entry: LedgerEntry, intent: IntentRecord): string | null {
  const { src } = intent;
  const diffs: string[] = [];
  if (entry.sourceKey !== src.key || entry.sourceEtag !== src.etag) diffs.push(`object ${entry.sourceKey} (ETag ${entry.sourceEtag})`);
  if (entry.firstRecord !== src.firstRecord || entry.recordCount !== src.records) diffs.push(`records ${entry.firstRecord}…${entry.firstRecord + entry.recordCount - 1}`);
  if (entry.rowsKept !== intent.rows || entry.rowsRejected !== intent.rejected) diffs.push(`${entry.rowsKept} kept and ${entry.rowsRejected} rejected`);
  if (entry.keyChecksum !== intent.check) diffs.push(`key checksum ${entry.keyChecksum}`);
  return diffs.length ? diffs.join(', ') : null;
}

/**
 * Every ledger batch of these objects loaded by this pipeline, by object key and ETag, in
 * record order: one query per 500 keys (a few bytes per batch). The loader reads it at the
 * start of every pass. Two pipelines may read the same object into two tables: each sees
 * only its own batches (index ix_pipeline_source).
 */
export async function ledgerRanges(conn: Pick<PoolConnection, 'query'>, keys: readonly string[], pipeline: string = DEFAULT_PIPELINE): Promise<Map<string, Map<string, LedgerRange[]>>> {
  const out = new Map<string, Map<string, LedgerRange[]>>();
  for (let i = 0; i < keys.length; i += 500) {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT source_key, source_etag, first_record, record_count, end_byte, next_line, rows_inserted, rows_duplicate, rows_rejected FROM \`${TABLES.ledger}\` WHERE pipeline = ? AND source_key IN (?) ORDER BY source_key, source_etag, first_record`,
      [pipeline, keys.slice(i, i + 500)],
    );
    for (const r of rows) {
      let byEtag = out.get(r.source_key);
      if (!byEtag) out.set(r.source_key, (byEtag = new Map()));
      let list = byEtag.get(r.source_etag);
      if (!list) byEtag.set(r.source_etag, (list = []));
      list.push({
        firstRecord: Number(r.first_record),
        recordCount: Number(r.record_count),
        ...(r.end_byte !== null && r.next_line !== null ? { endByte: Number(r.end_byte), nextLine: Number(r.next_line) } : {}),
        rowsInserted: Number(r.rows_inserted),
        rowsDuplicate: Number(r.rows_duplicate),
        rowsRejected: Number(r.rows_rejected),
      });
    }
  }
  return out;
}

/** Which of these batch ids have a ledger row. */
export async function ledgerHasAny(conn: Pick<PoolConnection, 'query'>, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const [rows] = await conn.query<RowDataPacket[]>(`SELECT batch_id FROM \`${TABLES.ledger}\` WHERE batch_id IN (?)`, [chunk]);
    for (const r of rows) found.add(r.batch_id);
  }
  return found;
}

/**
 * Write the batch's rows; returns how many were inserted as new rows. Under `last` the
 * lines must be the whole batch in order (a row's position is its index in the batch).
 */
async function insertRows(conn: PoolConnection, spec: ResolvedSpec, intent: IntentRecord, tsv: Buffer, method: WriteMethod): Promise<number> {
  if (tsv.length === 0) return 0;
  const w = rowWriter(spec);
  const prefix = w.policy === 'last' ? batchPosition(intent.src.key, intent.src.firstRecord) : undefined;
  if (method === 'load-data') {
    if (prefix) return upsertLast(conn, spec, tsv, prefix);
    const [res] = await conn.query<ResultSetHeader>({ sql: w.load, infileStreamFactory: () => Readable.from([tsv]) });
    return res.affectedRows;
  }
  const lines = splitTsv(tsv.toString('utf8'));
  let inserted = 0;
  for (let i = 0; i < lines.length; i += INSERT_CHUNK_ROWS) {
    const rows: unknown[][] = lines.slice(i, i + INSERT_CHUNK_ROWS).map(decodeTsvLine);
    if (!prefix) {
      const [res] = await conn.query<ResultSetHeader>(w.insert, [rows]);
      inserted += res.affectedRows;
      continue;
    }
    rows.forEach((r, j) => r.push(rowPosition(prefix, i + j)));
    // A one-row INSERT … ON DUPLICATE KEY UPDATE reports no Duplicates count, and with
    // CLIENT_FOUND_ROWS (mysql2's default) its affected rows are 1 both for a new row and for
    // an existing one left as it was. INSERT IGNORE first says which, atomically: a lookup
    // before the upsert did not (two batches in flight, both finding the key absent, both
    // counted it as new). Only a key that was there goes on to the upsert.
    if (rows.length === 1) {
      const [ins] = await conn.query<ResultSetHeader>(w.insertNew, [rows]);
      if (ins.affectedRows === 0) await conn.query(w.insert, [rows]);
      inserted += ins.affectedRows;
      continue;
    }
    const [res] = await conn.query<ResultSetHeader>(w.insert, [rows]);
    const dup = duplicatesOf(res);
    if (dup === null) throw new Error(`the server did not report the duplicates of a ${rows.length}-row upsert (info "${res.info}")`);
    inserted += rows.length - dup;
  }
  return inserted;
}

async function insertDeadLetters(conn: PoolConnection, intent: IntentRecord, rejects: readonly DeadLetter[], pipeline: string): Promise<void> {
  for (let i = 0; i < rejects.length; i += 500) {
    const rows = rejects.slice(i, i + 500).map((d) => {
      const cut = d.raw.length > DEAD_LETTER_MAX_RAW;
      const detail = [d.detail, cut ? `raw cut to ${DEAD_LETTER_MAX_RAW} of ${d.raw.length} bytes` : undefined].filter(Boolean).join('; ') || null;
      return [intent.id, d.line, intent.src.key, d.reason, detail?.slice(0, 255) ?? null, cut ? d.raw.subarray(0, DEAD_LETTER_MAX_RAW) : d.raw, pipeline];
    });
    await conn.query(`INSERT IGNORE INTO \`${TABLES.deadLetters}\` (batch_id, line_number, source_key, reason, detail, raw, pipeline) VALUES ?`, [rows]);
  }
}

/**
 * A batch acknowledged as committed is no longer in the ledger: the server lost its latest
 * commits (a crash under innodb_flush_log_at_trx_commit=0/2) or a backup was restored.
 */
export class BatchVanishedError extends Error {
  constructor(readonly batchId: string) {
    super(`batch ${batchId}, acknowledged as committed, is no longer in the ledger`);
    this.name = 'BatchVanishedError';
  }
}

export interface BatchTxResult {
  /** False when the ledger already had the batch (a replay): nothing was written. */
  written: boolean;
  inserted: number;
  duplicate: number;
}

/**
 * Land a batch in one transaction. `tsv` holds the rows to insert (all of the batch for
 * the loader, only the missing ones for a repair). The ledger row goes in last; if it is
 * already there the whole transaction is undone and `written` is false.
 */
export async function writeBatchTx(
  conn: PoolConnection,
  opts: {
    /** The dataset: its table, columns, key and duplicate policy. */
    spec: ResolvedSpec;
    intent: IntentRecord;
    tsv: Buffer;
    rejects: readonly DeadLetter[];
    committedBy: 'loader' | 'reconciler';
    method: WriteMethod;
    /** The pipeline whose batch this is (config.pipeline): its ledger row and dead letters say so. Default `default`. */
    pipeline?: string;
    /**
     * A batch the writer had acknowledged as committed: the transaction first checks that
     * the ledger still holds it (and keeps it locked until COMMIT, so a restore cannot slip
     * in between), else throws BatchVanishedError and writes nothing.
     */
    stillCommitted?: string;
    /**
     * The object lease the writer works under (several loaders on one source): the
     * transaction first checks that the writer still holds it, and keeps it share-locked
     * until COMMIT, so a worker that lost its lease (stalled past its expiry, taken over)
     * can no longer commit a batch of that object; else LeaseLostError, nothing written.
     */
    lease?: LeaseFence;
    /**
     * A loader's batch: written only while no reconcile run holds the pipeline (the row stays
     * share-locked until COMMIT, so a run's hold waits for this transaction); else
     * PipelineHeldError, nothing written. The reconciler's own repairs do not ask.
     */
    respectHold?: boolean;
    /** Runs just before COMMIT (fault injection in tests). */
    beforeCommit?: () => Promise<void>;
  },
): Promise<BatchTxResult> {
  const { intent } = opts;
  const pipeline = opts.pipeline ?? DEFAULT_PIPELINE;
  if (opts.method === 'load-data' && rowWriter(opts.spec).policy === 'last') await prepareStaging(conn, opts.spec);
  // READ COMMITTED: no gap locks, so concurrent batches of random keys do not deadlock.
  await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
  await conn.beginTransaction();
  try {
    if (opts.stillCommitted !== undefined) {
      const [held] = await conn.query<RowDataPacket[]>(`SELECT 1 FROM \`${TABLES.ledger}\` WHERE batch_id = ? LOCK IN SHARE MODE`, [opts.stillCommitted]);
      if (held.length === 0) throw new BatchVanishedError(opts.stillCommitted);
    }
    if (opts.respectHold) await checkNotHeld(conn, pipeline);
    if (opts.lease) await holdLease(conn, opts.lease);
    const inserted = await insertRows(conn, opts.spec, intent, opts.tsv, opts.method);
    await insertDeadLetters(conn, intent, opts.rejects, pipeline);
    // Kept rows not inserted are keys already in the table (or repeated inside the batch):
    // duplicates of the source; under `last` that includes a row that replaced an existing
    // one or lost to it. InnoDB applies a transaction whole or not at all. A repair under
    // `first` sends only the missing rows and counts the rest as duplicates, as the loader
    // would have; under `last` it sends the whole batch, and a key a later batch has since
    // written counts as a duplicate of the repair.
    const duplicate = intent.rows - inserted;
    try {
      await conn.query(
        `INSERT INTO \`${TABLES.ledger}\` (batch_id, source_key, source_etag, first_record, record_count, rows_kept, rows_inserted, rows_duplicate, rows_rejected, key_checksum, committed_by, pipeline, end_byte, next_line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [intent.id, intent.src.key, intent.src.etag, intent.src.firstRecord, intent.src.records, intent.rows, inserted, Math.max(0, duplicate), intent.rejected, intent.check, opts.committedBy, pipeline, ...resumePoint(intent)],
      );
    } catch (e) {
      // The ledger already holds the batch (a replay racing a repair, or a retried COMMIT
      // that had succeeded): this transaction's rows were all duplicates; undo it.
      if ((e as { code?: string }).code === 'ER_DUP_ENTRY') {
        await conn.rollback();
        return { written: false, inserted: 0, duplicate: 0 };
      }
      throw e;
    }
    await opts.beforeCommit?.();
    await conn.commit();
    return { written: true, inserted, duplicate: Math.max(0, duplicate) };
  } catch (e) {
    // The transaction's own error is what the caller needs; a rollback that fails too means
    // the connection is gone (the server rolls back), and the caller destroys it anyway.
    await conn.rollback().catch(() => undefined);
    throw e;
  }
}

/** Each pipeline's ledger totals (`pipeline`, `batches`, `inserted`, `duplicate`): one GROUP BY over batch_ledger, a row per batch. */
export async function ledgerTotals(select: SelectRows): Promise<RowDataPacket[]> {
  return select(`SELECT pipeline, COUNT(*) AS batches, SUM(rows_inserted) AS inserted, SUM(rows_duplicate) AS duplicate FROM \`${TABLES.ledger}\` GROUP BY pipeline`);
}

/** Dead letters by pipeline and reason (`pipeline`, `reason`, `n`): one GROUP BY over index ix_pipeline_reason. */
export async function deadLetterCounts(select: SelectRows): Promise<RowDataPacket[]> {
  return select(`SELECT pipeline, reason, COUNT(*) AS n FROM \`${TABLES.deadLetters}\` GROUP BY pipeline, reason`);
}
