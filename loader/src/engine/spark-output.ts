// Reading what loader/spark/transform.py wrote: part files, each a contiguous run of
// ordinals, one line per input record:
//   ordinal \t line \t K \t oddity column indexes \t the row encoded as encodeTsvLine writes it
//   ordinal \t line \t R \t reason \t base64(raw) \t base64(detail)
// plus _SUCCESS and _pipewarden.json. Records come back in ordinal order, checked to be
// gap-free: a lost part file must fail the load, not silently drop rows.
import { createReadStream, existsSync, openSync, readSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
  scan: 'jvm' | 'python';
  seconds: { scan: number; transform: number };
}

export type SparkRecord =
  | { ordinal: number; line: number; kind: 'K'; oddities: number[]; tsv: string }
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

function firstOrdinal(file: string): number | undefined {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(32);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n === 0) return undefined;
    const tab = buf.indexOf(9);
    if (tab <= 0) throw new SparkJobError(`malformed Spark output ${file}: no ordinal at its start`, []);
    return Number(buf.subarray(0, tab).toString('latin1'));
  } finally {
    closeSync(fd);
  }
}

/** Part files ordered by the first ordinal they hold; empty parts left out. */
export function partFiles(outDir: string): string[] {
  const parts = readdirSync(outDir)
    .filter((f) => f.startsWith('part-'))
    .map((f) => ({ file: join(outDir, f), first: firstOrdinal(join(outDir, f)) }))
    .filter((p): p is { file: string; first: number } => p.first !== undefined);
  return parts.sort((a, b) => a.first - b.first).map((p) => p.file);
}

const REASONS = new Set<string>(REJECT_REASONS);

export function parseSparkLine(l: string, where: string): SparkRecord {
  const t1 = l.indexOf('\t');
  const t2 = l.indexOf('\t', t1 + 1);
  const t3 = l.indexOf('\t', t2 + 1);
  const t4 = l.indexOf('\t', t3 + 1);
  if (t1 < 0 || t2 < 0 || t3 < 0 || t4 < 0) throw new SparkJobError(`malformed Spark output at ${where}`, []);
  const ordinal = Number(l.slice(0, t1));
  const line = Number(l.slice(t1 + 1, t2));
  const kind = l.slice(t2 + 1, t3);
  if (kind === 'K') {
    const odd = l.slice(t3 + 1, t4);
    return { ordinal, line, kind, oddities: odd ? odd.split(',').map(Number) : [], tsv: l.slice(t4 + 1) };
  }
  const t5 = l.indexOf('\t', t4 + 1);
  const reason = l.slice(t3 + 1, t4);
  if (kind !== 'R' || t5 < 0 || !REASONS.has(reason)) throw new SparkJobError(`malformed Spark output at ${where}`, []);
  const detail = Buffer.from(l.slice(t5 + 1), 'base64').toString('utf8');
  return { ordinal, line, kind, reason: reason as RejectReason, raw: Buffer.from(l.slice(t4 + 1, t5), 'base64'), ...(detail ? { detail } : {}) };
}

/** Every record of a finished job, in ordinal order, from `fromOrdinal` on. */
export async function* readSparkRecords(outDir: string, fromOrdinal = 1): AsyncGenerator<SparkRecord> {
  let expect = 1;
  for (const file of partFiles(outDir)) {
    const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity });
    let n = 0;
    for await (const l of rl) {
      n++;
      if (l.length === 0) continue;
      // Cheap ordinal check before parsing: skip what a resumed load already has.
      const ordinal = Number(l.slice(0, l.indexOf('\t')));
      if (ordinal !== expect) {
        throw new SparkJobError(`Spark output is not contiguous: expected record ${expect}, found ${ordinal} (${file}:${n})`, []);
      }
      expect++;
      if (ordinal < fromOrdinal) continue;
      yield parseSparkLine(l, `${file}:${n}`);
    }
  }
}
