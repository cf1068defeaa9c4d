// The loader's checkpoint: per source object, how far loading has committed. It is a cache
// of the batch ledger (MySQL), which stays the truth: the loader checks the checkpoint
// against the ledger at the start of every run, so a checkpoint that is lost, behind, or
// ahead of a restored database costs a replay (skipped by the ledger), never a row.
//
// Written atomically (temp file, rename); under a durable policy the temp file is fsynced
// before the rename and the directory after it, so a power cut leaves the old or the new
// checkpoint. A file that does not parse (garbage, or truncated by a power cut on a
// filesystem that reorders) is moved aside by the loader and rebuilt from the ledger.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors';

const count = z.number().int().nonnegative();
const objectSchema = z.object({
  etag: z.string(),
  size: count,
  /** Next input record ordinal to read (1-based, after the header). */
  nextRecord: z.number().int().positive(),
  /** Byte offset where that record starts. */
  nextByte: count,
  /** Line number of that record (1-based, header is line 1). */
  nextLine: z.number().int().positive(),
  /** The object's header fields, so a resumed ranged read can map columns. */
  header: z.array(z.string()),
  /** Engine that cut the batches: another engine cannot resume mid-object (its offsets differ). */
  engine: z.enum(['inline', 'spark']).optional(),
  /** Batch size the object is cut with (the ledger's, when it holds batches of the object). */
  batchSize: z.number().int().positive(),
  done: z.boolean(),
  rowsIn: count,
  rowsLoaded: count,
  rowsRejected: count,
  /** Dead letters so far, by reason (the summary of a resumed load covers the whole object). */
  rejectedByReason: z.record(z.string(), count).optional(),
  rowsDuplicate: count,
});
const checkpointSchema = z.object({
  version: z.literal(1),
  objects: z.record(z.string(), objectSchema),
  updatedAt: z.number(),
  /**
   * The last key of the listing windows this host proved done and dropped from `objects`
   * (PIPEWARDEN_LIST_WINDOW): an object listed at or before it is done, though it has no entry.
   */
  provedThrough: z.string().optional(),
});

export type ObjectCheckpoint = z.infer<typeof objectSchema>;
export type Checkpoint = z.infer<typeof checkpointSchema>;

export function checkpointPath(walDir: string): string {
  return join(walDir, 'checkpoint.json');
}

function emptyCheckpoint(): Checkpoint {
  return { version: 1, objects: {}, updatedAt: 0 };
}

/** The parsed checkpoint, undefined when there is none, or the reason it is unusable. */
function parse(walDir: string): { cp?: Checkpoint; problem?: string } {
  const p = checkpointPath(walDir);
  if (!existsSync(p)) return {};
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    return { problem: `cannot read it: ${(e as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { problem: `not JSON (${text.length} bytes): ${(e as Error).message}` };
  }
  const r = checkpointSchema.safeParse(json);
  if (!r.success) return { problem: `not a checkpoint: ${r.error.issues[0]?.path.join('.') || '(root)'} ${r.error.issues[0]?.message}` };
  return { cp: r.data };
}

/**
 * For readers (exporter, reconciler): the checkpoint, or an empty one when it is missing or
 * unusable (the loader moves an unusable one aside and rebuilds it on its next run).
 */
export function readCheckpoint(walDir: string): Checkpoint {
  return parse(walDir).cp ?? emptyCheckpoint();
}

export interface LoadedCheckpoint {
  checkpoint: Checkpoint;
  /** Set when the file was unusable: where it was moved, and why. */
  movedAside?: { path: string; problem: string };
}

/**
 * For the loader, the checkpoint's one writer (under its lock): an unusable file is renamed
 * to `checkpoint.json.corrupt-<ms>` (kept for inspection) and an empty checkpoint returned;
 * the loader then takes every object's position from the ledger.
 */
export function loadCheckpoint(walDir: string): LoadedCheckpoint {
  const { cp, problem } = parse(walDir);
  if (problem === undefined) return { checkpoint: cp ?? emptyCheckpoint() };
  const path = `${checkpointPath(walDir)}.corrupt-${Date.now()}`;
  renameSync(checkpointPath(walDir), path);
  return { checkpoint: emptyCheckpoint(), movedAside: { path, problem } };
}

/** Replace the checkpoint atomically; `durable` fsyncs the file before and the folder after the rename. */
export function writeCheckpoint(walDir: string, cp: Checkpoint, durable = true): void {
  mkdirSync(walDir, { recursive: true });
  const p = checkpointPath(walDir);
  const tmp = `${p}.tmp`;
  cp.updatedAt = Date.now();
  try {
    const fd = openSync(tmp, 'w');
    try {
      // writeFileSync on a descriptor loops until every byte is written (writeSync may not).
      writeFileSync(fd, JSON.stringify(cp));
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, p);
    if (!durable) return;
    const dir = openSync(walDir, 'r'); // the rename itself reaches the disk with the folder
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    // The batches are committed and in the WAL; only the position cache could not be saved.
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EIO' || code === 'EROFS') {
      throw new UserError(`cannot write the checkpoint in ${walDir}: ${code === 'ENOSPC' ? 'no space left on device' : code}`, 'free space (or fix the disk) under the WAL folder, then run the load again: committed batches are in the ledger and are skipped');
    }
    throw e;
  }
}
