// WAL state from the files the loader and reconciler append to: batches in doubt, bytes,
// segments, and free space on the file system holding it (a full disk stops the loader).
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { listSegments, readWalState } from '@pipewarden/core';
import { one, type Collector } from '../collector';

/** The WAL folder, or its nearest existing parent before the loader has created it. */
function existingDir(dir: string): string {
  let d = resolve(dir);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

export function walCollector(walDir: string): Collector {
  // The log is append-only, so the list of (segment, size) pairs identifies its content:
  // while it has not changed, the decoded state from last time is still the answer and a
  // scrape does not re-read every segment.
  let cache: { signature: string; inDoubt: number } | undefined;
  return {
    name: 'wal',
    metrics: ['batchesInDoubt', 'walBytes', 'walSegments', 'walDiskFreeBytes'],
    async collect() {
      const segments = listSegments(walDir);
      const signature = segments.map((s) => `${s.path}:${s.bytes}`).join('\n');
      if (cache?.signature !== signature) cache = { signature, inDoubt: readWalState(walDir).inDoubt.size };
      const fs = await statfs(existingDir(walDir));
      return {
        batchesInDoubt: one(cache.inDoubt),
        walBytes: one(segments.reduce((a, s) => a + s.bytes, 0)),
        walSegments: one(segments.length),
        walDiskFreeBytes: one(fs.bavail * fs.bsize),
      };
    },
  };
}
