// The WAL's disk: room to write, and how long an fsync takes (each batch waits for one under
// the default PIPEWARDEN_WAL_FSYNC=batch).
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Finding } from './types';

export interface WalFacts {
  dir: string;
  freeBytes: number;
  /** Median of 20 write+fsync rounds of 4 KiB, in milliseconds. */
  fsyncMs: number;
}

export async function readWal(dir: string): Promise<WalFacts> {
  mkdirSync(dir, { recursive: true });
  const fs = await statfs(dir);
  const file = join(dir, `.doctor-${process.pid}`);
  const times: number[] = [];
  const fd = openSync(file, 'w');
  try {
    const block = Buffer.alloc(4096, 1);
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      writeSync(fd, block);
      fsyncSync(fd);
      times.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  times.sort((a, b) => a - b);
  return { dir, freeBytes: fs.bavail * fs.bsize, fsyncMs: times[10] };
}

export function judgeWal(f: WalFacts): Finding[] {
  const gb = f.freeBytes / 2 ** 30;
  return [
    {
      target: 'wal',
      check: 'free space',
      value: `${gb.toFixed(1)} GB free in ${f.dir}`,
      verdict: f.freeBytes < 256 * 2 ** 20 ? 'fail' : gb < 2 ? 'warn' : 'ok',
      meaning: f.freeBytes < 256 * 2 ** 20 ? 'the WAL is about to fill its disk: the load stops (nothing acknowledged is lost, nothing more is loaded); free space or move PIPEWARDEN_WAL_DIR' : gb < 2 ? 'little room: a long load keeps segments for PIPEWARDEN_WAL_RETENTION_SECONDS; the load stops cleanly if the disk fills' : 'room for the WAL and the checkpoint',
    },
    {
      target: 'wal',
      check: 'fsync latency',
      value: `${f.fsyncMs.toFixed(2)} ms`,
      verdict: f.fsyncMs > 20 ? 'warn' : 'ok',
      meaning: f.fsyncMs > 20 ? 'every batch waits for an fsync of its intent: a slow disk caps batches per second (a local SSD takes well under a millisecond; a network disk more)' : "the WAL's per-batch fsync costs little",
    },
  ];
}
