// Where a batch in doubt gets its rows back: the Redis mirror first (exactly the bytes
// sent to MySQL), otherwise the source itself — the range the WAL intent names, read and
// normalized again by the same engine.
import type Redis from 'ioredis';
import { UserError, batchId, errorMessage, getMirrorEntry, readCheckpoint, sizeCutting, type Config, type DeadLetter, type IntentRecord, type Logger, type MirrorKeys } from '@pipewarden/core';
import { InlineEngine, openSource, type Source } from '@pipewarden/loader';

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

export class SourceRereader {
  private sources = new Map<string, Source>();
  constructor(private readonly config: Config, private readonly log: Logger) {}

  private sourceFor(key: string): Source {
    // One Source per bucket (or per file) is enough to read any range of it.
    const base = key.startsWith('s3://') ? key.replace(/^(s3:\/\/[^/]+\/).*$/, '$1') : key;
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
    const cached = readCheckpoint(this.config.wal.dir).objects[src.key];
    const cp = cached?.etag === src.etag ? cached : undefined;
    const source = this.sourceFor(src.key);
    const object = { key: src.key, etag: src.etag, size: cp?.size ?? Number.MAX_SAFE_INTEGER };
    if (!cp) {
      const listed = (await source.list()).find((o) => o.key === src.key);
      if (!listed) throw new UserError(`batch ${intent.id}: its source object ${src.key} is gone and the mirror lost it`);
      object.size = listed.size;
    }
    // A byte-ranged re-read needs the header from the checkpoint; without either, read from the top.
    const ranged = src.startByte >= 0 && cp && cp.header.length > 0;
    const start = ranged
      ? { nextRecord: src.firstRecord, nextByte: src.startByte, nextLine: src.firstLine, header: cp.header, batchSize: src.records }
      : { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: cp?.batchSize ?? sizeCutting(src.firstRecord, src.records) };
    const ctl = new AbortController();
    try {
      for await (const draft of new InlineEngine().batches(source, object, start, ctl.signal)) {
        if (draft.src.firstRecord < src.firstRecord) continue;
        if (draft.src.firstRecord > src.firstRecord) break;
        const id = batchId(draft.src.key, draft.src.etag, draft.src.firstRecord);
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
