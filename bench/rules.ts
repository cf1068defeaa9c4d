// The cost of generic rules for NYC: the inline engine's CSV → TSV path (split records,
// map the header, fast path for ASCII records, reference + encodeTsvLine for the rest,
// batches of 1,000 rows in a reused buffer) with
//   (a) the rules of the built-in NYC spec (rulesFor(spec), loader/src/engine/fast-row.ts), and
//   (b) the frozen pre-issue-15 compiled NYC rules (bench/baselines/compiled-nyc),
// on the same rows: the real FY2014 sample repeated to --rows (default 1,000,000). Rounds
// are interleaved (a b a b …: the machine is noisy), medians compared. Issue 15's bar:
// ratio_generic_vs_compiled = rate(a) / rate(b) >= 0.95.
//
//   npm run bench:rules -- [--rows 1000000] [--rounds 7]
//
// Last line: RESULT {json}.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATASET, GrowableSink, datasetOf, rulesFor, type HeaderMap, type Value } from '@pipewarden/core';
import { CsvRecordReader, type CsvRecord } from '../loader/src/engine/csv-records';
import { FastRows } from '../loader/src/engine/fast-row';
import * as compiled from './baselines/compiled-nyc';
import { flag } from './lib';

const args = process.argv.slice(2);
const ROWS = flag(args, 'rows', 1_000_000);
const ROUNDS = flag(args, 'rounds', 7);
const BATCH = 1000;

/** The sample's header and its data lines repeated to `rows` rows, as one CSV buffer. */
function input(rows: number): Buffer {
  const text = readFileSync(join(__dirname, '..', 'data', 'nyc-parking-fy2014-sample.csv'), 'utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const [header, ...data] = lines;
  const out: string[] = [header];
  for (let i = 0; i < rows; i++) out.push(data[i % data.length]);
  return Buffer.from(out.join('\n') + '\n', 'utf8');
}

/** One engine's per-record work, as loader/src/engine/inline.ts does it. */
interface Path {
  header(fields: string[]): void;
  record(r: CsvRecord, w: GrowableSink, keys: string[]): boolean;
}

function genericPath(): Path {
  const rules = rulesFor(datasetOf({ dataset: DEFAULT_DATASET }));
  const fast = new FastRows(rules);
  let map: HeaderMap | undefined;
  let odd = rules.newOddities();
  const values: Value[] = [];
  return {
    header(fields) {
      map = rules.mapHeader(fields);
      odd = rules.newOddities();
    },
    // The engine's own per-record path (loader/src/engine/inline.ts calls the same method).
    record(r, w, keys) {
      return fast.record(r, map!, odd, w, keys, values) === null;
    },
  };
}

function compiledPath(): Path {
  let map: compiled.HeaderMap | undefined;
  let odd = new compiled.OddityCounter();
  const values: compiled.Value[] = [];
  const key = [''];
  return {
    header(fields) {
      map = compiled.mapHeader(fields);
      odd = new compiled.OddityCounter();
    },
    record(r, w, keys) {
      if (r.ascii && !r.hasEscapes) {
        if (compiled.fastRow(r.source, r.ranges, map!, odd, w, key) !== null) return false;
        keys.push(key[0]);
        return true;
      }
      if (compiled.normalizeInto(r.fields, map!, odd, values) !== null) return false;
      keys.push(values[compiled.KEY_INDEX] as string);
      w.write(compiled.encodeTsvLine(values));
      return true;
    },
  };
}

/** Run one path over the CSV; rows per second and a digest of every TSV byte (both paths must agree). */
function run(csv: Buffer, path: Path): { rate: number; kept: number; digest: number } {
  const t0 = process.hrtime.bigint();
  const reader = new CsvRecordReader();
  let headerSeen = false;
  let w = new GrowableSink(1 << 20);
  let keys: string[] = [];
  let inBatch = 0;
  let kept = 0;
  let digest = 0;
  const flush = () => {
    // A cheap digest of the batch's bytes, so the two paths are proven to write the same.
    for (let i = 0; i < w.len; i += 97) digest = (digest * 31 + w.buf[i]) | 0;
    digest = (digest * 31 + w.len) | 0;
    w = new GrowableSink(1 << 20);
    keys = [];
    inBatch = 0;
  };
  const take = (r: CsvRecord) => {
    if (!headerSeen) {
      headerSeen = true;
      path.header(r.fields);
      return;
    }
    if (path.record(r, w, keys)) kept++;
    if (++inBatch >= BATCH) flush();
  };
  for (let i = 0; i < csv.length; i += 1 << 16) for (const r of reader.push(csv.subarray(i, i + (1 << 16)))) take(r);
  for (const r of reader.end()) take(r);
  flush();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { rate: ROWS / seconds, kept, digest };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function main(): void {
  const csv = input(ROWS);
  console.log(`rules bench: ${ROWS} NYC rows (${(csv.length / 1e6).toFixed(1)} MB), ${ROUNDS} interleaved rounds`);
  const generic: number[] = [];
  const base: number[] = [];
  // A warm-up of each, not counted (JIT).
  const g0 = run(csv.subarray(0, Math.min(csv.length, 20 << 20)), genericPath());
  const c0 = run(csv.subarray(0, Math.min(csv.length, 20 << 20)), compiledPath());
  if (g0.digest !== c0.digest || g0.kept !== c0.kept) throw new Error('the generic and compiled rules wrote different TSV bytes');
  for (let i = 0; i < ROUNDS; i++) {
    const [first, second] = i % 2 === 0 ? (['g', 'c'] as const) : (['c', 'g'] as const);
    for (const which of [first, second]) {
      const r = run(csv, which === 'g' ? genericPath() : compiledPath());
      (which === 'g' ? generic : base).push(r.rate);
      console.log(`round ${i + 1} ${which === 'g' ? 'generic ' : 'compiled'}: ${Math.round(r.rate)} rows/s (kept ${r.kept})`);
    }
  }
  const g = median(generic);
  const c = median(base);
  const result = { rows: ROWS, rounds: ROUNDS, generic_rows_per_s: Math.round(g), compiled_rows_per_s: Math.round(c), ratio_generic_vs_compiled: Number((g / c).toFixed(3)), bar: 0.95, pass: g / c >= 0.95 };
  console.log(`generic ${result.generic_rows_per_s} rows/s, compiled ${result.compiled_rows_per_s} rows/s, ratio ${result.ratio_generic_vs_compiled}`);
  console.log(`RESULT ${JSON.stringify(result)}`);
}

main();
