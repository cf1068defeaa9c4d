// The generator writes, for any spec, files whose load outcome it knows: every row it made
// bad is rejected for the reason it chose, every invalid optional cell it wrote is counted as
// that column's oddity, every other row is kept. Checked record by record through the
// inline engine's own per-record path (FastRows.record: the fast path, or the reference).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DATASET, GrowableSink, parseSpec, readSpec, rulesFor, type RejectReason, type ResolvedSpec, type Value } from '@pipewarden/core';
import { CsvRecordReader } from '../src/engine/csv-records';
import { FastRows } from '../src/engine/fast-row';
import { generate, prng, type GenerateOptions } from '../src/generate';
import { patternSampler } from '../src/generate-pattern';

const ORDERS = parseSpec(
  `name: orders
table: orders
key: [shop, order_no, day]
duplicates: last
columns:
  - { name: shop, type: enum, values: [north, South, EAST] }
  - { name: order_no, type: string, minLength: 3, maxLength: 12 }
  - { name: day, type: date, formats: [DD.MM.YYYY, YYYY-MM-DD], min: 2015-01-01, max: 2024-12-31 }
  - { name: amount, type: decimal, precision: 9, scale: 2, min: -1000, max: 99999.99, required: true }
  - { name: paid, type: boolean }
  - { name: placed_at, type: datetime, formats: ['M/D/YYYY h:mm A', 'YYYY-MM-DD HH:mm:ss'], min: 2015-01-01, max: 2024-12-31 23:59:59 }
  - { name: slot, type: time, formats: [HH:mm] }
  - { name: quantity, type: integer, min: 1, max: 500 }
  - { name: note, type: string, maxLength: 40 }
  - { name: sku, type: pattern, pattern: '[A-Z]{2}-[0-9]{3,5}(-[a-z])?', case: upper, maxLength: 10 }
`,
  'orders.yaml',
);

const EVENTS = parseSpec(
  `name: events
table: events
columns:
  - { name: at, type: datetime, formats: ['YYYY-MM-DDTHH:mm:ss'], required: true }
  - { name: level, type: enum, values: [info, warn, error], caseSensitive: true }
  - { name: host, type: pattern, pattern: '(web|db)[0-9]{2}', minLength: 4, maxLength: 4 }
  - { name: message, type: string, minLength: 2, maxLength: 200 }
  - { name: code, type: integer, min: -99, max: 99 }
`,
  'events.yaml',
);

// NULL spellings a type's own valid or invalid values could hit: a decimal's "n/a", a
// boolean's "-", an enum's "n/a", the pattern's "NA".
const NULLS = parseSpec(
  `name: nulls
table: nulls
key: id
nullValues: ['NA', 'n/a', '-', '\\N']
columns:
  - { name: id, type: integer, min: 1 }
  - { name: day, type: date, required: true }
  - { name: state, type: pattern, pattern: '[A-Z]{2}', nullValues: ['NA', 'XX'] }
  - { name: price, type: decimal, precision: 6, scale: 2 }
  - { name: paid, type: boolean }
  - { name: channel, type: enum, values: [web, store] }
  - { name: note, maxLength: 10, nullValues: [] }
`,
  'nulls.yaml',
);

interface Outcome {
  records: number;
  kept: number;
  rejects: Partial<Record<RejectReason, number>>;
  oddities: Record<string, number>;
  keys: Set<string>;
}

/** Load a file in memory the way the inline engine does. */
function outcome(spec: ResolvedSpec, csv: Buffer): Outcome {
  const rules = rulesFor(spec);
  const fast = new FastRows(rules);
  const sink = new GrowableSink();
  const keys: string[] = [];
  const reader = new CsvRecordReader();
  const odd = rules.newOddities();
  const out: Outcome = { records: 0, kept: 0, rejects: {}, oddities: {}, keys: new Set() };
  const values: Value[] = [];
  let map: ReturnType<typeof rules.mapHeader> | undefined;
  const take = (r: ReturnType<CsvRecordReader['push']>[number]) => {
    if (!map) {
      map = rules.mapHeader(r.fields);
      expect(map.absent).toEqual([]);
      return;
    }
    out.records++;
    keys.length = 0;
    sink.len = 0;
    const reason = r.error ? 'csv_error' : fast.record(r, map, odd, sink, keys, values);
    if (reason) out.rejects[reason] = (out.rejects[reason] ?? 0) + 1;
    else {
      out.kept++;
      if (spec.key.length) out.keys.add(keys[0]);
    }
  };
  for (let i = 0; i < csv.length; i += 1 << 16) for (const r of reader.push(csv.subarray(i, i + (1 << 16)))) take(r);
  for (const r of reader.end()) take(r);
  out.oddities = odd.byColumn(rules.columnNames);
  return out;
}

async function run(opts: GenerateOptions): Promise<{ csv: Buffer; stats: Awaited<ReturnType<typeof generate>> }> {
  const f = join(mkdtempSync(join(tmpdir(), 'pw-gen-')), 'g.csv');
  const stats = await generate(f, opts);
  return { csv: readFileSync(f), stats };
}

const FIXTURES = join(__dirname, '..', '..', 'data', 'datasets');

const SPECS: [string, ResolvedSpec][] = [
  ['orders (composite key, every type)', ORDERS],
  ['events (keyless, a required column)', EVENTS],
  ['nulls (NULL spellings of the dataset and of columns)', NULLS],
  ...['nyc-311-animal-complaints', 'world-population', 'faa-bird-strikes'].map((d): [string, ResolvedSpec] => [`fixture ${d}`, readSpec(join(FIXTURES, d, 'spec.yaml'))]),
];

describe.each(SPECS)('%s', (_name, spec) => {
  test('every bad row rejected for its reason, every invalid cell counted, the rest kept', async () => {
    const { csv, stats } = await run({ spec, rows: 4000, seed: 5, badShare: 0.05, duplicateShare: 0.02, oddShare: 0.01 });
    const o = outcome(spec, csv);
    expect(o.records).toBe(4000);
    expect(o.kept).toBe(4000 - stats.bad);
    expect(stats.bad).toBeGreaterThan(150);
    expect(o.rejects).toEqual(stats.rejects);
    expect(o.oddities).toEqual(stats.odditiesByColumn);
    // Every optional column got invalid values of its own kind.
    expect(Object.keys(stats.odditiesByColumn).sort()).toEqual(spec.columns.filter((c) => !c.required).map((c) => c.name).sort());
    if (spec.key.length) {
      expect(stats.duplicates).toBeGreaterThan(40);
      expect(o.keys.size).toBeLessThan(o.kept);
    } else expect(stats.duplicates).toBe(0);
  });

  test('with no bad share nothing is rejected or nulled, and the file is the same for the same seed', async () => {
    const a = await run({ spec, rows: 2000, seed: 9, badShare: 0, oddShare: 0, duplicateShare: 0 });
    const b = await run({ spec, rows: 2000, seed: 9, badShare: 0, oddShare: 0, duplicateShare: 0 });
    expect(a.csv.equals(b.csv)).toBe(true);
    const o = outcome(spec, a.csv);
    expect(o).toMatchObject({ records: 2000, kept: 2000, rejects: {}, oddities: {} });
    if (spec.key.length) expect(o.keys.size).toBe(2000);
    const c = await run({ spec, rows: 2000, seed: 10, badShare: 0, oddShare: 0, duplicateShare: 0 });
    expect(c.csv.equals(a.csv)).toBe(false);
  });
});

describe('the NYC default (its realism profile)', () => {
  const nyc = readSpec(DEFAULT_DATASET);
  test('bad rows are exactly the rejects; the real data oddities are there', async () => {
    const { csv, stats } = await run({ rows: 8000, seed: 77, badShare: 0.05, duplicateShare: 0.01, kaggle: true, crlf: true });
    const text = csv.toString('latin1');
    expect(text.slice(0, text.indexOf('\r\n'))).toContain('Days Parking In Effect    ,');
    expect(text).toContain(',Latitude,Longitude,');
    const o = outcome(nyc, csv);
    expect(o.records).toBe(8000);
    expect(o.kept).toBe(8000 - stats.bad);
    expect(o.rejects).toEqual(stats.rejects);
    expect(Object.keys(stats.rejects).sort()).toEqual(['column_count', 'csv_error', 'invalid_key', 'missing_key']);
    // The profile's oddities (Vehicle Year 0, 88888888, state 99, plate type 999, 02/29/2014, 5436P).
    for (const c of ['vehicle_year', 'vehicle_expiration_date', 'registration_state', 'plate_type', 'issue_date', 'violation_time']) expect(o.oddities[c]).toBeGreaterThan(0);
    expect(stats.oddities).toBe(0);
    expect(o.keys.size).toBeLessThan(o.kept);
  });
  test('keys: a scrambled range from BASE_KEY, or from keyBase', async () => {
    const { csv } = await run({ rows: 100, seed: 1, badShare: 0, duplicateShare: 0, keyBase: 9_000_000_000 });
    const keys = csv.toString().trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
    expect(new Set(keys).size).toBe(100);
    expect(Math.min(...keys)).toBe(9_000_000_000);
    expect(Math.max(...keys)).toBe(9_000_000_099);
  });
});

test('a spec whose key cannot take as many values as rows is refused', async () => {
  const tiny = parseSpec('name: t\ntable: t\nkey: k\ncolumns:\n  - { name: k, type: integer, min: 1, max: 50 }\n', 't.yaml');
  await expect(run({ spec: tiny, rows: 100 })).rejects.toThrow('100 keys from 1 do not fit the bounds of key column "k" (1..50)');
});

test('a column with NULL spellings gets some of them where it would be empty (and in missing keys and values), never as a value', async () => {
  const { csv, stats } = await run({ spec: NULLS, rows: 4000, seed: 3, badShare: 0.05, oddShare: 0.01 });
  const rows = csv.toString().trim().split('\n').slice(1).map((l) => l.split(','));
  const spelled = (col: number, v: string) => rows.filter((r) => r[col] === v).length;
  expect(spelled(0, 'NA') + spelled(0, '\\N')).toBeGreaterThan(5); // missing keys
  expect(spelled(1, '-') + spelled(1, 'n/a')).toBeGreaterThan(5); // missing required values
  expect(spelled(2, 'XX')).toBeGreaterThan(20); // the column's own list
  expect(spelled(2, '-')).toBe(0); // not the dataset's
  expect(spelled(3, 'NA') + spelled(3, 'n/a')).toBeGreaterThan(20);
  const o = outcome(NULLS, csv);
  expect(o.rejects).toEqual(stats.rejects);
  expect(o.oddities).toEqual(stats.odditiesByColumn);
});

describe('the pattern sampler', () => {
  test('samples match the pattern; the fixed path takes first alternatives and minimum repeats', () => {
    const rnd = prng(11);
    for (const p of ['[A-Z]{2}-[0-9]{3,5}(-[a-z])?', '(web|db)[0-9]{2}', 'POINT \\(-?[0-9]+(\\.[0-9]+)? -?[0-9]+(\\.[0-9]+)?\\)', '(?:ab|c)+x{2,}', '\\d\\w\\s.', '[\\d-]|a*?b+']) {
      const sampler = patternSampler(p);
      for (let k = 0; k < 200; k++) expect(sampler.sample(rnd)).toMatch(new RegExp(`^(?:${p})$`, 'u'));
    }
    const digits = '0123456789', upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    expect(patternSampler('[A-Z]{2}-[0-9]{3,5}(-[a-z])?').positions).toEqual([upper, upper, '-', digits, digits, digits]);
    expect(patternSampler('(web|db)[0-9]{2}').positions).toEqual(['w', 'e', 'b', digits, digits]);
  });
  test.each(['[^a]', '^a', 'a$', '(?=a)', 'a{x}', '\\q', '[]', 'a)'])('%s is refused', (p) => {
    expect(() => patternSampler(p)).toThrow('unsupported');
  });
});
