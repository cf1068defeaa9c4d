// The Redis mirror's layout: one compact entry per batch (its TSV rows, as sent to MySQL,
// optionally deflated) plus its WAL intent, so a mirror entry alone is enough to repair
// a batch. An index (sorted set by commit time) bounds retention; a stats hash keeps
// totals so the exporter reads them in O(1).
import type Redis from 'ioredis';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { IntentRecord } from './wal/record';
import { decodeDeadLetters, encodeDeadLetters, type DeadLetter } from './record/dead-letter';

export interface MirrorKeys {
  index: string;
  stats: string;
  entry(id: string): string;
}

export function mirrorKeys(prefix: string): MirrorKeys {
  return {
    index: `${prefix}mirror:index`,
    stats: `${prefix}mirror:stats`,
    entry: (id) => `${prefix}mirror:b:${id}`,
  };
}

export interface MirrorEntry {
  intent: IntentRecord;
  /** TSV payload (one line per kept row). */
  rows: Buffer;
  /** The batch's dead letters: a repair must write them too. */
  rejects: DeadLetter[];
}

function encodeRows(tsv: Buffer, compress: boolean): { enc: string; data: Buffer } {
  return compress ? { enc: 'tsv+deflate', data: deflateRawSync(tsv, { level: 1 }) } : { enc: 'tsv', data: tsv };
}

function decodeRows(enc: string, data: Buffer): Buffer {
  if (enc === 'tsv') return data;
  if (enc === 'tsv+deflate') return inflateRawSync(data);
  throw new Error(`unknown mirror encoding "${enc}"`);
}

/**
 * An entry's size in the stats hash: its rows and its dead letters. Put stores it in the
 * entry and adds it; trim subtracts that stored size, so the byte counter returns to 0 with
 * the mirror.
 */
function entrySize(rows: Buffer, deadLetters: Buffer): number {
  return rows.length + deadLetters.length;
}

// Entry, index and stats in one atomic step. Putting an entry that is already there (a
// write retried after a timeout whose first attempt did land) replaces it and corrects the
// byte count by the difference, so the stats never count a batch twice.
const PUT_ENTRY = `
local old = redis.call('HGET', KEYS[1], 'size')
redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'enc', ARGV[2], 'rows', ARGV[3], 'rejects', ARGV[4], 'size', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])
if old then
  redis.call('HINCRBY', KEYS[3], 'bytes', tonumber(ARGV[5]) - tonumber(old))
else
  redis.call('HINCRBY', KEYS[3], 'bytes', ARGV[5])
  redis.call('HINCRBY', KEYS[3], 'batches', 1)
end
return 1`;

/** Write one batch's mirror entry (entry, index and stats in one atomic script). */
export async function putMirrorEntry(redis: Redis, keys: MirrorKeys, intent: IntentRecord, tsv: Buffer, rejects: readonly DeadLetter[], compress: boolean): Promise<void> {
  const { enc, data } = encodeRows(tsv, compress);
  const dl = rejects.length > 0 ? encodeDeadLetters(rejects) : Buffer.alloc(0);
  await redis.eval(PUT_ENTRY, 3, keys.entry(intent.id), keys.index, keys.stats, JSON.stringify(intent), enc, data, dl, String(entrySize(data, dl)), Date.now(), intent.id);
}

function checkMulti(res: [Error | null, unknown][] | null): void {
  if (!res) throw new Error('Redis transaction aborted');
  for (const [err] of res) if (err) throw err;
}

export async function getMirrorEntry(redis: Redis, keys: MirrorKeys, id: string): Promise<MirrorEntry | null> {
  const [meta, enc, rows, rejects] = await redis.hmgetBuffer(keys.entry(id), 'meta', 'enc', 'rows', 'rejects');
  if (!meta || !enc || !rows) return null;
  return {
    intent: JSON.parse(meta.toString('utf8')) as IntentRecord,
    rows: decodeRows(enc.toString(), rows),
    rejects: rejects && rejects.length > 0 ? decodeDeadLetters(rejects) : [],
  };
}

/** Batch ids in the mirror, oldest first. */
export async function listMirror(redis: Redis, keys: MirrorKeys): Promise<string[]> {
  return redis.zrange(keys.index, 0, -1);
}

/**
 * Drop entries beyond the retention window (by count and by age). Returns how many went.
 * Only committed batches are ever trimmed: the loader calls this after its commit point.
 */
export async function trimMirror(redis: Redis, keys: MirrorKeys, retentionBatches: number, retentionSeconds: number): Promise<number> {
  const byCount = await redis.zrange(keys.index, 0, -(retentionBatches + 1));
  const byAge = await redis.zrangebyscore(keys.index, '-inf', Date.now() - retentionSeconds * 1000);
  const ids = [...new Set([...byCount, ...byAge])];
  if (ids.length === 0) return 0;
  // The size each entry was counted with when it was put (entrySize).
  const sizes = await Promise.all(ids.map((id) => redis.hget(keys.entry(id), 'size')));
  const multi = redis.multi();
  ids.forEach((id, i) => {
    multi.del(keys.entry(id)).zrem(keys.index, id);
    if (sizes[i] !== null) multi.hincrby(keys.stats, 'bytes', -Number(sizes[i])).hincrby(keys.stats, 'batches', -1);
  });
  checkMulti(await multi.exec());
  return ids.length;
}

export async function mirrorStats(redis: Redis, keys: MirrorKeys): Promise<{ batches: number; bytes: number }> {
  const [batches, bytes] = await redis.hmget(keys.stats, 'batches', 'bytes');
  return { batches: Number(batches ?? 0), bytes: Number(bytes ?? 0) };
}
