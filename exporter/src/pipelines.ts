// The pipelines the exporter watches: each one's name, WAL folder, mirror prefix and source,
// derived by core's pipelineConfig exactly as the loader derives them, so the exporter reads
// the same folders and keys the loader writes.
import { pipelineConfig, pipelineNames, type Config } from '@pipewarden/core';
import type { Sample } from './collector';

export interface WatchedPipeline {
  name: string;
  walDir: string;
  keyPrefix: string;
  source?: string;
  /** Its PIPEWARDEN_SOURCE_MATCH (a pipeline's sourceMatch): the objects of the source it loads. */
  sourceMatch?: string;
}

/**
 * Every configured pipeline (one `default` without `pipelines`). pipelineConfig rather than
 * allPipelineConfigs: the exporter needs no dataset spec, and monitoring must start even
 * when a spec is unreadable or two pipelines share a table (the loader refuses those).
 */
export function watchedPipelines(config: Config): WatchedPipeline[] {
  return pipelineNames(config).map((name) => {
    const c = pipelineConfig(config, name);
    return { name, walDir: c.wal.dir, keyPrefix: c.redis.keyPrefix, ...(c.source ? { source: c.source } : {}), ...(c.sourceMatch ? { sourceMatch: c.sourceMatch } : {}) };
  });
}

/**
 * Per-pipeline figures with every configured pipeline present (zeros until its first
 * batch) plus any other pipeline the data names (one removed from the configuration
 * still has its ledger rows: its counters stay visible rather than vanish).
 */
export class PerPipeline<T> {
  private readonly values = new Map<string, T>();
  constructor(names: readonly string[], private readonly zero: () => T) {
    for (const n of names) this.values.set(n, zero());
  }

  get(name: string): T {
    let v = this.values.get(name);
    if (v === undefined) {
      v = this.zero();
      this.values.set(name, v);
    }
    return v;
  }

  entries(): [string, T][] {
    return [...this.values];
  }

  /** One sample per pipeline of `pick(value)`, labelled with the pipeline. */
  samples(pick: (v: T) => number): Sample[] {
    return this.entries().map(([pipeline, v]) => ({ labels: { pipeline }, value: pick(v) }));
  }
}
