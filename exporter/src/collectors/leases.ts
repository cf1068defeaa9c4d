// Who loads what: the live object and range leases (core/src/db/leases.ts, ranges.ts) per
// pipeline and worker, when several loaders share a source. One small read of object_leases
// and object_ranges (index ix_owner):
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
      // A range of a split object counts as one held object: it is what the worker loads.
      const live = (table: string) => `SELECT pipeline, owner FROM \`${table}\` WHERE owner IS NOT NULL AND done_records IS NULL AND expires_at > NOW(3)`;
      const rows = await db.query<RowDataPacket[]>(`SELECT pipeline, owner, COUNT(*) AS n FROM (${live(TABLES.leases)} UNION ALL ${live(TABLES.ranges)}) held GROUP BY pipeline, owner`);
      const workerObjectsHeld = rows.filter((r) => known.has(String(r.pipeline))).map((r): Sample => ({ labels: { pipeline: String(r.pipeline), worker: String(r.owner) }, value: num(r.n) }));
      return { workerObjectsHeld };
    },
  };
}
