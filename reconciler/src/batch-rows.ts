// The fetch phase: where a batch in doubt gets its rows back. The Redis mirror first (exactly
// the bytes sent to MySQL), otherwise the source itself — the range the WAL intent names,
// read and normalized again by the same engine.
import type Redis from 'ioredis';
import { UserError, batchId, createRedis, datasetOf, mirrorKeys, rulesFor, errorMessage, getMirrorEntry, readCheckpoint, sizeCutting, type Checkpoint, type Config, type DeadLetter, type IntentRecord, type Logger, type MirrorKeys } from '@pipewarden/core';
import { InlineEngine, openSource, readHeader, type Source, type SourceObject } from '@pipewarden/loader';

export interface BatchRows {
  source: 'mirror' | 's3';
  tsv: Buffer;
  rejects: DeadLetter[];
  /** The intent the mirror entry carries (the WAL may have pruned its own copy). */
  intent?: IntentRecord;
}

/** The batch's mirror entry, or null when Redis has none (or is down, or the entry is unreadable: logged). */
export async function rowsFromMirror(redis: Redis | undefined, keys: MirrorKeys, id: string, log: Logger): Promise<BatchRows | null> {
  if (!redis) return null;
  try {
    const e = await getMirrorEntry(redis, keys, id);
    return e ? { source: 'mirror', tsv: e.rows, rejects: e.rejects, intent: e.intent } : null;
  } catch (e) {
    // The source still has the rows: fall back to it, but say why.
    log.warn('mirror entry not readable; re-reading the batch from the source', { batch: id, error: errorMessage(e) });
    return null;
  }
}

/**
 * Re-reads batches from their source objects for one reconcile run. The loader is paused and
 * its lock held meanwhile, so the checkpoint is read once and kept.
 */
class SourceRereader {
  private sources = new Map<string, Source>();
  private checkpoint?: Checkpoint;
  constructor(private readonly config: Config, private readonly log: Logger) {}

  /** One Source per bucket (or per file) is enough to read any range of it. */
  private static baseOf(key: string): string {
    return key.startsWith('s3://') ? key.replace(/^(s3:\/\/[^/]+\/).*$/, '$1') : key;
  }

  private sourceFor(key: string): Source {
    const base = SourceRereader.baseOf(key);
    let s = this.sources.get(base);
    if (!s) {
      s = openSource(base, this.config, { log: this.log });
      this.sources.set(base, s);
    }
    return s;
  }

  async rows(intent: IntentRecord): Promise<BatchRows> {
    const { src } = intent;
    // The checkpoint helps only for this version of the object.
    this.checkpoint ??= readCheckpoint(this.config.wal.dir);
    const cached = this.checkpoint.objects[src.key];
    const cp = cached?.etag === src.etag ? cached : undefined;
    const source = this.sourceFor(src.key);
    const object: SourceObject = { key: src.key, etag: src.etag, size: cp?.size ?? Number.MAX_SAFE_INTEGER };
    if (!cp) {
      // One HEAD (a stat for a file), not a listing of the bucket.
      const found = await source.stat(src.key);
      if (!found) throw new UserError(`batch ${intent.id}: its source object ${src.key} is gone and the mirror lost it`);
      object.size = found.size;
    }
    const ctl = new AbortController();
    try {
      // A byte-ranged re-read, with the header from the checkpoint or, on a host without it
      // (the reconciler runs anywhere), from the object's first line; a batch without byte
      // offsets (Spark) is found by reading from the top.
      // A Parquet object is entered at the batch's first row (its row groups are indexed).
      if (src.startByte < 0) await source.probe?.([object], ctl.signal);
      const byRow = object.format === 'parquet';
      const header = src.startByte < 0 || byRow ? undefined : cp?.header.length ? cp.header : await readHeader(source, object, ctl.signal);
      const start =
        header || byRow
          ? { nextRecord: src.firstRecord, nextByte: Math.max(0, src.startByte), nextLine: src.firstLine, header, batchSize: src.records }
          : { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: cp?.batchSize ?? sizeCutting(src.firstRecord, src.records) };
      for await (const draft of new InlineEngine(rulesFor(datasetOf(this.config))).batches(source, object, start, ctl.signal)) {
        if (draft.src.firstRecord < src.firstRecord) continue;
        if (draft.src.firstRecord > src.firstRecord) break;
        const id = batchId(draft.src.key, draft.src.etag, draft.src.firstRecord, this.config.pipeline);
        if (id !== intent.id || draft.src.records !== src.records) {
          throw new Error(`batch ${intent.id}: re-reading the source gave ${draft.src.records} records under id ${id}; expected ${src.records}`);
        }
        return { source: 's3', tsv: draft.tsv, rejects: draft.rejects };
      }
    } finally {
      ctl.abort();
    }
    throw new Error(`batch ${intent.id}: records ${src.firstRecord}…${src.firstRecord + src.records - 1} not found in ${src.key}`);
  }

  close(): void {
    for (const s of this.sources.values()) s.close();
  }
}

/** A batch to fetch: its id and intent, and its rows when the find phase already read them (mirror-only batches). */
export interface BatchToFetch {
  id: string;
  intent: IntentRecord;
  rows?: BatchRows;
}

/** A run's sources of rows: its connection to the mirror, and the source objects behind it. */
export class RowFetcher {
  readonly keys: MirrorKeys;
  private redis?: Redis;
  private readonly rereader: SourceRereader;

  constructor(private readonly config: Config, private readonly log: Logger) {
    this.keys = mirrorKeys(config.redis.keyPrefix);
    this.rereader = new SourceRereader(config, log);
  }

  /** The mirror, connected once for the run; undefined when Redis does not answer. */
  async connectMirror(): Promise<Redis | undefined> {
    // No retries: a Redis that is down means the rows come from the source, not a wait.
    const redis = createRedis(this.config, { role: 'reconciler', log: this.log, connectTimeoutMs: 2000, behaviour: { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null } });
    this.redis = redis;
    try {
      await redis.connect();
      return redis;
    } catch (e) {
      this.log.warn('Redis mirror unreachable; batches will be re-read from the source', { error: errorMessage(e) });
      return undefined;
    }
  }

  /** The batch's rows: from the find phase, else the mirror, else the source. */
  async rows(batch: BatchToFetch): Promise<BatchRows> {
    return batch.rows ?? (await rowsFromMirror(this.redis?.status === 'ready' ? this.redis : undefined, this.keys, batch.id, this.log)) ?? (await this.rereader.rows(batch.intent));
  }

  close(): void {
    this.redis?.disconnect();
    this.rereader.close();
  }
}
