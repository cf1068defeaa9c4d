// Who loads what: the live object and range leases per pipeline and worker, when several
// loaders share a source (core/src/db/leases.ts's heldObjectCounts, one small read of
// object_leases and object_ranges): finished and lapsed leases are not counted, so a dead
// worker's series goes away once its leases expire.
import type { RowDataPacket } from 'mysql2/promise';
import { heldObjectCounts } from '@pipewarden/core';
import { num, type Collector, type Sample } from '../collector';
import type { MysqlClient } from '../clients';

export function leasesCollector(db: MysqlClient, pipelines: readonly string[]): Collector {
  const known = new Set(pipelines);
  return {
    name: 'leases',
    metrics: ['workerObjectsHeld'],
    async collect() {
      const rows = await heldObjectCounts((sql) => db.query<RowDataPacket[]>(sql));
      const workerObjectsHeld = rows.filter((r) => known.has(String(r.pipeline))).map((r): Sample => ({ labels: { pipeline: String(r.pipeline), worker: String(r.owner) }, value: num(r.n) }));
      return { workerObjectsHeld };
    },
  };
}
