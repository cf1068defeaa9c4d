// The write-ahead log: append-only segment files per writer (the loader and the
// reconciler each append to their own series, so two processes never share a file),
// read together to know which batches are in doubt.
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, truncateSync, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, UserError } from '../errors';
import { decodeFrames, encodeRecord, type IntentRecord, type WalRecord } from './record';

export type WalWriterName = 'loader' | 'reconciler';
type FsyncPolicy = 'always' | 'batch' | 'never';

const SEGMENT_RE = /^(loader|reconciler)-(\d{10})\.wal$/;

export interface SegmentFile {
  writer: WalWriterName;
  seq: number;
  path: string;
  bytes: number;
}

export function listSegments(dir: string): SegmentFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => ({ f, m: SEGMENT_RE.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
    .map(({ f, m }) => ({ writer: m[1] as WalWriterName, seq: Number(m[2]), path: join(dir, f), bytes: statSync(join(dir, f)).size }))
    .sort((a, b) => (a.writer === b.writer ? a.seq - b.seq : a.writer < b.writer ? -1 : 1));
}

function segmentName(writer: WalWriterName, seq: number): string {
  return `${writer}-${String(seq).padStart(10, '0')}.wal`;
}

export interface WalWriterOptions {
  fsync: FsyncPolicy;
  segmentBytes: number;
  /**
   * Resolved segments holding a record newer than this are kept (default
   * DEFAULT_WAL_RETENTION_SECONDS): see removeResolvedSegments.
   */
  retentionSeconds?: number;
}

/** Default of PIPEWARDEN_WAL_RETENTION_SECONDS. */
export const DEFAULT_WAL_RETENTION_SECONDS = 600;

/** Why an append failed, as the user should read it: the WAL folder and the cause. */
function walWriteError(dir: string, e: unknown, cutFailure?: string): UserError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const cause = code === 'ENOSPC' ? 'no space left on device' : code === 'EDQUOT' ? 'disk quota exceeded' : errorMessage(e);
  // When the partial record could not be cut off, the next open cuts it as a torn tail.
  const cut = cutFailure ? ` (its partial record could not be cut off: ${cutFailure}; the next open will)` : '';
  return new UserError(
    `cannot write the WAL in ${dir}: ${cause}${cut}; the batch was not acknowledged and this writer accepts no further records`,
    'free space (or fix the device) under the WAL folder and start the load again: it resumes from its checkpoint',
  );
}

export class WalWriter {
  private fh!: FileHandle;
  /** Bytes of whole, written records in the current segment: where the next one starts. */
  private size = 0;
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Set by the first append that did not fully reach the disk; every later append gets it. */
  private failure?: UserError;
  /** Set when open() cut a torn last record: the log says so in /status. */
  truncatedBytes = 0;

  private constructor(readonly dir: string, readonly writer: WalWriterName, private readonly opts: WalWriterOptions) {}

  /** Open for appending; a torn last record (a crash mid-write) is detected and cut off. */
  static async open(dir: string, writer: WalWriterName, opts: WalWriterOptions): Promise<WalWriter> {
    mkdirSync(dir, { recursive: true });
    const w = new WalWriter(dir, writer, opts);
    const mine = listSegments(dir).filter((s) => s.writer === writer);
    const last = mine[mine.length - 1];
    if (last) {
      const { validBytes, torn } = decodeFrames(readFileSync(last.path));
      if (torn) {
        w.truncatedBytes = last.bytes - validBytes;
        truncateSync(last.path, validBytes);
      }
      w.seq = last.seq;
      w.size = validBytes;
    } else {
      w.seq = 1;
    }
    w.fh = await open(join(dir, segmentName(writer, w.seq)), 'a');
    return w;
  }

  /**
   * Append records; resolves once written (and fsynced, per policy). Appends are serialized.
   * An append that fails (a full disk, an I/O error, a failed fsync) is never acknowledged:
   * the segment is cut back to the last whole record and the writer refuses every later
   * append, so no acknowledged record can ever follow garbage (which a reopen would cut).
   */
  append(records: WalRecord | WalRecord[], opts: { sync?: boolean } = {}): Promise<void> {
    const list = Array.isArray(records) ? records : [records];
    const next = this.chain.then(async () => {
      if (this.failure) throw this.failure;
      try {
        if (this.size >= this.opts.segmentBytes) await this.roll();
        const buf = Buffer.concat(list.map(encodeRecord));
        await this.writeAll(buf);
        const sync = this.opts.fsync === 'always' || (this.opts.fsync === 'batch' && opts.sync !== false);
        if (sync) await this.fh.datasync();
        this.size += buf.length;
      } catch (e) {
        this.failure = walWriteError(this.dir, e, await this.cutBack());
        throw this.failure;
      }
    });
    // The chain only orders appends; each caller sees its own failure through `next`.
    this.chain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /** write(2) may write less than asked (a disk filling up): loop until all is written. */
  private async writeAll(buf: Buffer): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off);
      if (bytesWritten === 0) throw Object.assign(new Error('write made no progress'), { code: 'ENOSPC' });
      off += bytesWritten;
    }
  }

  /**
   * After a failed append: drop its partial bytes, so the segment ends in a whole record.
   * Returns why that failed, if it did (nothing follows the partial bytes anyway, because
   * this writer accepts no more appends).
   */
  private async cutBack(): Promise<string | undefined> {
    try {
      await this.fh.truncate(this.size);
      return undefined;
    } catch (e) {
      return errorMessage(e);
    }
  }

  private async roll(): Promise<void> {
    await this.fh.close();
    this.seq++;
    this.size = 0;
    this.fh = await open(join(this.dir, segmentName(this.writer, this.seq)), 'a');
  }

  /**
   * Delete this writer's closed segments whose every intent is resolved and whose newest
   * record is older than the retention window. The window exists because a MySQL running
   * with innodb_flush_log_at_trx_commit=0 or 2 can lose its last ~1 s of acknowledged
   * commits in a host crash: the WAL's commit records of that second must survive so the
   * reconciler can check them against the ledger after such a crash (the mirror keeps the
   * rows). Past the window, nothing in a resolved segment is needed for recovery.
   */
  removeResolvedSegments(state: WalState, now = Date.now()): number {
    const keepAfter = now - (this.opts.retentionSeconds ?? DEFAULT_WAL_RETENTION_SECONDS) * 1000;
    let removed = 0;
    for (const seg of listSegments(this.dir).filter((s) => s.writer === this.writer && s.seq < this.seq)) {
      const { records } = decodeFrames(readFileSync(seg.path));
      const open = records.some((r) => r.t === 'intent' && state.inDoubt.has(r.id));
      const recent = records.some((r) => r.ts > keepAfter);
      // Keep order: never remove a segment after one still needed (later ones are newer).
      if (open || recent) break;
      unlinkSync(seg.path);
      removed++;
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.fh.close();
  }
}

export interface WalState {
  /** Intents without commit, skip or repair, in log order. */
  inDoubt: Map<string, IntentRecord>;
  /**
   * Every intent of the log, resolved or not, by batch id in log order: MySQL with relaxed
   * durability can lose commits it acknowledged, so the reconciler checks committed ones too.
   */
  intents: Map<string, IntentRecord>;
  resolved: number;
  bytes: number;
  segments: number;
  /** Writers whose last segment ends in a partial record (being written, or torn). */
  tornTails: WalWriterName[];
  /** Reconcile runs that started and never ended (a reconciler killed mid-run). */
  unfinishedRuns: string[];
}

/** Read every segment of every writer and derive which batches are in doubt. */
export function readWalState(dir: string): WalState {
  const segs = listSegments(dir);
  const inDoubt = new Map<string, IntentRecord>();
  const resolvedIds = new Set<string>();
  const runs = new Map<string, boolean>();
  const tornTails: WalWriterName[] = [];
  const intents = new Map<string, IntentRecord>();
  const all: WalRecord[] = [];
  for (const [i, seg] of segs.entries()) {
    const { records, torn } = decodeFrames(readFileSync(seg.path));
    const lastOfWriter = segs[i + 1]?.writer !== seg.writer;
    if (torn && lastOfWriter) tornTails.push(seg.writer);
    all.push(...records);
  }
  // Resolutions can come from another writer's series, so collect them first.
  for (const r of all) {
    if (r.t === 'commit' || r.t === 'skip' || r.t === 'repair') resolvedIds.add(r.id);
    else if (r.t === 'run') runs.set(r.run, r.phase === 'end');
  }
  for (const r of all) {
    if (r.t !== 'intent') continue;
    intents.set(r.id, r);
    if (!resolvedIds.has(r.id)) inDoubt.set(r.id, r);
  }
  return {
    inDoubt,
    intents,
    resolved: resolvedIds.size,
    bytes: segs.reduce((a, s) => a + s.bytes, 0),
    segments: segs.length,
    tornTails,
    unfinishedRuns: [...runs].filter(([, ended]) => !ended).map(([id]) => id),
  };
}
