// A trial's workload, drawn from its seed: one to three objects in S3, each synthetic
// (sizes from a few hundred to tens of thousands of rows, duplicate keys, bad rows, CRLF,
// keys shared across objects or not) or the real FY2014 sample, stored as plain CSV, gzip,
// zstd or Parquet; plus the engine and the loader settings of the first run.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createS3Client, generate, putFile } from '@pipewarden/loader';
import { REPO_ROOT, type Stack } from '@pipewarden/stack';
import { SHARED_SAMPLE } from '../helpers/stack';
import { Rng } from './random';

export type Engine = 'inline' | 'spark';

/** How an object is stored: its name ends with the format's extension. */
export const OBJECT_FORMATS = ['csv', 'gz', 'zst', 'parquet'] as const;
export type ObjectFormat = (typeof OBJECT_FORMATS)[number];
const EXTENSION: Record<ObjectFormat, string> = { csv: '.csv', gz: '.csv.gz', zst: '.csv.zst', parquet: '.parquet' };

export function formatOf(name: string): ObjectFormat {
  return name.endsWith('.csv.gz') ? 'gz' : name.endsWith('.csv.zst') ? 'zst' : name.endsWith('.parquet') ? 'parquet' : 'csv';
}

interface ObjectSpec {
  /** Its key under the trial's prefix; the extension says its format (formatOf). */
  name: string;
  /** Synthetic rows (generate.ts), or the real sample when null. */
  generated: { rows: number; seed: number; badShare: number; duplicateShare: number; keyBase: number; crlf: boolean } | null;
}

export interface LoaderSettings {
  engine: Engine;
  batchSize: number;
  pipelineDepth: number;
  connections: number;
  /** PIPEWARDEN_RANGE_BYTES: 0 loads objects whole; else larger ones are cut into ranges (inline engine). */
  rangeBytes: number;
  /** PIPEWARDEN_LIST_WINDOW: objects listed, planned and proved at a time. */
  listWindow: number;
}

export interface Workload {
  prefix: string;
  objects: ObjectSpec[];
  /** Input records over all objects (header excluded). */
  records: number;
  settings: LoaderSettings;
}

const SAMPLE_RECORDS = 5000;

export function drawSettings(rng: Rng, engines: readonly Engine[]): LoaderSettings {
  // Spark is slow here (a JVM per load): drawn for one trial in ten when allowed.
  const engine: Engine = engines.includes('spark') && (engines.length === 1 || rng.chance(0.1)) ? 'spark' : 'inline';
  const settings = { engine, batchSize: rng.pick([250, 500, 1000, 2000, 5000]), pipelineDepth: rng.int(1, 6), connections: rng.int(1, 6) };
  // One trial in three cuts its objects into ranges of a few batches (issue 17), so faults hit split objects too.
  const rangeBytes = engine === 'inline' && rng.chance(1 / 3) ? rng.pick([50_000, 200_000, 800_000]) : 0;
  // One trial in three lists its objects one or two at a time, so faults hit later windows too.
  return { ...settings, rangeBytes, listWindow: rng.chance(1 / 3) ? rng.pick([1, 2]) : 10_000 };
}

export function drawWorkload(rng: Rng, seed: number, engines: readonly Engine[], formats: readonly ObjectFormat[] = OBJECT_FORMATS): Workload {
  // Formats come from a stream of their own: with --formats csv a seed draws exactly the
  // workload and schedule it drew before formats existed (the CI's regression seeds).
  const formatRng = new Rng(seed * 7919 + 104729);
  const others = formats.filter((f) => f !== 'csv');
  const formatOfNext = () => (others.length && (!formats.includes('csv') || formatRng.chance(0.4)) ? formatRng.pick(others.flatMap((f) => (f === 'parquet' ? [f, f] : [f]))) : 'csv');
  const n = rng.pick([1, 1, 1, 2, 2, 3]);
  const objects: ObjectSpec[] = [];
  let records = 0;
  let sampleUsed = false;
  for (let i = 0; i < n; i++) {
    // Two objects in five are compressed or Parquet (twice as often), so faults hit every reader.
    const ext = EXTENSION[formatOfNext()];
    if (!sampleUsed && rng.chance(0.2)) {
      sampleUsed = true;
      objects.push({ name: `part-${i}-sample${ext}`, generated: null });
      records += SAMPLE_RECORDS;
      continue;
    }
    const rows = rng.logInt(300, n === 1 ? 30000 : 12000);
    // Objects share a key range one time in four: the first occurrence across objects wins.
    const keyBase = i > 0 && rng.chance(0.25) ? 7_000_000_000 : 7_000_000_000 + i * 10_000_000;
    objects.push({
      name: `part-${i}${ext}`,
      generated: { rows, seed: seed * 10 + i, badShare: rng.pick([0, 0.001, 0.01, 0.03]), duplicateShare: rng.pick([0, 0.002, 0.02]), keyBase, crlf: rng.chance(0.2) },
    });
    records += rows;
  }
  return { prefix: `t${seed}/`, objects, records, settings: drawSettings(rng, engines) };
}

export interface Materialized {
  /** The source every command of the trial loads: the trial's prefix in S3. */
  url: string;
}

/**
 * Write the objects into `dir` (kept: the old version if one is replaced), stored in their
 * formats, and upload them under the trial's prefix. Their plain CSV text is kept beside
 * `dir` (plainCopy), out of the folder a verify of the old version reads.
 */
export async function materialize(stack: Stack, w: Workload, dir: string): Promise<Materialized> {
  mkdirSync(dir, { recursive: true });
  const s3 = createS3Client(stack.config());
  try {
    for (const o of w.objects) {
      const file = join(dir, o.name);
      const plain = plainCopy(file);
      mkdirSync(dirname(plain), { recursive: true });
      if (o.generated) await generate(plain, o.generated);
      else copyFileSync(SHARED_SAMPLE, plain);
      store(plain, file);
      await putFile(s3, file, s3Url(stack, w, o.name));
    }
  } finally {
    s3.destroy();
  }
  return { url: `s3://${stack.layout.bucket}/${w.prefix}` };
}

/** Where the plain CSV text of a stored object lies. */
function plainCopy(stored: string): string {
  return join(`${dirname(stored)}.plain`, `${basename(stored)}.csv`);
}

/** The CSV `plain` stored at `out` in the format its name says (Parquet by pyarrow, which leaves out malformed rows). */
function store(plain: string, out: string): void {
  const format = formatOf(out);
  if (format === 'csv') copyFileSync(plain, out);
  else if (format === 'gz') writeFileSync(out, gzipSync(readFileSync(plain)));
  else if (format === 'zst') writeFileSync(out, execFileSync('zstd', ['-q', '-c', plain], { maxBuffer: 1 << 30 }));
  else execFileSync(join(REPO_ROOT, '.venv', 'bin', 'python'), [join(REPO_ROOT, 'scripts', 'csv-to-parquet.py'), '--skip-invalid', '--row-group-rows', '3000', plain, out], { stdio: 'pipe' });
}

export function s3Url(stack: Stack, w: Workload, name: string): string {
  return `s3://${stack.layout.bucket}/${w.prefix}${name}`;
}

/**
 * The object stored at `original` (by materialize, or a plain CSV) as if more rows had been appended to it
 * (a new version, a new ETag): the old rows unchanged, then `extra` clean rows with keys no
 * other object has, stored in the same format. Returns its path.
 */
export async function appendedVersion(original: string, extra: number, seed: number, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, basename(original));
  const plain = plainCopy(out);
  mkdirSync(dirname(plain), { recursive: true });
  const tail = join(dirname(plain), 'appended-rows.csv');
  await generate(tail, { rows: extra, seed, badShare: 0, duplicateShare: 0, keyBase: 8_000_000_000 });
  const body = readFileSync(tail, 'utf8');
  const rows = body.slice(body.indexOf('\n') + 1);
  // A plain CSV written by hand (not by materialize) is its own plain copy.
  const oldPlain = existsSync(plainCopy(original)) || formatOf(original) !== 'csv' ? plainCopy(original) : original;
  const old = readFileSync(oldPlain, 'utf8');
  const eol = old.includes('\r\n') ? '\r\n' : '\n';
  writeFileSync(plain, old + (old.endsWith('\n') ? '' : eol) + (eol === '\n' ? rows : rows.replace(/\n/g, '\r\n')));
  store(plain, out);
  return out;
}
