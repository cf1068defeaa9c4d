// Redis as the mirror needs it: persistence (or the source re-read after a restart) and an
// eviction policy that never drops a mirror entry the reconciler may need.
import type { Redis } from 'ioredis';
import type { Finding } from './types';

export interface RedisFacts {
  /** INFO persistence and INFO memory, as field → value. */
  info: Record<string, string>;
}

export async function readRedis(redis: Redis): Promise<RedisFacts> {
  const text = `${await redis.info('persistence')}\n${await redis.info('memory')}`;
  const info: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) info[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return { info };
}

export function judgeRedis(f: RedisFacts): Finding[] {
  const i = f.info;
  const out: Finding[] = [];
  const aof = i.aof_enabled === '1';
  out.push({
    target: 'redis',
    check: 'persistence',
    value: aof ? 'AOF' : i.rdb_last_save_time ? 'RDB snapshots only' : 'none',
    verdict: aof ? 'ok' : 'warn',
    meaning: aof ? 'the mirror survives a Redis restart (everysec: its last second may not)' : 'a Redis restart empties the mirror: batches in doubt are then read again from the source, which must still hold the same object (appendonly yes)',
  });
  const policy = i.maxmemory_policy ?? '?';
  const limited = Number(i.maxmemory ?? 0) > 0;
  const evicts = limited && policy !== 'noeviction';
  out.push({
    target: 'redis',
    check: 'maxmemory-policy',
    value: limited ? `${policy} at ${(Number(i.maxmemory) / 2 ** 20).toFixed(0)} MB` : `${policy}, no maxmemory`,
    verdict: evicts ? 'fail' : 'ok',
    meaning: evicts ? 'Redis may evict mirror entries of batches still in doubt, and a repair would lose its copy: maxmemory-policy noeviction (a full Redis then makes writes wait, never lose)' : 'mirror entries are never evicted',
  });
  return out;
}
