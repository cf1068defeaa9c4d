// The Spark engine must hand the loader exactly what the inline engine does: the same kept
// rows (TSV bytes), the same dead letters (line, reason, detail, raw bytes), the same
// oddity counts and the same batch boundaries, on the real NYC sample, on generated data
// with bad rows, and on a hand-made file of CSV edge cases split into tiny Spark partitions
// so that records (multi-line quoted fields included) cross partition boundaries.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DATASET, datasetOf, loadConfig, splitTsv, decodeTsvLine, type Config } from '@pipewarden/core';
import { createSparkEngine, sparkStagingDir } from '../src/engine/spark';
import { captureLogger, drainEngine, inlineEngine, sparkSkipReason, type Drained } from './helpers/spark-testkit';
import { generate } from '../src/generate';
import { LocalSource } from '../src/source/local';
import type { BatchDraft } from '../src/engine/types';

jest.setTimeout(240_000);

const skip = sparkSkipReason();
if (skip) console.warn(`SKIPPED spark-parity: ${skip}`);
const describeSpark = skip ? describe.skip : describe;

const COLUMNS = datasetOf({ dataset: DEFAULT_DATASET }).columns; // NYC

const SHARED = join(__dirname, '..', '..', '..', 'shared', 'data', 'nyc-parking-fy2014-head.csv');
const SAMPLE = existsSync(SHARED) ? SHARED : join(__dirname, '..', '..', 'data', 'nyc-parking-fy2014-sample.csv');

/** Kept rows by key, so a mismatch names the key and the column that differ. */
function firstRowDifference(inline: string, spark: string): string | undefined {
  const byKey = (tsv: string) => new Map(splitTsv(tsv).map((l) => [l.slice(0, l.indexOf('\t')), l] as const));
  const a = byKey(inline);
  const b = byKey(spark);
  for (const [k, la] of [...a].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const lb = b.get(k);
    if (lb === undefined) return `row ${k} is missing from Spark's output`;
    if (la === lb) continue;
    const fa = decodeTsvLine(la);
    const fb = decodeTsvLine(lb);
    const i = fa.findIndex((v, j) => v !== fb[j]);
    return `row ${k}, column ${COLUMNS[i]?.name}: inline ${JSON.stringify(fa[i])}, spark ${JSON.stringify(fb[i])}`;
  }
  for (const k of b.keys()) if (!a.has(k)) return `row ${k} is only in Spark's output`;
  return undefined;
}

const shape = (drafts: BatchDraft[]) => drafts.filter((d) => d.src.records > 0).map((d) => ({ ...d.src, startByte: undefined, endByte: undefined, nextLine: undefined, keys: d.keys.length, rejects: d.rejects.length, odd: d.oddities.total() }));

function expectSame(inline: Drained, spark: Drained): void {
  expect(firstRowDifference(inline.tsv, spark.tsv)).toBeUndefined();
  expect(spark.tsv).toBe(inline.tsv); // same bytes in the same order
  expect(spark.rejects).toEqual(inline.rejects);
  expect(spark.oddities).toEqual(inline.oddities);
  expect(shape(spark.drafts)).toEqual(shape(inline.drafts));
  // per-batch oddities, not only the totals
  expect(spark.drafts.filter((d) => d.src.records > 0).map((d) => d.oddities.counts)).toEqual(inline.drafts.filter((d) => d.src.records > 0).map((d) => d.oddities.counts));
  expect(spark.drafts[spark.drafts.length - 1].last).toBe(true);
  expect(spark.drafts[0].header).toEqual(inline.drafts[0].header);
}

/** A file of the CSV and normalization corner cases both engines must agree on. */
function edgeCaseFile(): Buffer {
  // Columns in reverse spec order, with stray spaces and two Kaggle extras, a BOM and CRLF.
  const headers = [...COLUMNS].reverse().map((c, i) => (i % 7 === 0 ? `  ${c.header.toUpperCase()}   ` : c.header));
  headers.splice(5, 0, 'Latitude', 'Community Council ');
  const byColumn = new Map(COLUMNS.map((c) => [c.header, c.name] as const));
  const colOf = (h: string) => byColumn.get(COLUMNS.find((c) => c.header.toLowerCase() === h.trim().toLowerCase())?.header ?? '') ?? h;
  const base: Record<string, string> = {
    summons_number: '1', plate_id: 'ABC1234', registration_state: 'NY', plate_type: 'PAS', issue_date: '07/18/2013',
    violation_code: '24', vehicle_body_type: 'SDN', vehicle_make: 'FORD', issuing_agency: 'P', street_code1: '0',
    vehicle_expiration_date: '20140688', violation_time: '0839A', house_number: '712', street_name: 'W 175 ST', vehicle_year: '2005',
  };
  const row = (key: string, over: Record<string, string> = {}) =>
    headers.map((h) => {
      const col = colOf(h);
      if (col === 'summons_number') return key;
      return over[col] ?? base[col] ?? '';
    }).join(',');
  const lines: (string | Buffer)[] = [
    '\uFEFF' + headers.join(',') + '\r\n',
    row('1001') + '\r\n',
    row('1002', { street_name: '"BROADWAY, NY"', house_number: '"12-14"' }) + '\n',
    row('1003', { street_name: '"LINE ONE\nLINE TWO\r\nLINE THREE"' }) + '\n', // a record over three lines
    row('1004', { street_name: '"SAY ""HI"" THERE"', intersecting_street: 'TAB\tAND\\BACKSLASH' }) + '\n',
    '\n',
    '\r\n',
    '""\n',
    row('0001005', { registration_state: 'ny', plate_type: 'pas' }) + '\n',
    row(' 1006 ', { registration_state: '\u00a0NJ\u00a0', plate_type: '\u001cPAS' }) + '\n', // JS trims NBSP, not \x1c
    row('0') + '\n',
    row('12A') + '\n',
    row('') + '\n',
    row('99999999999999999999') + '\n',
    row('9223372036854775807') + '\n',
    row('1007', { vehicle_make: '😀😀😀😀', vehicle_body_type: '😀😀😀😀😀' }) + '\n', // UTF-16 lengths 8 and 10
    row('1008', { issue_date: '02/29/2016', vehicle_expiration_date: '02/29/2014', date_first_observed: '20130230', violation_time: '1200A', time_first_observed: '1200P' }) + '\n',
    row('1009', { issue_date: '0', violation_time: '2400', time_first_observed: '0930p', vehicle_year: '0', street_code1: '0079', street_code2: '-5', street_code3: '1234567890123' }) + '\n',
    row('1010', { violation_time: '2359', time_first_observed: '1261P', vehicle_year: '1899', feet_from_curb: '1000' }) + '\n',
    row('1011').split(',').slice(0, 20).join(',') + '\n', // too few fields
    row('1012', { plate_id: '"AB"C' }) + '\n', // characters after a closing quote
    Buffer.concat([Buffer.from(row('1013', { plate_id: 'BAD' }).replace('BAD', '')), Buffer.from([0xff, 0xfe, 0x41])]),
    '\n',
    row('1014', { plate_id: 'A"B"C', street_name: 'MID\rCR' }) + '\r\n',
    row('1015', { street_name: '"QUOTED AT CRLF"' }) + '\r\n',
    row('"1016"') + '\n',
    row('1017', { street_name: '"UNCLOSED HERE' }) + '\n', // swallows lines up to the next quote
    row('1018') + '\n',
    row('1019', { street_name: '"NEXT QUOTE"' }) + '\n',
    row('1020') + '\n',
  ];
  for (let i = 0; i < 40; i++) lines.push(row(String(2000 + i), { street_name: i % 3 === 0 ? `"MULTI\nLINE ${i}"` : `PLAIN ${i}` }) + (i % 2 ? '\r\n' : '\n'));
  lines.push(row('3000', { street_name: '"UNCLOSED AT THE END' })); // no final newline
  return Buffer.concat(lines.map((l) => (typeof l === 'string' ? Buffer.from(l, 'utf8') : l)));
}

describeSpark('Spark engine parity with the inline engine', () => {
  let dir: string;
  let config: Config;
  const { log, lines: logLines } = captureLogger();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-spark-parity-'));
    config = loadConfig({ env: { PIPEWARDEN_RUN_DIR: join(dir, 'run'), PIPEWARDEN_ENGINE: 'spark' }, useStackEnv: false });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function both(file: string, batchSize: number, partitionBytes: number): Promise<{ inline: Drained; spark: Drained }> {
    const source = new LocalSource(file);
    const [object] = await source.list();
    config.spark.maxPartitionBytes = partitionBytes;
    const spark = await drainEngine(createSparkEngine(config, log), source, object, batchSize);
    return { inline: await drainEngine(inlineEngine(config), source, object, batchSize), spark };
  }

  test('the real NYC sample (43 + 8 columns, quoted fields with commas), 4 partitions', async () => {
    logLines.length = 0;
    const { inline: a, spark: b } = await both(SAMPLE, 1000, 256 << 10);
    expect(logLines.find((l) => l.includes('spark output ready'))).toContain('scan=none'); // one line, one record: one pass
    expect(a.drafts.reduce((n, d) => n + d.src.records, 0)).toBe(4999);
    expect(a.tsv).toContain('760 BROADWAY ,BROOKL'); // a quoted field with a comma inside
    expectSame(a, b);
    expect(b.oddities.reduce((x, y) => x + y, 0)).toBeGreaterThan(1000); // the sample's many zero dates
  });

  test('CSV edge cases with records crossing tiny Spark partitions', async () => {
    const file = join(dir, 'edge.csv');
    writeFileSync(file, edgeCaseFile());
    logLines.length = 0;
    const { inline: a, spark: b } = await both(file, 7, 700);
    const reasons = new Set(a.rejects.map((r) => r.reason));
    for (const r of ['csv_error', 'invalid_utf8', 'column_count', 'missing_key', 'invalid_key']) expect(reasons).toContain(r);
    expect(a.tsv).toContain('LINE ONE\\nLINE TWO\\r\\nLINE THREE'); // multi-line field, TSV-escaped
    expect(a.tsv).toContain('TAB\\tAND\\\\BACKSLASH');
    expectSame(a, b);
    // The file really was cut into many partitions, some with records carried across.
    const ready = logLines.find((l) => l.includes('spark output ready'));
    expect(Number(/partitions=(\d+)/.exec(ready ?? '')?.[1])).toBeGreaterThan(10);
    expect(Number(/carried=(\d+)/.exec(ready ?? '')?.[1])).toBeGreaterThan(0);
    expect(ready).toContain('scan=python'); // multi-line records: the splitting scan ran
  });

  test('records crossing partitions in a file that ends with a newline: the one-pass attempt notices and redoes it', async () => {
    const edge = edgeCaseFile();
    const file = join(dir, 'edge-lf.csv');
    writeFileSync(file, Buffer.concat([edge.subarray(0, edge.lastIndexOf(0x0a) + 1)])); // drop the unterminated last line
    logLines.length = 0;
    const { inline: a, spark: b } = await both(file, 5, 500);
    expectSame(a, b);
    expect(logLines.some((l) => l.includes('spark transform retry'))).toBe(true);
    expect(logLines.find((l) => l.includes('spark output ready'))).toContain('scan=python');
  });

  test('generated data with bad rows, CRLF, Kaggle columns; a resumed read reuses the job output', async () => {
    const file = join(dir, 'generated.csv');
    const stats = await generate(file, { rows: 20000, seed: 7, badShare: 0.05, duplicateShare: 0.01, kaggle: true, crlf: true });
    expect(stats.bad).toBeGreaterThan(500);
    const source = new LocalSource(file);
    const [object] = await source.list();
    config.spark.maxPartitionBytes = 1 << 20;
    const spark = createSparkEngine(config, log);
    // Take three batches (the last once the job has finished), then stop as a crashed loader would…
    const first: BatchDraft[] = [];
    const done = join(sparkStagingDir(config, object), 'out', '_pipewarden.json');
    for await (const d of spark.batches(source, object, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 777 }, new AbortController().signal)) {
      first.push(d);
      if (first.length === 2) while (!existsSync(done)) await new Promise((r) => setTimeout(r, 50));
      if (first.length === 3) break;
    }
    // …and resume from the checkpoint: no second Spark run, the same batches follow.
    logLines.length = 0;
    const rest = await drainEngine(spark, source, object, 777, { nextRecord: 3 * 777 + 1 });
    expect(logLines.some((l) => l.includes('reusing the output of an earlier Spark run'))).toBe(true);
    expect(logLines.some((l) => l.includes('spark job starting'))).toBe(false);
    const a = await drainEngine(inlineEngine(config), source, object, 777);
    const drafts = [...first, ...rest.drafts];
    const b: Drained = {
      drafts,
      tsv: Buffer.concat(drafts.map((d) => d.tsv)).toString('utf8'),
      rejects: drafts.flatMap((d) => d.rejects.map((r) => ({ line: r.line, reason: r.reason, detail: r.detail, raw: r.raw.toString('base64') }))),
      oddities: COLUMNS.map((_, i) => drafts.reduce((n, d) => n + d.oddities.counts[i], 0)),
    };
    expect(a.rejects.length).toBe(stats.bad);
    expectSame(a, b);
  });
});
