// When a commit MySQL acknowledged is on its disk. Under innodb_flush_log_at_trx_commit=1 it
// is at once; under 0 or 2 the server writes (0) and fsyncs (0 and 2) its redo log about every
// innodb_flush_log_at_timeout seconds, so a crash in that window loses acknowledged commits.
// A load says "finished" only once its commits are durable: it waits for the log flush here,
// then proves its objects against the ledger (loader/src/load.ts).
import type { Pool, RowDataPacket } from 'mysql2/promise';

export interface LogDurability {
  /** innodb_flush_log_at_trx_commit: 1 = durable at commit; 0 and 2 = durable after the next log flush. */
  flushAtCommit: number;
  /** innodb_flush_log_at_timeout: seconds between the server's log flushes under 0 and 2. */
  flushTimeoutSeconds: number;
}

/** The server's redo-log durability settings. */
export async function logDurability(pool: Pool): Promise<LogDurability> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT @@innodb_flush_log_at_trx_commit AS f, @@innodb_flush_log_at_timeout AS t');
  return { flushAtCommit: Number(rows[0].f), flushTimeoutSeconds: Number(rows[0].t) };
}

/** MariaDB's LSN counters (absent on MySQL, which has no unprivileged equivalent). */
async function lsn(pool: Pool): Promise<{ current: bigint; flushed: bigint } | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>("SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_lsn_current', 'Innodb_lsn_flushed')");
  const v = Object.fromEntries(rows.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)]));
  if (v.innodb_lsn_current === undefined || v.innodb_lsn_flushed === undefined) return undefined;
  return { current: BigInt(v.innodb_lsn_current), flushed: BigInt(v.innodb_lsn_flushed) };
}

/**
 * Wait until every commit acknowledged before the call is on the server's disk. MariaDB says
 * so exactly (its flushed LSN reaches the LSN current at the call, polled every 100 ms); on a
 * server without those counters (MySQL) the wait is the flush interval plus a second, which
 * the server's once-per-interval flush fits in. Says how it knew: `lsn-late` when MariaDB's
 * log was still not flushed after five intervals (a server falling behind its flushes).
 */
export async function waitForLogFlush(pool: Pool, d: LogDurability, sleep: (ms: number) => Promise<void>): Promise<'lsn' | 'interval' | 'lsn-late'> {
  const intervalMs = (d.flushTimeoutSeconds + 1) * 1000;
  const start = await lsn(pool);
  if (!start) {
    await sleep(intervalMs);
    return 'interval';
  }
  const deadline = Date.now() + intervalMs * 5;
  let flushed = start.flushed;
  while (flushed < start.current) {
    if (Date.now() > deadline) return 'lsn-late';
    await sleep(100);
    flushed = (await lsn(pool))?.flushed ?? flushed;
  }
  return 'lsn';
}
