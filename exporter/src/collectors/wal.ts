// WAL state from the files the loader and reconciler append to, per pipeline (each has its
// own WAL folder): batches in doubt, bytes, segments, and free space on the file system
// holding it (a full disk stops that pipeline's loader). The folders of the pipelines other
// than `default` lie under the base WAL folder, so their free space is usually one disk's,
// repeated per pipeline: PipewardenWalDiskFullIn4h takes the minimum over them (one alert).
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { listSegments, readWalState } from '@pipewarden/core';
import type { Collector } from '../collector';
import { PerPipeline, type WatchedPipeline } from '../pipelines';

/** The WAL folder, or its nearest existing parent before the loader has created it. */
function existingDir(dir: string): string {
  let d = resolve(dir);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** One WAL folder's figures; the decoded state is kept while the folder's files are unchanged. */
function walReader(walDir: string) {
  // The log is append-only, so the list of (segment, size) pairs identifies its content:
  // while it has not changed, the decoded state from last time is still the answer and a
  // scrape does not re-read every segment.
  let cache: { signature: string; inDoubt: number } | undefined;
  return async () => {
    // Only the folder's own segment files: the `default` pipeline's folder holds the other
    // pipelines' folders (pipelines/<name>), which listSegments does not descend into.
    const segments = listSegments(walDir);
    const signature = segments.map((s) => `${s.path}:${s.bytes}`).join('\n');
    if (cache?.signature !== signature) cache = { signature, inDoubt: readWalState(walDir).inDoubt.size };
    const fs = await statfs(existingDir(walDir));
    return { inDoubt: cache.inDoubt, bytes: segments.reduce((a, s) => a + s.bytes, 0), segments: segments.length, free: fs.bavail * fs.bsize };
  };
}

export function walCollector(pipelines: readonly Pick<WatchedPipeline, 'name' | 'walDir'>[]): Collector {
  const readers = pipelines.map((p) => ({ pipeline: p.name, read: walReader(p.walDir) }));
  return {
    name: 'wal',
    metrics: ['batchesInDoubt', 'walBytes', 'walSegments', 'walDiskFreeBytes'],
    async collect() {
      const by = new PerPipeline(readers.map((r) => r.pipeline), () => ({ inDoubt: 0, bytes: 0, segments: 0, free: 0 }));
      await Promise.all(readers.map(async (r) => Object.assign(by.get(r.pipeline), await r.read())));
      return { batchesInDoubt: by.samples((x) => x.inDoubt), walBytes: by.samples((x) => x.bytes), walSegments: by.samples((x) => x.segments), walDiskFreeBytes: by.samples((x) => x.free) };
    },
  };
}
