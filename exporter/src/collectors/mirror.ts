// The Redis mirror: each pipeline's batches and bytes from the stats hash its loader
// maintains under the pipeline's key prefix (O(1) per pipeline, no SCAN), and Redis memory
// from INFO (the deployment's, no pipeline), since a mirror that hits maxmemory stops protecting.
import { mirrorKeys, mirrorStats } from '@pipewarden/core';
import { one, type Collector } from '../collector';
import type { RedisClient } from '../clients';
import type { WatchedPipeline } from '../pipelines';

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

export function mirrorCollector(client: RedisClient, pipelines: readonly Pick<WatchedPipeline, 'name' | 'keyPrefix'>[]): Collector {
  const keys = pipelines.map((p) => ({ pipeline: p.name, keys: mirrorKeys(p.keyPrefix) }));
  return {
    name: 'mirror',
    metrics: ['mirrorBatches', 'mirrorBytes', 'redisUsedMemory', 'redisMaxMemory'],
    async collect() {
      const redis = await client.ready();
      const [stats, info] = await Promise.all([Promise.all(keys.map(async (k) => ({ labels: { pipeline: k.pipeline }, ...(await mirrorStats(redis, k.keys)) }))), redis.info('memory')]);
      const mem = parseInfo(info);
      const used = mem.get('used_memory');
      const max = mem.get('maxmemory');
      if (used === undefined || max === undefined) throw new Error('INFO memory has no used_memory/maxmemory');
      return {
        mirrorBatches: stats.map((s) => ({ labels: s.labels, value: s.batches })),
        mirrorBytes: stats.map((s) => ({ labels: s.labels, value: s.bytes })),
        redisUsedMemory: one(used),
        redisMaxMemory: one(max),
      };
    },
  };
}
