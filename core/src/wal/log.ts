// The write-ahead log: append-only segment files per writer (the loader and the
// reconciler each append to their own series, so two processes never share a file),
// read together to know which batches are in doubt.
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, truncateSync, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeFrames, encodeRecord, type IntentRecord, type WalRecord } from './record';

export type WalWriterName = 'loader' | 'reconciler';
export type FsyncPolicy = 'always' | 'batch' | 'never';

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
}

export class WalWriter {
  private fh!: FileHandle;
  private size = 0;
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
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

  /** Append records; resolves once written (and fsynced, per policy). Appends are serialized. */
  append(records: WalRecord | WalRecord[], opts: { sync?: boolean } = {}): Promise<void> {
    const list = Array.isArray(records) ? records : [records];
    const next = this.chain.then(async () => {
      if (this.size >= this.opts.segmentBytes) await this.roll();
      const buf = Buffer.concat(list.map(encodeRecord));
      await this.fh.write(buf);
      this.size += buf.length;
      const sync = this.opts.fsync === 'always' || (this.opts.fsync === 'batch' && opts.sync !== false);
      if (sync) await this.fh.datasync();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async roll(): Promise<void> {
    await this.fh.close();
    this.seq++;
    this.size = 0;
    this.fh = await open(join(this.dir, segmentName(this.writer, this.seq)), 'a');
  }

  /**
   * Delete this writer's closed segments whose every intent is resolved: nothing in them
   * is needed for recovery any more (the mirror keeps its own copy of recent batches).
   */
  removeResolvedSegments(state: WalState): number {
    let removed = 0;
    for (const seg of listSegments(this.dir).filter((s) => s.writer === this.writer && s.seq < this.seq)) {
      const { records } = decodeFrames(readFileSync(seg.path));
      const open = records.some((r) => r.t === 'intent' && state.inDoubt.has(r.id));
      if (open) break; // keep order: never remove a segment after one still needed
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
  intents: number;
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
  let intents = 0;
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
    intents++;
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
