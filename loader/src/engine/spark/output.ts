// Reading what ./job/transform.py wrote: part files, each a contiguous run of
// ordinals, one line per input record:
//   ordinal \t line \t K \t oddity column indexes \t the row encoded as encodeTsvLine writes it
//   ordinal \t line \t R \t reason \t base64(raw) \t base64(detail)
// plus _SUCCESS and _pipewarden.json. Records come back in ordinal order, checked to be
// gap-free: a lost part file must fail the load, not silently drop rows.
//
// One-pass parts (numbers local to the part) start with "#\t<block start>" and end with
// "#\tend\t<block end>\t<lines>\t<records>\t<tail>": enough to read them in order while
// the job still runs (SparkOutputFollower), each part as soon as Spark commits it. The
// output is a local folder or an S3 prefix (./store.ts); a path stands for a folder.
import { setTimeout as sleep } from 'node:timers/promises';
import { REJECT_REASONS, type RejectReason } from '@pipewarden/core';
import { SparkJobError } from './process';
import { LocalOutput, type SparkOutputStore } from './store';

/** A Spark output: its store, or the path of a local folder. */
export type SparkOutput = SparkOutputStore | string;
const storeOf = (o: SparkOutput): SparkOutputStore => (typeof o === 'string' ? new LocalOutput(o) : o);
/** A file of the output, for messages. */
const at = (store: SparkOutputStore, name: string) => `${store.where.replace(/\/?$/, '/')}${name}`;

export interface SparkSummary {
  version: number;
  header: string[];
  header_error: string | null;
  unknown_headers: string[];
  /** Optional spec columns the header lacks: NULL in every row. */
  records: number;
  kept: number;
  rejected: number;
  rejected_by_reason: Record<string, number>;
  oddities: Record<string, number>;
  lines: number;
  partitions: number;
  carried_records: number;
  /** How partitions were summarized: 'jvm' (no record spans lines) or 'python' (the splitting scan). */
  scan: 'jvm' | 'python' | 'none';
  /**
   * One-pass output (no scan): numbers in each part are local to it; per part, by the block
   * start on its first line ("#\t<block>"), what to add to its ordinals and line numbers.
   */
  offsets: Record<string, [number, number]> | null;
  seconds: { scan: number; transform: number };
}

export type SparkRecord =
  /** A kept row: its TSV bytes as encodeTsvLine writes them, without the newline (its key text: RowRules.keyOfLine). */
  | { ordinal: number; line: number; kind: 'K'; oddities: number[]; tsv: Buffer }
  | { ordinal: number; line: number; kind: 'R'; reason: RejectReason; raw: Buffer; detail?: string };

/** The job's summary, or a clear error when the output is incomplete (no _SUCCESS). */
export async function readSparkSummary(output: SparkOutput): Promise<SparkSummary> {
  const store = storeOf(output);
  if (!(await store.exists('_SUCCESS'))) {
    throw new SparkJobError(`the Spark job left no _SUCCESS marker in ${store.where}: its output is incomplete`, []);
  }
  if (!(await store.exists('_pipewarden.json'))) throw new SparkJobError(`the Spark job wrote no summary (${at(store, '_pipewarden.json')})`, []);
  return JSON.parse(await store.text('_pipewarden.json')) as SparkSummary;
}

/** Whether a finished job's output is there to reuse (a resumed load skips the Spark run). */
export async function sparkOutputComplete(output: SparkOutput): Promise<boolean> {
  const store = storeOf(output);
  return (await store.exists('_SUCCESS')) && (await store.exists('_pipewarden.json'));
}

interface Part {
  /** The file's name in the output. */
  file: string;
  /** First ordinal (absolute output) or block start (one-pass output). */
  order: number;
  /** One-pass output: the part's block start. */
  block?: string;
}

async function partHead(store: SparkOutputStore, file: string): Promise<Part | undefined> {
  const buf = await store.head(file, 40);
  if (buf.length === 0) return undefined;
  const m = /^(#\t)?(\d+)[\t\n]/.exec(buf.toString('latin1'));
  if (!m) throw new SparkJobError(`malformed Spark output ${at(store, file)}: it does not start with an ordinal or a block (${JSON.stringify(buf.toString('latin1', 0, 24))})`, []);
  return { file, order: Number(m[2]), ...(m[1] ? { block: m[2] } : {}) };
}

/** Part files (names) in record order (by first ordinal, or by block start for one-pass output); empty parts left out. */
export async function partFiles(output: SparkOutput): Promise<string[]> {
  return (await parts(storeOf(output))).map((p) => p.file);
}

async function parts(store: SparkOutputStore): Promise<Part[]> {
  const heads = await Promise.all((await store.names()).filter((f) => f.startsWith('part-')).map((f) => partHead(store, f)));
  return heads.filter((p): p is Part => p !== undefined).sort((a, b) => a.order - b.order);
}

const REASONS = new Set<string>(REJECT_REASONS);
const TAB = 9;
const LF = 10;

function malformed(where: string): SparkJobError {
  return new SparkJobError(`malformed Spark output at ${where}`, []);
}

/** A non-negative decimal integer in buf[start, end), or -1. */
function readInt(buf: Buffer, start: number, end: number): number {
  if (end <= start) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * One output line (without its newline). Works on bytes: a kept row's TSV is passed on as
 * a slice, never decoded and re-encoded (this read is on the loader's critical path).
 */
export function parseSparkLine(l: Buffer, where: string): SparkRecord {
  const t1 = l.indexOf(TAB);
  const t2 = t1 < 0 ? -1 : l.indexOf(TAB, t1 + 1);
  const t3 = t2 < 0 ? -1 : l.indexOf(TAB, t2 + 1);
  const t4 = t3 < 0 ? -1 : l.indexOf(TAB, t3 + 1);
  if (t4 < 0 || t3 !== t2 + 2) throw malformed(where);
  const ordinal = readInt(l, 0, t1);
  const line = readInt(l, t1 + 1, t2);
  if (ordinal < 1 || line < 1) throw malformed(where);
  const kind = l[t2 + 1];
  if (kind === 75 /* K */) {
    const oddities: number[] = [];
    for (let i = t3 + 1; i < t4; ) {
      let j = l.indexOf(44 /* , */, i);
      if (j < 0 || j > t4) j = t4;
      const c = readInt(l, i, j);
      if (c < 0) throw malformed(where);
      oddities.push(c);
      i = j + 1;
    }
    return { ordinal, line, kind: 'K', oddities, tsv: l.subarray(t4 + 1) };
  }
  const t5 = l.indexOf(TAB, t4 + 1);
  const reason = l.toString('latin1', t3 + 1, t4);
  if (kind !== 82 /* R */ || t5 < 0 || !REASONS.has(reason)) throw malformed(where);
  const detail = Buffer.from(l.toString('latin1', t5 + 1), 'base64').toString('utf8');
  return { ordinal, line, kind: 'R', reason: reason as RejectReason, raw: Buffer.from(l.toString('latin1', t4 + 1, t5), 'base64'), ...(detail ? { detail } : {}) };
}

/** Lines of a file as byte slices (a line may straddle two chunks of the stream). */
async function* fileLines(store: SparkOutputStore, file: string): AsyncGenerator<Buffer> {
  let rest: Buffer | undefined;
  for await (const chunk of store.read(file)) {
    let buf = chunk as Buffer;
    if (rest) {
      buf = Buffer.concat([rest, buf]);
      rest = undefined;
    }
    let pos = 0;
    for (;;) {
      const lf = buf.indexOf(LF, pos);
      if (lf < 0) break;
      yield buf.subarray(pos, lf);
      pos = lf + 1;
    }
    if (pos < buf.length) rest = buf.subarray(pos);
  }
  if (rest && rest.length) yield rest;
}

/** How to read one part: what to add to its numbers (one-pass parts hold local ones). */
interface PartRead {
  ordinalBase: number;
  lineBase: number;
  /** The ordinal its first record must have: a lost part or line fails the read. */
  expect: number;
  /** Records before this ordinal are checked, not parsed (a resumed load has them). */
  fromOrdinal: number;
}

/** The records of one part file; returns the next ordinal expected and the part's trailer, if it has one. */
async function* partRecords(store: SparkOutputStore, name: string, r: PartRead): AsyncGenerator<SparkRecord, { next: number; trailer?: PartTrailer }> {
  let expect = r.expect;
  let trailer: PartTrailer | undefined;
  let n = 0;
  const file = at(store, name);
  for await (const l of fileLines(store, name)) {
    n++;
    if (l.length === 0) continue;
    if (l[0] === 35 /* # */) {
      if (l[1] === TAB && l[2] === 101 /* e */) trailer = parseTrailer(l, `${file}:${n}`);
      continue;
    }
    if (trailer) throw malformed(`${file}:${n}`); // nothing follows a trailer
    // Cheap ordinal check before parsing: skip what a resumed load already has.
    const ordinal = readInt(l, 0, l.indexOf(TAB)) + r.ordinalBase;
    if (ordinal !== expect) {
      throw new SparkJobError(`Spark output is not contiguous: expected record ${expect}, found ${ordinal} (${file}:${n})`, []);
    }
    expect++;
    if (ordinal < r.fromOrdinal) continue;
    const rec = parseSparkLine(l, `${file}:${n}`);
    rec.ordinal = ordinal;
    rec.line += r.lineBase;
    yield rec;
  }
  return { next: expect, trailer };
}

/** Every record of a finished job, in ordinal order, from `fromOrdinal` on. */
export async function* readSparkRecords(output: SparkOutput, fromOrdinal = 1, offsets: SparkSummary['offsets'] = null): AsyncGenerator<SparkRecord> {
  const store = storeOf(output);
  let expect = 1;
  for (const part of await parts(store)) {
    let base: [number, number] = [0, 0];
    if (part.block !== undefined) {
      const off = offsets?.[part.block];
      if (!off) throw new SparkJobError(`Spark output ${at(store, part.file)} is for block ${part.block}, which the summary does not list`, []);
      base = off;
    }
    ({ next: expect } = yield* partRecords(store, part.file, { ordinalBase: base[0], lineBase: base[1], expect, fromOrdinal }));
  }
}

/** The last line of a one-pass part (transform.py trailer()). */
interface PartTrailer {
  blockEnd: number;
  lines: number;
  records: number;
  /** The partition ended inside a record: the job redoes the file by its splitting path. */
  tail: boolean;
}

function parseTrailer(l: Buffer, where: string): PartTrailer {
  const m = /^#\tend\t(\d+)\t(\d+)\t(\d+)\t([01])$/.exec(l.toString('latin1'));
  if (!m) throw malformed(where);
  return { blockEnd: Number(m[1]), lines: Number(m[2]), records: Number(m[3]), tail: m[4] === '1' };
}

export interface FollowOptions {
  /** Settles when spark-submit exits; rejects when the job failed. */
  job: Promise<void>;
  /** Where the last part's block ends: the input's size in bytes, or a Parquet object's row count (its blocks are row indexes). */
  inputEnd: number;
  /** First ordinal to yield (a resumed load skips what it has). */
  fromOrdinal: number;
  signal: AbortSignal;
  /** Whether the reader may start on parts (before the job ends); by default at once. */
  ready?: () => boolean;
  pollMs?: number;
}

/**
 * Records of a running job in ordinal order, as its parts are committed: one-pass parts
 * in block order (each part's trailer says where the next one starts and what to add to
 * its numbers). Whatever following cannot give (a record spanning a partition boundary
 * makes the job redo the file; a partition with no lines leaves a gap in the blocks) is
 * read from the finished output. A failed job fails the read, after the records already
 * yielded: those are whole and in order, and a resumed load skips them.
 * `reached` is how far into the input (in its blocks' unit) the records yielded so far reach.
 */
export class SparkOutputFollower {
  reached = 0;
  /** Whether every record came from parts followed while the job ran. */
  followedAll = false;
  /** The finished job's summary, once the records are exhausted. */
  summary?: SparkSummary;
  private jobEnded = false;
  private readonly store: SparkOutputStore;

  constructor(
    output: SparkOutput,
    private readonly opts: FollowOptions,
  ) {
    this.store = storeOf(output);
    const ended = () => (this.jobEnded = true);
    opts.job.then(ended, ended);
  }

  async *records(): AsyncGenerator<SparkRecord> {
    const { fromOrdinal, signal, inputEnd } = this.opts;
    const heads = new Map<string, Part | undefined>(); // part files looked at, by name
    let block = 0;
    let ordinals = 0;
    let lines = 0;
    for (;;) {
      if (signal.aborted) return;
      // Whether the job had ended before this look: a part committed just before its end is then in the listing.
      const ended = this.jobEnded;
      const file = (this.opts.ready?.() ?? true) ? await this.findPart(heads, block) : undefined;
      if (file === undefined) {
        if (ended) break;
        await sleep(this.opts.pollMs ?? this.store.pollMs);
        continue;
      }
      const { next, trailer } = yield* partRecords(this.store, file, { ordinalBase: ordinals, lineBase: lines, expect: ordinals + 1, fromOrdinal });
      const local = next - ordinals - 1;
      if (!trailer || trailer.records !== local) throw new SparkJobError(`Spark output ${at(this.store, file)} is incomplete: ${trailer ? `${local} records, its trailer says ${trailer.records}` : 'no trailer line'}`, []);
      ordinals += trailer.records;
      // A partition that ends inside a record: its records are whole and numbered right,
      // but the next partition starts mid-record. The job redoes the file by its splitting
      // path; the records after these come from that final output.
      if (trailer.tail) break;
      lines += trailer.lines;
      block = trailer.blockEnd;
      this.reached = block;
      if (block >= inputEnd) {
        this.followedAll = true;
        break;
      }
    }
    try {
      await this.opts.job;
    } catch (e) {
      if (signal.aborted) return; // stopped on request: nothing more, resumable
      throw e;
    }
    const summary = (this.summary = await readSparkSummary(this.store));
    if (!this.followedAll) {
      yield* readSparkRecords(this.store, Math.max(fromOrdinal, ordinals + 1), summary.offsets);
    } else if (summary.records !== ordinals) {
      throw new SparkJobError(`Spark output holds ${ordinals} records, the job counted ${summary.records}`, []);
    }
  }

  /** The committed one-pass part of `block`, if it is there yet. */
  private async findPart(heads: Map<string, Part | undefined>, block: number): Promise<string | undefined> {
    for (const name of await this.store.names()) {
      if (!name.startsWith('part-') || heads.has(name)) continue;
      heads.set(name, await partHead(this.store, name));
    }
    for (const p of heads.values()) {
      if (p?.block !== undefined && Number(p.block) === block) return p.file;
    }
    return undefined;
  }
}
