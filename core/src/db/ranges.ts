// Byte ranges of a large object, so several loaders load one object at once. A range is a
// run of whole batches: it begins at a record ordinal 1 + k·(batch size) and holds a multiple
// of the batch size (the last one excepted), so its batches and their ids are exactly those of
// a whole-object load and the
// exactly-once proof is unchanged (the ledger's primary key on batch ids). Where a range
// begins in the object (byte, line) can only be known by reading the object from its top
// (a quoted field may hold a line end), so one loader at a time, holding the object's lease,
// finds the ranges in a fast pass that splits records but converts nothing, and publishes
// each range as it is found (object_ranges); every loader, that one included, then claims
// ranges like objects: FOR UPDATE SKIP LOCKED, renewed while loading, taken over after
// expiry, fenced in every batch transaction (holdLease with the fence's `range`).
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { holdLease, objectHash, type LeaseFence } from './leases';
import { TABLES } from './schema';

type Queryable = Pick<PoolConnection, 'query'>;

/** Where a range lies in its object version. */
export interface ObjectRange {
  /** Ordinal of its first record (1 = the first after the header). */
  firstRecord: number;
  records: number;
  /** The batch size its records are cut with (a multiple of it fills every range but the last). */
  batchSize: number;
  /** Where its first record may begin (after the previous range's last record) and its line. */
  startByte: number;
  startLine: number;
  /** Where its last record ends, and the line after it: the next range's start. */
  endByte: number;
  nextLine: number;
}

export interface RangeRow extends ObjectRange {
  owner: string | null;
  /** Records the range holds once a loader finished it (null while not done). */
  doneRecords: number | null;
}

function rangeRow(r: RowDataPacket): RangeRow {
  return {
    firstRecord: Number(r.first_record),
    records: Number(r.record_count),
    batchSize: Number(r.batch_size),
    startByte: Number(r.start_byte),
    startLine: Number(r.start_line),
    endByte: Number(r.end_byte),
    nextLine: Number(r.next_line),
    owner: r.owner,
    doneRecords: r.done_records === null ? null : Number(r.done_records),
  };
}

const RANGE_COLUMNS = 'first_record, record_count, batch_size, start_byte, start_line, end_byte, next_line, owner, done_records';

/**
 * Publish ranges found so far (and, with `complete`, say that they are all), as the holder of
 * the object's lease: a finder that lost it to another (which goes on from the last range
 * published) adds nothing. Rows already there are kept (a finder that resumed publishes the
 * same boundaries again).
 */
export async function publishRanges(conn: PoolConnection, f: LeaseFence, ranges: readonly ObjectRange[], complete: boolean): Promise<void> {
  await conn.beginTransaction();
  try {
    await holdLease(conn, f);
    if (ranges.length > 0) {
      const h = objectHash(f.key);
      const rows = ranges.map((r) => [f.pipeline, h, r.firstRecord, f.etag, r.records, r.batchSize, r.startByte, r.startLine, r.endByte, r.nextLine]);
      await conn.query(`INSERT IGNORE INTO \`${TABLES.ranges}\` (pipeline, object_hash, first_record, source_etag, record_count, batch_size, start_byte, start_line, end_byte, next_line) VALUES ?`, [rows]);
    }
    await conn.query(`UPDATE \`${TABLES.leases}\` SET split = ? WHERE pipeline = ? AND object_hash = ? AND owner = ? AND source_etag = ?`, [complete ? 1 : 0, f.pipeline, objectHash(f.key), f.owner, f.etag]);
    await conn.commit();
  } catch (e) {
    await conn.rollback().catch(() => undefined);
    throw e;
  }
}

/** The ranges published for an object version, in order. */
export async function objectRanges(conn: Queryable, pipeline: string, key: string, etag: string): Promise<RangeRow[]> {
  const [rows] = await conn.query<RowDataPacket[]>(`SELECT ${RANGE_COLUMNS} FROM \`${TABLES.ranges}\` WHERE pipeline = ? AND object_hash = ? AND source_etag = ? ORDER BY first_record`, [pipeline, objectHash(key), etag]);
  return rows.map(rangeRow);
}

export type RangeClaim = { range: RangeRow; tookOverFrom?: string; ownSeat?: boolean } | { range: undefined };

/**
 * Claim the first range of an object version that is not done and is free, this owner's,
 * held from this `seat` (a dead predecessor's), or lapsed; like claimObject, rows other
 * loaders are claiming or committing under are skipped, not waited for.
 */
export async function claimRange(conn: PoolConnection, f: LeaseFence, seconds: number, seat: string): Promise<RangeClaim> {
  const h = objectHash(f.key);
  await conn.beginTransaction();
  try {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT ${RANGE_COLUMNS}, seat FROM \`${TABLES.ranges}\` WHERE pipeline = ? AND object_hash = ? AND source_etag = ? AND done_records IS NULL AND (owner IS NULL OR owner = ? OR seat = ? OR expires_at <= NOW(3)) ORDER BY first_record LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [f.pipeline, h, f.etag, f.owner, seat],
    );
    if (rows.length === 0) {
      await conn.commit();
      return { range: undefined };
    }
    const r = rows[0];
    await conn.query(`UPDATE \`${TABLES.ranges}\` SET owner = ?, seat = ?, expires_at = NOW(3) + INTERVAL ? MICROSECOND, claimed_at = NOW(3) WHERE pipeline = ? AND object_hash = ? AND first_record = ?`, [
      f.owner,
      seat,
      Math.round(seconds * 1e6),
      f.pipeline,
      h,
      r.first_record,
    ]);
    await conn.commit();
    const range = rangeRow(r);
    return r.owner !== null && r.owner !== f.owner ? { range, tookOverFrom: r.owner as string, ownSeat: r.seat === seat } : { range };
  } catch (e) {
    await conn.rollback().catch(() => undefined);
    throw e;
  }
}

/** The range is loaded: its record count, and the lease released. False when it was no longer this owner's. */
export async function finishRange(conn: Queryable, f: LeaseFence & { range: number }, records: number): Promise<boolean> {
  const [res] = await conn.query<ResultSetHeader>(
    `UPDATE \`${TABLES.ranges}\` SET done_records = ?, owner = NULL, expires_at = NULL WHERE pipeline = ? AND object_hash = ? AND first_record = ? AND owner = ? AND source_etag = ?`,
    [records, f.pipeline, objectHash(f.key), f.range, f.owner, f.etag],
  );
  return res.affectedRows === 1;
}

/**
 * Once every range of a fully split object version is done, the object is: its done mark
 * gets the sum of their records, the same mark (and the same proof against the ledger) as a
 * whole-object load. Whoever finishes a range asks; the last one to finish gets true.
 */
export async function finishSplitObject(conn: Queryable, pipeline: string, key: string, etag: string): Promise<boolean> {
  const h = objectHash(key);
  const [res] = await conn.query<ResultSetHeader>(
    `UPDATE \`${TABLES.leases}\` SET done_records = (SELECT COALESCE(SUM(record_count), 0) FROM \`${TABLES.ranges}\` WHERE pipeline = ? AND object_hash = ? AND source_etag = ?), owner = NULL, expires_at = NULL
      WHERE pipeline = ? AND object_hash = ? AND source_etag = ? AND split = 1 AND done_records IS NULL
        AND NOT EXISTS (SELECT 1 FROM \`${TABLES.ranges}\` WHERE pipeline = ? AND object_hash = ? AND source_etag = ? AND done_records IS NULL)`,
    [pipeline, h, etag, pipeline, h, etag, pipeline, h, etag],
  );
  return res.affectedRows === 1;
}

/** A range's done mark the ledger no longer confirms (the server lost batches): not done, to be claimed again. */
export async function reopenRange(conn: Queryable, pipeline: string, key: string, etag: string, range: RangeRow): Promise<void> {
  await conn.query(`UPDATE \`${TABLES.ranges}\` SET done_records = NULL WHERE pipeline = ? AND object_hash = ? AND source_etag = ? AND first_record = ? AND done_records = ?`, [
    pipeline,
    objectHash(key),
    etag,
    range.firstRecord,
    range.doneRecords,
  ]);
}
