// The loader's checkpoint: per source object, how far loading has committed. Written
// atomically (temp file + rename) after each contiguous committed batch.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export interface ObjectCheckpoint {
  etag: string;
  size: number;
  /** Next input record ordinal to read (1-based, after the header). */
  nextRecord: number;
  /** Byte offset where that record starts. */
  nextByte: number;
  /** Line number of that record (1-based, header is line 1). */
  nextLine: number;
  /** The object's header fields, so a resumed ranged read can map columns. */
  header: string[];
  /** Engine that cut the batches: another engine cannot resume mid-object (its offsets differ). */
  engine?: 'inline' | 'spark';
  /** Batch size the object was cut with; resuming keeps it so batch ids stay the same. */
  batchSize: number;
  done: boolean;
  rowsIn: number;
  rowsLoaded: number;
  rowsRejected: number;
  /** Dead letters so far, by reason (the summary of a resumed load covers the whole object). */
  rejectedByReason?: Record<string, number>;
  rowsDuplicate: number;
}

export interface Checkpoint {
  version: 1;
  objects: Record<string, ObjectCheckpoint>;
  updatedAt: number;
}

export function checkpointPath(walDir: string): string {
  return join(walDir, 'checkpoint.json');
}

export function readCheckpoint(walDir: string): Checkpoint {
  const p = checkpointPath(walDir);
  if (!existsSync(p)) return { version: 1, objects: {}, updatedAt: 0 };
  return JSON.parse(readFileSync(p, 'utf8')) as Checkpoint;
}

export function writeCheckpoint(walDir: string, cp: Checkpoint, fsync = true): void {
  mkdirSync(walDir, { recursive: true });
  const p = checkpointPath(walDir);
  const tmp = `${p}.tmp`;
  cp.updatedAt = Date.now();
  writeFileSync(tmp, JSON.stringify(cp));
  if (fsync) {
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
  }
  renameSync(tmp, p);
}
