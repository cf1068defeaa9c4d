// Who loads what: the live object leases (core/src/db/leases.ts) per pipeline and worker,
// when several loaders share a source. One small read of object_leases (index ix_owner):
// finished and lapsed leases are not counted, so a dead worker's series goes away once its
// leases expire.
import type { RowDataPacket } from 'mysql2/promise';
import { TABLES } from '@pipewarden/core';
import { num, type Collector, type Sample } from '../collector';
import type { MysqlClient } from '../clients';

export function leasesCollector(db: MysqlClient, pipelines: readonly string[]): Collector {
  const known = new Set(pipelines);
  return {
    name: 'leases',
    metrics: ['workerObjectsHeld'],
    async collect() {
      const rows = await db.query<RowDataPacket[]>(
        `SELECT pipeline, owner, COUNT(*) AS n FROM \`${TABLES.leases}\` WHERE owner IS NOT NULL AND done_records IS NULL AND expires_at > NOW(3) GROUP BY pipeline, owner`,
      );
      const workerObjectsHeld = rows.filter((r) => known.has(String(r.pipeline))).map((r): Sample => ({ labels: { pipeline: String(r.pipeline), worker: String(r.owner) }, value: num(r.n) }));
      return { workerObjectsHeld };
    },
  };
}
