// Pipeline state written the way the loader and reconciler write it, for tests and the
// benchmark, until the real loader lands: one ledger row per batch committed in the same
// transaction as its rows, a dead letter per rejected input row, WAL intents/commits,
// the checkpoint, the mirror's stats hash, and source objects in S3.
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type mysql from 'mysql2/promise';
import { DEFAULT_DATASET, readSpec, TABLES, WalWriter, writeCheckpoint, type Config, type IntentRecord, type ObjectCheckpoint } from '@pipewarden/core';

/** The default dataset's table (NYC parking violations): these tests and benches load it. */
const NYC_TABLE = readSpec(DEFAULT_DATASET).table;

export interface BatchFixture {
  /** Rows inserted (new keys), kept-but-duplicate rows, and rejected rows of the batch. */
  inserted: number;
  duplicate: number;
  rejected: number;
  reasons?: string[];
}

/** Summons numbers are allocated upwards from here so batches never collide. */
let nextKey = 1_000_000_000;

function batchId(n: number): string {
  return `t${String(n).padStart(23, '0')}`;
}

/** One batch of `pipeline`: its violations rows, dead letters and ledger row, in one transaction. */
export async function insertBatch(conn: mysql.Connection, n: number, b: BatchFixture, pipeline = 'default'): Promise<void> {
  const id = batchId(n);
  await conn.beginTransaction();
  try {
    if (b.inserted > 0) {
      const keys = Array.from({ length: b.inserted }, () => [nextKey++]);
      await conn.query(`INSERT INTO \`${NYC_TABLE}\` (summons_number) VALUES ?`, [keys]);
    }
    if (b.rejected > 0) {
      const reasons = b.reasons ?? ['invalid_key'];
      const rows = Array.from({ length: b.rejected }, (_, i) => [id, i + 2, `s3://bucket/obj-${n}.csv`, reasons[i % reasons.length], null, Buffer.from('raw'), pipeline]);
      await conn.query(`INSERT INTO \`${TABLES.deadLetters}\` (batch_id, line_number, source_key, reason, detail, raw, pipeline) VALUES ?`, [rows]);
    }
    const records = b.inserted + b.duplicate + b.rejected;
    await conn.query(
      `INSERT INTO \`${TABLES.ledger}\` (batch_id, source_key, source_etag, first_record, record_count, rows_kept, rows_inserted, rows_duplicate, rows_rejected, key_checksum, committed_by, pipeline)
       VALUES (?, ?, 'etag', ?, ?, ?, ?, ?, ?, 'x', 'loader', ?)`,
      [id, `s3://bucket/obj-${n}.csv`, n * records + 1, records, b.inserted + b.duplicate, b.inserted, b.duplicate, b.rejected, pipeline],
    );
    await conn.commit();
  } catch (e) {
    await conn.rollback();
    throw e;
  }
}

export interface RunFixture {
  outcome: 'success' | 'nothing_to_do' | 'failed' | 'dry_run';
  rowsInserted: number;
  /** Unix seconds; written with FROM_UNIXTIME like the reconciler, so the session time zone cancels out. */
  finishedAt: number | null;
}

export async function insertReconcileRun(conn: mysql.Connection, id: string, r: RunFixture, pipeline = 'default'): Promise<void> {
  await conn.query(
    `INSERT INTO \`${TABLES.reconcileRuns}\` (run_id, trigger_source, dry_run, started_at, finished_at, rows_inserted, outcome, pipeline)
     VALUES (?, 'api', ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?), ?, ?, ?)`,
    [id.padEnd(36, '0'), r.outcome === 'dry_run' ? 1 : 0, (r.finishedAt ?? Date.now() / 1000) - 5, r.finishedAt, r.rowsInserted, r.outcome, pipeline],
  );
}

function intent(id: string, key: string): IntentRecord {
  return { t: 'intent', id, src: { key, etag: 'e', firstRecord: 1, records: 10, startByte: 0, endByte: 100, firstLine: 2 }, rows: 10, rejected: 0, check: 'c', ts: Date.now() };
}

/** `committed` intents with their commit, then `inDoubt` intents without one. */
export async function writeWal(dir: string, committed: number, inDoubt: number, idPrefix = ''): Promise<void> {
  const w = await WalWriter.open(dir, 'loader', { fsync: 'never', segmentBytes: 1 << 16 });
  for (let i = 0; i < committed; i++) {
    const id = `${idPrefix}c${i}`;
    await w.append([intent(id, 's3://bucket/a.csv'), { t: 'commit', id, inserted: 10, duplicate: 0, ts: Date.now() }]);
  }
  for (let i = 0; i < inDoubt; i++) await w.append(intent(`${idPrefix}d${i}`, 's3://bucket/a.csv'));
  await w.close();
}

export function checkpointEntry(size: number, nextByte: number, done: boolean): ObjectCheckpoint {
  return { etag: 'e', size, nextRecord: 1, nextByte, nextLine: 2, header: [], batchSize: 5000, done, rowsIn: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0 };
}

function s3Client(config: Config): S3Client {
  return new S3Client({
    region: config.s3.region,
    endpoint: config.s3.endpoint,
    forcePathStyle: config.s3.forcePathStyle,
    credentials: { accessKeyId: config.s3.accessKeyId!, secretAccessKey: config.s3.secretAccessKey! },
  });
}

/** Create the bucket (unless it exists) and put objects of the given sizes under `prefix`; returns their canonical keys. */
export async function putSourceObjects(config: Config, bucket: string, sizes: number[], prefix = 'fy2014/'): Promise<string[]> {
  const s3 = s3Client(config);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: { name?: string }) => {
      if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
    });
    const keys: string[] = [];
    for (const [i, size] of sizes.entries()) {
      const key = `${prefix}part-${i}.csv`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(size, 'a') }));
      keys.push(`s3://${bucket}/${key}`);
    }
    return keys;
  } finally {
    s3.destroy();
  }
}

export { writeCheckpoint };
