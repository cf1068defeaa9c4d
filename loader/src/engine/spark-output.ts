// Reading what loader/spark/transform.py wrote: part files, each a contiguous run of
// ordinals, one line per input record:
//   ordinal \t line \t K \t oddity column indexes \t the row encoded as encodeTsvLine writes it
//   ordinal \t line \t R \t reason \t base64(raw) \t base64(detail)
// plus _SUCCESS and _pipewarden.json. Records come back in ordinal order, checked to be
// gap-free: a lost part file must fail the load, not silently drop rows.
import { createReadStream, existsSync, openSync, readSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REJECT_REASONS, type RejectReason } from '@pipewarden/core';
import { SparkJobError } from './spark-process';

export interface SparkSummary {
  version: number;
  header: string[];
  header_error: string | null;
  unknown_headers: string[];
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
  /** A kept row: its TSV bytes as encodeTsvLine writes them, without the newline. */
  | { ordinal: number; line: number; kind: 'K'; oddities: number[]; key: string; tsv: Buffer }
  | { ordinal: number; line: number; kind: 'R'; reason: RejectReason; raw: Buffer; detail?: string };

/** The job's summary, or a clear error when the output is incomplete (no _SUCCESS). */
export function readSparkSummary(outDir: string): SparkSummary {
  if (!existsSync(join(outDir, '_SUCCESS'))) {
    throw new SparkJobError(`the Spark job left no _SUCCESS marker in ${outDir}: its output is incomplete`, []);
  }
  const f = join(outDir, '_pipewarden.json');
  if (!existsSync(f)) throw new SparkJobError(`the Spark job wrote no summary (${f})`, []);
  return JSON.parse(readFileSync(f, 'utf8')) as SparkSummary;
}

/** Whether a finished job's output is there to reuse (a resumed load skips the Spark run). */
export function sparkOutputComplete(outDir: string): boolean {
  return existsSync(join(outDir, '_SUCCESS')) && existsSync(join(outDir, '_pipewarden.json'));
}

interface Part {
  file: string;
  /** First ordinal (absolute output) or block start (one-pass output). */
  order: number;
  /** One-pass output: the part's block start. */
  block?: string;
}

function partHead(file: string): Part | undefined {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(40);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n === 0) return undefined;
    const head = buf.subarray(0, n).toString('latin1');
    const m = /^(#\t)?(\d+)[\t\n]/.exec(head);
    if (!m) throw new SparkJobError(`malformed Spark output ${file}: it does not start with an ordinal or a block`, []);
    return { file, order: Number(m[2]), ...(m[1] ? { block: m[2] } : {}) };
  } finally {
    closeSync(fd);
  }
}

/** Part files in record order (by first ordinal, or by block start for one-pass output); empty parts left out. */
export function partFiles(outDir: string): string[] {
  return parts(outDir).map((p) => p.file);
}

function parts(outDir: string): Part[] {
  return readdirSync(outDir)
    .filter((f) => f.startsWith('part-'))
    .map((f) => partHead(join(outDir, f)))
    .filter((p): p is Part => p !== undefined)
    .sort((a, b) => a.order - b.order);
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
    const keyEnd = l.indexOf(TAB, t4 + 1);
    const tsv = l.subarray(t4 + 1);
    return { ordinal, line, kind: 'K', oddities, key: l.toString('latin1', t4 + 1, keyEnd < 0 ? l.length : keyEnd), tsv };
  }
  const t5 = l.indexOf(TAB, t4 + 1);
  const reason = l.toString('latin1', t3 + 1, t4);
  if (kind !== 82 /* R */ || t5 < 0 || !REASONS.has(reason)) throw malformed(where);
  const detail = Buffer.from(l.toString('latin1', t5 + 1), 'base64').toString('utf8');
  return { ordinal, line, kind: 'R', reason: reason as RejectReason, raw: Buffer.from(l.toString('latin1', t4 + 1, t5), 'base64'), ...(detail ? { detail } : {}) };
}

/** Lines of a file as byte slices (a line may straddle two chunks of the stream). */
async function* fileLines(file: string): AsyncGenerator<Buffer> {
  let rest: Buffer | undefined;
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) {
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

/** Every record of a finished job, in ordinal order, from `fromOrdinal` on. */
export async function* readSparkRecords(outDir: string, fromOrdinal = 1, offsets: SparkSummary['offsets'] = null): AsyncGenerator<SparkRecord> {
  let expect = 1;
  for (const part of parts(outDir)) {
    const file = part.file;
    let addOrdinal = 0;
    let addLine = 0;
    if (part.block !== undefined) {
      const off = offsets?.[part.block];
      if (!off) throw new SparkJobError(`Spark output ${file} is for block ${part.block}, which the summary does not list`, []);
      [addOrdinal, addLine] = off;
    }
    let n = 0;
    for await (const l of fileLines(file)) {
      n++;
      if (l.length === 0 || l[0] === 35 /* # */) continue;
      // Cheap ordinal check before parsing: skip what a resumed load already has.
      const ordinal = readInt(l, 0, l.indexOf(TAB)) + addOrdinal;
      if (ordinal !== expect) {
        throw new SparkJobError(`Spark output is not contiguous: expected record ${expect}, found ${ordinal} (${file}:${n})`, []);
      }
      expect++;
      if (ordinal < fromOrdinal) continue;
      const r = parseSparkLine(l, `${file}:${n}`);
      r.ordinal = ordinal;
      r.line += addLine;
      yield r;
    }
  }
}
