// Redis as the mirror needs it: persistence (or the source re-read after a restart) and an
// eviction policy that never drops a mirror entry the reconciler may need.
import type { Redis } from 'ioredis';
import type { Finding } from './types';

export interface RedisFacts {
  /** INFO persistence and INFO memory, as field → value. */
  info: Record<string, string>;
  /** CONFIG GET save ('' = no snapshots); undefined when CONFIG is refused. */
  rdbSave?: string;
}

export async function readRedis(redis: Redis): Promise<RedisFacts> {
  const text = `${await redis.info('persistence')}\n${await redis.info('memory')}`;
  const info: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) info[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  // RDB snapshots are configured, not reported by INFO; managed Redis may refuse CONFIG.
  const save = (await redis.config('GET', 'save').catch(() => undefined)) as string[] | undefined;
  return { info, rdbSave: save?.[1] };
}

export function judgeRedis(f: RedisFacts): Finding[] {
  const i = f.info;
  const out: Finding[] = [];
  const aof = i.aof_enabled === '1';
  const rdb = f.rdbSave === undefined ? 'RDB unknown (CONFIG refused)' : f.rdbSave ? `RDB snapshots (save ${f.rdbSave})` : 'none';
  out.push({
    target: 'redis',
    check: 'persistence',
    value: aof ? 'AOF' : rdb,
    verdict: aof ? 'ok' : 'warn',
    meaning: aof ? 'the mirror survives a Redis restart (everysec: its last second may not)' : `a Redis restart loses the mirror${f.rdbSave ? "'s writes since the last snapshot" : ''}: batches in doubt are then read again from the source, which must still hold the same object (appendonly yes)`,
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
