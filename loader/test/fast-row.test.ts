// The fast path must give exactly what core's reference normalization gives: same bytes,
// same oddity counts, same reject reasons, record by record.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DATASET, datasetOf, encodeTsvLine, rulesFor } from '@pipewarden/core';
import { bothPaths } from './helpers/both-paths';
import { generate, prng } from '../src/generate';

const SAMPLE = join(__dirname, '..', '..', 'data', 'nyc-parking-fy2014-sample.csv');
const rules = rulesFor(datasetOf({ dataset: DEFAULT_DATASET }));
const COLUMNS = rules.spec.columns;

function compare(csv: Buffer): { compared: number; kept: number } {
  let compared = 0;
  let kept = 0;
  for (const b of bothPaths(rules, csv, 65536)) {
    const line = b.record.line;
    expect({ line, reason: b.fast }).toEqual({ line, reason: b.ref });
    if (b.ref === null) {
      expect({ line, tsv: b.written.toString('latin1') }).toEqual({ line, tsv: encodeTsvLine(b.values) });
      expect(b.key).toBe(rules.keyOfValues(b.values));
      kept++;
    } else expect(b.written.length).toBe(0);
    expect(b.fastOdd.counts).toEqual(b.refOdd.counts);
    compared++;
  }
  return { compared, kept };
}

test('the real sample: identical bytes and oddities on every row', () => {
  const { compared, kept } = compare(readFileSync(SAMPLE));
  expect(compared).toBe(4999);
  expect(kept).toBe(4999);
});

test('generated rows with every kind of bad row, Kaggle columns, CRLF', async () => {
  const f = join(mkdtempSync(join(tmpdir(), 'pw-fast-')), 'g.csv');
  await generate(f, { rows: 8000, seed: 77, badShare: 0.05, duplicateShare: 0.01, kaggle: true, crlf: true });
  const { compared, kept } = compare(readFileSync(f));
  expect(compared).toBeGreaterThan(7600);
  expect(kept).toBeGreaterThan(7200);
});

test('fuzzed field values: dates, times, ints, codes, keys, padding, escapes', () => {
  const rnd = prng(2024);
  const alphabet = ['0', '1', '2', '9', '5', '/', 'A', 'P', 'a', 'p', 'x', ' ', '\t', '-', '.', '\\', 'Z', '3', '8'];
  const samples: Record<string, string[]> = {
    key: ['1283294138', ' 0012 ', '0', '000', '9223372036854775807', '9223372036854775808', '99999999999999999999', '12a', '', ' '],
    date: ['08/04/2013', '02/29/2012', '02/29/2013', '20140229', '20000229', '19000229', '0', '88888888', '13/01/2014', '1/4/2014', '2014-01-01', ' 20140831 '],
    time: ['0752A', '1240P', '1205A', '0001A', '5436P', '2359', '2400', '1300P', '075A', 'A', '0752a', '1200p'],
    int: ['0033', '0', '999', '1000', '65535', '99999999', '123456789012', '1234567890123', '-1', '1.5', ' 42 '],
  };
  const header = COLUMNS.map((c) => c.header);
  const kind = (c: (typeof COLUMNS)[number]) => (c.key ? 'key' : c.type === 'integer' ? 'int' : c.type);
  const lines = [header.join(',')];
  for (let i = 0; i < 3000; i++) {
    const row = COLUMNS.map((c) => {
      const k = kind(c);
      const pool = k === 'key' ? samples.key : k === 'date' ? samples.date : k === 'time' ? samples.time : k === 'int' ? samples.int.concat(['2013', '1899', '2100', '0']) : null;
      if (pool && rnd() < 0.8) return pool[Math.floor(rnd() * pool.length)];
      const len = Math.floor(rnd() * 12);
      let v = '';
      for (let k = 0; k < len; k++) v += alphabet[Math.floor(rnd() * alphabet.length)];
      return v;
    });
    lines.push(row.map((v) => (rnd() < 0.1 ? `"${v}"` : v)).join(','));
  }
  const { compared } = compare(Buffer.from(lines.join('\n') + '\n', 'latin1'));
  expect(compared).toBe(3000);
});
