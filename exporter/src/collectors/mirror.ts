// The Redis mirror: batches and bytes from the stats hash the loader maintains (O(1), no
// SCAN), and Redis memory from INFO, since a mirror that hits maxmemory stops protecting.
import { mirrorKeys, mirrorStats } from '@pipewarden/core';
import { one, type Collector } from '../collector';
import type { RedisClient } from '../clients';

/** Numeric fields of an INFO reply ("field:value" lines). */
export function parseInfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0 || line.startsWith('#')) continue;
    const v = Number(line.slice(i + 1));
    if (Number.isFinite(v)) out.set(line.slice(0, i), v);
  }
  return out;
}

export function mirrorCollector(client: RedisClient, keyPrefix: string): Collector {
  const keys = mirrorKeys(keyPrefix);
  return {
    name: 'mirror',
    metrics: ['mirrorBatches', 'mirrorBytes', 'redisUsedMemory', 'redisMaxMemory'],
    async collect() {
      const redis = await client.ready();
      const [stats, info] = await Promise.all([mirrorStats(redis, keys), redis.info('memory')]);
      const mem = parseInfo(info);
      const used = mem.get('used_memory');
      const max = mem.get('maxmemory');
      if (used === undefined || max === undefined) throw new Error('INFO memory has no used_memory/maxmemory');
      return { mirrorBatches: one(stats.batches), mirrorBytes: one(stats.bytes), redisUsedMemory: one(used), redisMaxMemory: one(max) };
    },
  };
}
