// The Spark engine applies the rules of ANY dataset exactly as the inline engine does: for
// each spec of data/datasets (wide with datetimes and decimals, a composite key, a keyless
// log) on its real sample, and for an all-types spec on the rules vectors' records written
// as CSV (quoted fields, escapes, non-ASCII, rejects of every kind), the same kept rows (TSV
// bytes), keys, dead letters, oddity counts, absent columns and batch boundaries.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetOf, loadConfig, rulesFor, type Config } from '@pipewarden/core';
import { InlineEngine } from '../src/engine/inline';
import { createSparkEngine } from '../src/engine/spark';
import { captureLogger, drainEngine, sparkSkipReason, type Drained } from './helpers/spark-testkit';
import { LocalSource } from '../src/source/local';
import { expectSameBatches } from './helpers/engine-parity';
import { VECTORS_PATH, type SpecVectors } from './spark-job/rules_vectors';

jest.setTimeout(300_000);

const skip = sparkSkipReason();
if (skip) console.warn(`SKIPPED spark-parity-datasets: ${skip}`);
const describeSpark = skip ? describe.skip : describe;

const REPO = join(__dirname, '..', '..');
const DATASETS = join(REPO, 'data', 'datasets');

const expectSame = expectSameBatches;

function csvField(f: string): string {
  return /[",\r\n]/.test(f) || f.startsWith('"') ? `"${f.replace(/"/g, '""')}"` : f;
}

/** The all-types spec's vector records as a CSV file (the header of every column, then one line per record). */
function vectorsCsv(v: SpecVectors): string {
  const lines = [v.headers[0].header.map(csvField).join(',')];
  for (const r of v.records) {
    if (r.header !== 0) continue;
    const fields = r.fields ?? v.base.map((b, i) => (r.vary && r.vary[0] === i ? r.vary[1] : b));
    lines.push(fields.map(csvField).join(','));
  }
  // A record over two lines, a CRLF, a blank line, an unclosed quote at the end.
  lines.push(v.base.map((b, i) => (i === v.base.length - 1 ? `"${b}\nmore"` : csvField(b))).join(','), '', v.base.map(csvField).join(',') + '\r');
  return lines.join('\n') + '\n' + v.base.map(csvField).join(',').replace(/,([^,]*)$/, ',"$1');
}

describeSpark('Spark engine parity with the inline engine, per dataset', () => {
  let dir: string;
  const { log, lines: logLines } = captureLogger();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-spark-datasets-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function configFor(spec: string): Config {
    return loadConfig({ env: { PIPEWARDEN_RUN_DIR: join(dir, 'run'), PIPEWARDEN_ENGINE: 'spark', PIPEWARDEN_DATASET: spec }, useStackEnv: false });
  }

  async function both(spec: string, file: string, batchSize: number, partitionBytes: number): Promise<{ inline: Drained; spark: Drained }> {
    const config = configFor(spec);
    const source = new LocalSource(file);
    const [object] = await source.list();
    config.spark.maxPartitionBytes = partitionBytes;
    logLines.length = 0;
    const spark = await drainEngine(createSparkEngine(config, log), source, object, batchSize);
    return { inline: await drainEngine(new InlineEngine(rulesFor(datasetOf(config))), source, object, batchSize), spark };
  }

  test('NYC 311 animal requests (datetimes with 12-hour clocks, patterns, enums; key under last), 3 partitions', async () => {
    const { inline: a, spark: b } = await both(join(DATASETS, 'nyc-311-animal-complaints', 'spec.yaml'), join(DATASETS, 'nyc-311-animal-complaints', 'sample.csv'), 400, 256 << 10);
    expect(a.drafts.reduce((n, d) => n + d.src.records, 0)).toBe(1500);
    expect(a.tsv).toMatch(/\t20\d\d-\d\d-\d\d \d\d:\d\d:00\t/); // datetimes written canonically
    expectSame(a, b);
    expect(Number(/partitions=(\d+)/.exec(logLines.find((l) => l.includes('spark output ready')) ?? '')?.[1])).toBeGreaterThan(1);
  });

  test('World Bank population (composite key country_code + year, an alias header)', async () => {
    const file = join(dir, 'population.csv');
    // The same rows under the alias "Population" and with the key columns' case varied.
    const text = readFileSync(join(DATASETS, 'world-population', 'sample.csv'), 'utf8').replace(/^Country Name,Country Code,Year,Value/, 'Country Name,Country Code,Year,Population');
    writeFileSync(file, text.replace(/,ABW,/g, ',abw,'));
    const { inline: a, spark: b } = await both(join(DATASETS, 'world-population', 'spec.yaml'), file, 300, 16 << 10);
    expect(a.drafts.flatMap((d) => d.keys)).toContain('ABW\t1960'); // key text: the key columns' values joined by a tab
    expectSame(a, b);
  });

  test('FAA bird strikes (keyless: every row kept; decimals; a required date)', async () => {
    const { inline: a, spark: b } = await both(join(DATASETS, 'faa-bird-strikes', 'spec.yaml'), join(DATASETS, 'faa-bird-strikes', 'sample.csv'), 500, 128 << 10);
    expect(a.drafts.reduce((n, d) => n + d.keys.length, 0)).toBeGreaterThan(2500);
    expect(a.drafts[0].keys[0]).toBe(a.tsv.slice(0, a.tsv.indexOf('\n'))); // keyless: the row's line
    expectSame(a, b);
  });

  test('every type\'s edge values (the rules vectors as CSV), records crossing tiny partitions', async () => {
    const vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as SpecVectors[];
    const v = vectors.find((x) => x.ref === 'loader/test/spark-job/testdata/all-types.yaml')!;
    const file = join(dir, 'all-types.csv');
    writeFileSync(file, vectorsCsv(v));
    const { inline: a, spark: b } = await both(join(REPO, v.ref), file, 50, 4 << 10);
    const reasons = new Set(a.rejects.map((r) => r.reason));
    for (const r of ['missing_key', 'invalid_key', 'missing_value', 'invalid_value', 'csv_error']) expect(reasons).toContain(r);
    expect(a.oddities.reduce((x, y) => x + y, 0)).toBeGreaterThan(50);
    expectSame(a, b);
  });

  test.each(['nulls', 'patterns'])('the %s test spec (NULL spellings; patterns both regex engines read alike) on its rules vectors, across tiny partitions', async (name) => {
    const vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as SpecVectors[];
    const v = vectors.find((x) => x.ref === `loader/test/spark-job/testdata/${name}.yaml`)!;
    const file = join(dir, `${name}.csv`);
    writeFileSync(file, vectorsCsv(v));
    const { inline: a, spark: b } = await both(join(REPO, v.ref), file, 50, 4 << 10);
    expect(a.oddities.reduce((x, y) => x + y, 0)).toBeGreaterThan(20);
    if (name === 'nulls') for (const r of ['missing_key', 'missing_value']) expect(new Set(a.rejects.map((x) => x.reason))).toContain(r);
    expectSame(a, b);
  });

  test('a header lacking optional columns: NULL in every row, reported as absent by both engines', async () => {
    const spec = join(DATASETS, 'faa-bird-strikes', 'spec.yaml');
    const rows = readFileSync(join(DATASETS, 'faa-bird-strikes', 'sample.csv'), 'utf8').split('\n').slice(0, 200);
    // Drop the last two columns (Cost Total $, Speed IAS in knots), none of them quoted in these rows.
    const file = join(dir, 'faa-partial.csv');
    writeFileSync(file, rows.filter((l) => l && !l.includes('"')).map((l) => l.split(',').slice(0, -2).join(',')).join('\n') + '\n');
    const { inline: a, spark: b } = await both(spec, file, 64, 8 << 10);
    expect(a.drafts[0].absent).toEqual(['cost_total', 'speed_ias_knots']);
    expectSame(a, b);
  });
});
