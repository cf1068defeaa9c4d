// Object leases: how several loaders (processes, hosts) share one pipeline's source without
// a cluster manager. MySQL holds one row per object (table object_leases); a loader claims
// an object for `seconds`, renews the claim while it works, and marks the object done with
// its record count. A lease that was not renewed in time may be taken over by another
// loader, which resumes the object from the ledger. Times are the server's (NOW(3)), so the
// hosts' clocks do not matter.
//
// Exactly-once does not rest on the leases: batch ids and the ledger's primary key already
// make a batch land once, whoever writes it. What the lease adds is fencing: every batch
// transaction of a leased object share-locks the lease row and checks that its writer still
// holds it (holdLease), so a loader that stalled past its expiry while another took the
// object over cannot commit a later batch out of order.
import { createHash } from 'node:crypto';
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { SelectRows } from './connection';
import { TABLES } from './schema';

type Queryable = Pick<PoolConnection, 'query'>;

/** The lease row's key for an object (its key may be longer than an index allows). */
export function objectHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What a batch transaction checks before it writes: this writer holds this object version's lease (or its range's). */
export interface LeaseFence {
  pipeline: string;
  key: string;
  etag: string;
  owner: string;
  /** The first record of the range of a split object the lease is on (core/src/db/ranges.ts); absent for a whole object. */
  range?: number;
}

/** The row a fence names: the object's in object_leases, or its range's in object_ranges. */
function leaseTarget(f: LeaseFence): { table: string; where: string; params: (string | number)[] } {
  if (f.range === undefined) return { table: TABLES.leases, where: 'pipeline = ? AND object_hash = ?', params: [f.pipeline, objectHash(f.key)] };
  return { table: TABLES.ranges, where: 'pipeline = ? AND object_hash = ? AND first_record = ?', params: [f.pipeline, objectHash(f.key), f.range] };
}

export class LeaseLostError extends Error {
  constructor(
    readonly key: string,
    readonly owner: string,
  ) {
    super(`the lease on ${key} is no longer held by ${owner} (it expired and another loader took the object over, or the object changed)`);
    this.name = 'LeaseLostError';
  }
}

/** Inside a batch transaction: hold the lease row (shared) until COMMIT, or throw LeaseLostError. */
export async function holdLease(conn: Queryable, f: LeaseFence): Promise<void> {
  const t = leaseTarget(f);
  const [rows] = await conn.query<RowDataPacket[]>(`SELECT 1 FROM \`${t.table}\` WHERE ${t.where} AND owner = ? AND source_etag = ? LOCK IN SHARE MODE`, [...t.params, f.owner, f.etag]);
  if (rows.length === 0) throw new LeaseLostError(f.key, f.owner);
}

/**
 * One row per listed object version. A version not seen before (a new ETag) is not done,
 * whatever the old version was; its current holder, if any, loses the lease at its next
 * check (the fence compares the ETag).
 */
export async function registerObjects(conn: Queryable, pipeline: string, objects: readonly { key: string; etag: string }[]): Promise<void> {
  for (let i = 0; i < objects.length; i += 500) {
    const rows = objects.slice(i, i + 500).map((o) => [pipeline, objectHash(o.key), o.key, o.etag]);
    // done_records and split are assigned before source_etag: MySQL evaluates the
    // assignments left to right, so they still compare with the stored ETag.
    await conn.query(
      `INSERT INTO \`${TABLES.leases}\` (pipeline, object_hash, source_key, source_etag) VALUES ? ON DUPLICATE KEY UPDATE done_records = IF(source_etag = VALUES(source_etag), done_records, NULL), split = IF(source_etag = VALUES(source_etag), split, NULL), source_etag = VALUES(source_etag)`,
      [rows],
    );
  }
  // The ranges of an older version cut nothing of the new one (their holders' fences fail).
  await conn.query(
    `DELETE r FROM \`${TABLES.ranges}\` r JOIN \`${TABLES.leases}\` l ON l.pipeline = r.pipeline AND l.object_hash = r.object_hash WHERE r.pipeline = ? AND r.source_etag <> l.source_etag`,
    [pipeline],
  );
}

export interface LeaseRow {
  key: string;
  etag: string;
  owner: string | null;
  /** Milliseconds until the lease expires, by the server's clock (≤ 0: expired). */
  expiresInMs: number | null;
  /** The object's record count once a loader finished it (null while not done). */
  doneRecords: number | null;
  /** Cut into ranges (core/src/db/ranges.ts): null when loaded whole, 0 while its ranges are being found, 1 once all are. */
  split: number | null;
}

function leaseRow(r: RowDataPacket): LeaseRow {
  return {
    key: r.source_key,
    etag: r.source_etag,
    owner: r.owner,
    expiresInMs: r.expires_in_ms === null ? null : Number(r.expires_in_ms),
    doneRecords: r.done_records === null ? null : Number(r.done_records),
    split: r.split === undefined || r.split === null ? null : Number(r.split),
  };
}

const LEASE_COLUMNS = 'source_key, source_etag, owner, TIMESTAMPDIFF(MICROSECOND, NOW(3), expires_at) DIV 1000 AS expires_in_ms, done_records, split';

/** The lease rows of these objects, by object key. */
export async function leaseRows(conn: Queryable, pipeline: string, keys: readonly string[]): Promise<Map<string, LeaseRow>> {
  const out = new Map<string, LeaseRow>();
  for (let i = 0; i < keys.length; i += 500) {
    const [rows] = await conn.query<RowDataPacket[]>(`SELECT ${LEASE_COLUMNS} FROM \`${TABLES.leases}\` WHERE pipeline = ? AND object_hash IN (?)`, [pipeline, keys.slice(i, i + 500).map(objectHash)]);
    for (const r of rows) out.set(r.source_key, leaseRow(r));
  }
  return out;
}

export type ClaimResult =
  | {
      result: 'claimed';
      /** The loader whose lease this claim took over: lapsed, or held from this seat by a dead predecessor (`ownSeat`). */
      tookOverFrom?: string;
      ownSeat?: boolean;
    }
  | { result: 'held'; owner: string | null }
  | { result: 'done'; records: number };

/**
 * Claim an object version for `seconds`: free, already this owner's, expired, or held from
 * this loader's `seat` (its host and run folder, whose lock file the caller holds: the
 * holder there is a dead predecessor, restarted as this loader). The row is
 * read FOR UPDATE SKIP LOCKED: a row another loader is claiming, or whose batch is being
 * committed under its lease, is skipped (held) rather than waited for.
 */
export async function claimObject(conn: PoolConnection, f: LeaseFence, seconds: number, seat: string): Promise<ClaimResult> {
  const hash = objectHash(f.key);
  await conn.beginTransaction();
  try {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT source_etag, owner, seat, expires_at > NOW(3) AS live, done_records FROM \`${TABLES.leases}\` WHERE pipeline = ? AND object_hash = ? FOR UPDATE SKIP LOCKED`,
      [f.pipeline, hash],
    );
    const row = rows[0];
    let out: ClaimResult;
    if (!row) {
      // Not registered (a listing newer than the others'), or locked by another loader.
      const [ins] = await conn.query<ResultSetHeader>(
        `INSERT IGNORE INTO \`${TABLES.leases}\` (pipeline, object_hash, source_key, source_etag, owner, seat, expires_at, claimed_at) VALUES (?, ?, ?, ?, ?, ?, NOW(3) + INTERVAL ? MICROSECOND, NOW(3))`,
        [f.pipeline, hash, f.key, f.etag, f.owner, seat, Math.round(seconds * 1e6)],
      );
      out = ins.affectedRows === 1 ? { result: 'claimed' } : { result: 'held', owner: null };
    } else if (row.source_etag === f.etag && row.done_records !== null) {
      out = { result: 'done', records: Number(row.done_records) };
    } else if (row.owner !== null && row.owner !== f.owner && row.seat !== seat && Number(row.live) === 1) {
      out = { result: 'held', owner: row.owner };
    } else {
      await conn.query(
        `UPDATE \`${TABLES.leases}\` SET done_records = IF(source_etag = ?, done_records, NULL), split = IF(source_etag = ?, split, NULL), source_etag = ?, owner = ?, seat = ?, expires_at = NOW(3) + INTERVAL ? MICROSECOND, claimed_at = NOW(3) WHERE pipeline = ? AND object_hash = ?`,
        [f.etag, f.etag, f.etag, f.owner, seat, Math.round(seconds * 1e6), f.pipeline, hash],
      );
      out = { result: 'claimed', ...(row.owner !== null && row.owner !== f.owner ? { tookOverFrom: row.owner as string, ownSeat: row.seat === seat } : {}) };
    }
    await conn.commit();
    return out;
  } catch (e) {
    await conn.rollback().catch(() => undefined);
    throw e;
  }
}

/** Extend a held lease by `seconds` from now; false when it is no longer this owner's. */
export async function renewLease(conn: Queryable, f: LeaseFence, seconds: number): Promise<boolean> {
  const t = leaseTarget(f);
  const [res] = await conn.query<ResultSetHeader>(`UPDATE \`${t.table}\` SET expires_at = NOW(3) + INTERVAL ? MICROSECOND WHERE ${t.where} AND owner = ? AND source_etag = ? AND done_records IS NULL`, [
    Math.round(seconds * 1e6),
    ...t.params,
    f.owner,
    f.etag,
  ]);
  // mysql2 sets CLIENT_FOUND_ROWS: matched rows, even when the expiry did not change.
  return res.affectedRows === 1;
}

/** The object is loaded: its record count, for every loader's proof against the ledger; the lease is released. */
export async function finishObject(conn: Queryable, f: LeaseFence, records: number): Promise<boolean> {
  const [res] = await conn.query<ResultSetHeader>(
    `UPDATE \`${TABLES.leases}\` SET done_records = ?, owner = NULL, expires_at = NULL WHERE pipeline = ? AND object_hash = ? AND owner = ? AND source_etag = ?`,
    [records, f.pipeline, objectHash(f.key), f.owner, f.etag],
  );
  return res.affectedRows === 1;
}

/** Give the object back unfinished (a stop, an error): another loader may claim it at once. */
export async function releaseLease(conn: Queryable, f: LeaseFence): Promise<void> {
  const t = leaseTarget(f);
  await conn.query(`UPDATE \`${t.table}\` SET owner = NULL, expires_at = NULL WHERE ${t.where} AND owner = ?`, [...t.params, f.owner]);
}

/** A done mark whose record count the ledger no longer confirms (the server lost batches): not done. */
export async function reopenObject(conn: Queryable, f: LeaseFence, records: number): Promise<void> {
  await conn.query(`UPDATE \`${TABLES.leases}\` SET done_records = NULL WHERE pipeline = ? AND object_hash = ? AND source_etag = ? AND done_records = ?`, [f.pipeline, objectHash(f.key), f.etag, records]);
}

/**
 * Live claims by pipeline and worker (`pipeline`, `owner`, `n`): object leases and ranges
 * (ranges.ts) not done and not lapsed, a range counting as one held object (what its worker
 * loads). One small read of each table (index ix_owner).
 */
export async function heldObjectCounts(select: SelectRows): Promise<RowDataPacket[]> {
  const live = (table: string) => `SELECT pipeline, owner FROM \`${table}\` WHERE owner IS NOT NULL AND done_records IS NULL AND expires_at > NOW(3)`;
  return select(`SELECT pipeline, owner, COUNT(*) AS n FROM (${live(TABLES.leases)} UNION ALL ${live(TABLES.ranges)}) held GROUP BY pipeline, owner`);
}
