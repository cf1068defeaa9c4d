// The lag of a replica of the target MySQL (PIPEWARDEN_REPLICA_URL), for the loaders' back-off:
// analysts reading a replica see stale tables while a bulk load runs ahead of replication.
// Read as the replica reports it: SHOW REPLICA STATUS (MySQL 8.0.22+, MariaDB 10.5.1+), else
// SHOW SLAVE STATUS (older servers; MySQL 8.4 has only the former), column
// Seconds_Behind_Source or Seconds_Behind_Master. Unknown (undefined) when the server is no
// replica, replication is stopped (the column is NULL), or the replica cannot be read: then
// nobody waits, since a stopped replica would otherwise stop every load indefinitely.
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { createPool, parseMysqlUrl, type Config, type Logger } from '@pipewarden/core';

const QUIET_MS = 10_000;

export class ReplicaLag {
  private readonly pool: Pool;
  private statement = 'SHOW REPLICA STATUS';
  private warned = false;
  /** After a failed read the replica is not asked again for a while: a blackholed host would cost every batch a connect timeout. */
  private quietUntil = 0;

  constructor(
    config: Config,
    private readonly log: Logger,
  ) {
    const url = config.rate.replicaUrl;
    // Through the one pool factory (UTC sessions, statement deadlines), aimed at the replica.
    const password = parseMysqlUrl(url).password === undefined ? config.mysql.password : undefined;
    this.pool = createPool({ ...config, mysql: { ...config.mysql, url, password, connections: 1 } }, { connectTimeout: 2000 });
  }

  /** Seconds behind its source, or undefined when unknown. */
  async seconds(): Promise<number | undefined> {
    if (Date.now() < this.quietUntil) return undefined;
    try {
      const [rows] = await this.pool.query<RowDataPacket[]>(this.statement);
      // A multi-source replica has one row per connection: the slowest counts.
      const lags = rows.map((r) => r.Seconds_Behind_Source ?? r.Seconds_Behind_Master).filter((v) => v !== null && v !== undefined).map(Number);
      if (lags.length === rows.length && lags.length > 0) {
        this.warned = false; // replicating again: a later stop is worth a new warning
        return Math.max(...lags);
      }
      if (rows.length > 0) this.once('the watched replica is not replicating (its lag is NULL); loading goes on without waiting for it', {});
      return undefined;
    } catch (e) {
      if ((e as { errno?: number }).errno === 1064 && this.statement === 'SHOW REPLICA STATUS') {
        this.statement = 'SHOW SLAVE STATUS';
        return this.seconds();
      }
      this.once('cannot read the watched replica\'s lag; loading goes on without waiting for it', { error: (e as Error).message });
      this.quietUntil = Date.now() + QUIET_MS;
      return undefined;
    }
  }

  private once(message: string, fields: Record<string, unknown>): void {
    if (this.warned) return;
    this.warned = true;
    this.log.warn(message, fields);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
