// Property test: for random dataset specs (every column type, bounds, formats, patterns
// from a small safe set; no key, one key, composite keys; required and optional columns;
// headers that reorder, alias, omit and add columns) and random + adversarial field values,
// the fast path and the reference give identical TSV bytes, reject reasons, oddity counts
// and key texts.
import { encodeTsvLine, parseSpec, rulesFor, type RowRules } from '@pipewarden/core';
import { bothPaths } from './helpers/both-paths';
import { prng } from '../src/generate';

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

const TYPES = ['string', 'integer', 'decimal', 'boolean', 'date', 'time', 'datetime', 'enum', 'pattern'] as const;
const INT_BOUNDS: [string | number, string | number][] = [[0, 999], [-50, 50], [1, '9223372036854775807'], ['-9223372036854775808', '9223372036854775807'], [0, '18446744073709551615'], [100, 200], [1900, 2099]];
const DATE_FORMATS = [['YYYY-MM-DD'], ['MM/DD/YYYY', 'YYYYMMDD'], ['D.M.YYYY'], ['M/D/YYYY', 'YYYY-MM-DD']];
const TIME_FORMATS = [['HH:mm:ss', 'HH:mm'], ['hhmmA', 'HHmm'], ['h:mm A'], ['H:mm'], ['hh:mm:ssA']];
const DATETIME_FORMATS = [undefined, ['MM/DD/YYYY hh:mm:ss A'], ['YYYY-MM-DDTHH:mm', 'YYYYMMDD HHmm'], ['D/M/YYYY H:mm']];
const PATTERNS = ['[A-Za-z]{2}', '[A-Z][0-9]{3}', '\\d{5}', '[A-Za-z]+', 'AB|CD', '[^,]{1,3}', '[^\\n\\r]{2}', '[a-c\\-x]{2}', '[\\[\\]x]y', '\\w\\.\\d'];

function randomColumn(rnd: Rnd, i: number): Record<string, unknown> {
  const type = pick(rnd, TYPES);
  const c: Record<string, unknown> = { name: `c${i}`, header: `Col ${i}`, type };
  if (rnd() < 0.3) c.aliases = [`Alias ${i}`];
  if (rnd() < 0.25) c.required = true;
  switch (type) {
    case 'string':
      c.maxLength = 1 + Math.floor(rnd() * 12);
      if (rnd() < 0.3) c.minLength = Math.min(c.maxLength as number, 2);
      break;
    case 'integer': {
      const [min, max] = pick(rnd, INT_BOUNDS);
      c.min = min;
      c.max = max;
      break;
    }
    case 'decimal': {
      const precision = 1 + Math.floor(rnd() * 8);
      c.precision = precision;
      c.scale = Math.floor(rnd() * (Math.min(precision, 3) + 1));
      if (rnd() < 0.3) c.min = pick(rnd, ['-100', '0', '-0.5']);
      if (rnd() < 0.3) c.max = pick(rnd, ['1000.5', '5', '99']);
      if (c.min !== undefined && c.max !== undefined && Number(c.min) > Number(c.max)) delete c.min;
      break;
    }
    case 'boolean':
      if (rnd() < 0.5) Object.assign(c, { trueValues: ['oui', 'Y', 'vrai'], falseValues: ['non', 'N'] });
      break;
    case 'date':
      c.formats = pick(rnd, DATE_FORMATS);
      if (rnd() < 0.5) Object.assign(c, { min: '1900-01-01', max: '2099-12-31' });
      break;
    case 'time':
      c.formats = pick(rnd, TIME_FORMATS);
      break;
    case 'datetime': {
      const f = pick(rnd, DATETIME_FORMATS);
      if (f) c.formats = f;
      if (rnd() < 0.4) Object.assign(c, { min: '2000-01-01 00:00:00', max: '2030-06-30 12:00:00' });
      break;
    }
    case 'enum':
      c.values = pick(rnd, [['red', 'Green', 'BLUE'], ['a', 'b'], ['Grün', 'rot']]);
      c.caseSensitive = rnd() < 0.5;
      break;
    case 'pattern':
      c.pattern = pick(rnd, PATTERNS);
      c.case = pick(rnd, ['keep', 'upper', 'lower']);
      if (rnd() < 0.3) Object.assign(c, { minLength: 2, maxLength: 3 });
      break;
  }
  return c;
}

const VALUES: Record<string, string[]> = {
  string: ['abc', 'x', 'a\\b', 'longer than twelve chars', 'ab', ' padded '],
  integer: ['0', '-0', '007', '42', '-51', '+5', '999', '1000', '1899', '2014', '9223372036854775807', '9223372036854775808', '18446744073709551615', '-9223372036854775808', '-9223372036854775809', '000000000000000000001', '1.0', '1e3', '-', '12a'],
  decimal: ['0', '-0', '-0.00', '1.5', '1.50', '1.500', '.5', '5.', '-.5', '.', '-', '12345.678', '99', '100', '1000.5', '1000.51', '-100', '-100.01', '00012.3', '1,5', '+1'],
  boolean: ['true', 'TRUE', 'f', 'Yes', 'oui', 'N', 'vrai', '2', 'maybe', '1', '0'],
  date: ['2014-08-31', '08/31/2014', '20140831', '02/29/2012', '02/29/2013', '1.2.2014', '31.12.1999', '1/4/2014', '12/1/2014', '1899-12-31', '2100-01-01', '0', '2014-13-01', '20140229', '2014-8-3'],
  time: ['07:52', '07:52:10', '0752A', '1240P', '1205A', '0001A', '0000P', '1300P', '2400', '2359', '7:05 PM', '12:00 am', '12:00 P', '0:05', '23:60', '5436P', '07:52:60', '11:59:59pm', '0752Am'],
  datetime: ['2014-08-31 07:52:10', '2014-08-31T07:52', '2014-08-31 07:52', '08/31/2014 07:52:10 PM', '20140831 0752', '31/8/2014 7:52', '1999-12-31 23:59:59', '2030-06-30 12:00:00', '2030-06-30 12:00:01', '2014-02-30 00:00:00', '2014-08-31 24:00:00'],
  enum: ['red', 'RED', 'Green', 'green', 'blue', 'BLUE', 'a', 'B', 'rot', 'ROT', 'purple'],
  pattern: ['ny', 'NY', 'N1', 'A123', 'a123', '12345', '1234', 'AB', 'CD', 'ab', 'xyz', 'x,y', 'a-', 'cx', ']y', 'xy', 'a.1', 'a_1', '99', 'abcd'],
};
const NULLISH = ['NA', 'na', ' NA\t', 'N/A', '-', '\\N', 'NULL', 'n/a', '?', 'x', 'NA NA'];
const NULL_LISTS = [['NA', '-'], ['\\N', 'NULL', 'N/A'], ['n/a', 'x'], []];
const ALPHABET = ['0', '1', '2', '9', '5', '/', ':', '.', '-', '+', 'A', 'P', 'M', 'a', 'p', 'm', 'x', ' ', '\t', '\\', 'Z', 'T', ',', '"'];
// Fields stay ASCII: the fast path only sees ASCII records (the reader marks a whole chunk
// non-ASCII when one byte is), and non-ASCII values are the reference's alone.

function randomValue(rnd: Rnd, type: string): string {
  const r = rnd();
  if (r < 0.08) return '';
  if (r < 0.12) return '   ';
  if (r < 0.17) return pick(rnd, NULLISH); // a NULL spelling of the spec, or a near miss
  if (r < 0.75) {
    const v = pick(rnd, VALUES[type]);
    return rnd() < 0.15 ? ` ${v}\t` : v;
  }
  let v = '';
  const len = Math.floor(rnd() * 10);
  for (let k = 0; k < len; k++) v += pick(rnd, ALPHABET);
  return v;
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function randomCase(seed: number): { rules: RowRules; csv: Buffer; rawSpec: Record<string, unknown> } {
  const rnd = prng(seed);
  const ncols = 2 + Math.floor(rnd() * 9);
  const columns = Array.from({ length: ncols }, (_, i) => randomColumn(rnd, i));
  const keyKind = rnd();
  // A key column must be required; strings and patterns keep their length bound under InnoDB's key limit.
  const keyCols = keyKind < 0.3 ? [] : keyKind < 0.7 ? [columns[Math.floor(rnd() * ncols)]] : columns.filter(() => rnd() < 0.4).slice(0, 3);
  for (const c of keyCols) delete c.required;
  // NULL spellings: the dataset's, and some columns' own (replacing it; [] turns them off).
  const nullValues = rnd() < 0.6 ? pick(rnd, NULL_LISTS) : undefined;
  for (const c of columns) if (rnd() < 0.2) c.nullValues = pick(rnd, NULL_LISTS);
  const rawSpec: Record<string, unknown> = {
    name: `random-${seed}`,
    table: `random_${seed}`,
    columns,
    ...(keyCols.length ? { key: keyCols.length === 1 ? keyCols[0].name : keyCols.map((c) => c.name), duplicates: pick(rnd, ['first', 'last']) } : {}),
    knownExtras: ['Known Extra'],
    extraColumns: 'ignore',
    ...(nullValues && { nullValues }),
  };
  const spec = parseSpec(JSON.stringify(rawSpec), `random-${seed}.json`);
  const rules = rulesFor(spec);
  // The header: columns in a random order, some by alias, optional ones sometimes absent, extras added.
  const present = spec.columns.map((c, i) => ({ c, i })).filter(({ c }) => c.required || rnd() < 0.85);
  present.sort(() => rnd() - 0.5);
  const header = present.map(({ c }) => (c.aliases.length && rnd() < 0.5 ? c.aliases[0].toUpperCase() : c.header));
  const extras = rnd() < 0.5 ? ['Known Extra', 'Something Else'] : [];
  const lines = [[...header, ...extras].map(csvField).join(',')];
  for (let n = 0; n < 250; n++) {
    const row = present.map(({ c }) => randomValue(rnd, c.type));
    for (const _ of extras) row.push(randomValue(rnd, 'string'));
    if (rnd() < 0.02) row.pop(); // a column_count record
    lines.push(row.map(csvField).join(','));
  }
  return { rules, csv: Buffer.from(lines.join(rnd() < 0.5 ? '\n' : '\r\n') + '\n', 'utf8'), rawSpec };
}

/** Compare both paths record by record; counts of what was compared. */
function compare(rules: RowRules, csv: Buffer): { compared: number; kept: number; reasons: Set<string> } {
  let compared = 0;
  let kept = 0;
  const reasons = new Set<string>();
  for (const b of bothPaths(rules, csv, 4096)) {
    const r = b.record;
    // Plain comparisons, expect() only on a difference: 30,000 deep expects would take a minute.
    const fail = (what: string, x: unknown, y: unknown) => expect({ line: r.line, fields: r.fields, what, fast: x }).toEqual({ line: r.line, fields: r.fields, what, fast: y });
    if (b.fast !== b.ref) fail('reason', b.fast, b.ref);
    if (b.ref === null) {
      const line = encodeTsvLine(b.values);
      const bytes = b.written.toString('utf8');
      if (bytes !== line) fail('tsv', bytes, line);
      const k = rules.keyOfValues(b.values);
      if (b.key !== k) fail('key', b.key, k);
      if (rules.keyOfLine(line.slice(0, -1)) !== k) fail('keyOfLine', rules.keyOfLine(line.slice(0, -1)), k);
      if (rules.keyOfTsv(b.written, 0, b.written.length - 1) !== k) fail('keyOfTsv', rules.keyOfTsv(b.written, 0, b.written.length - 1), k);
      kept++;
    } else {
      if (b.written.length !== 0) fail('written on reject', b.written.length, 0);
      reasons.add(b.ref);
    }
    for (let i = 0; i < b.refOdd.counts.length; i++) if (b.fastOdd.counts[i] !== b.refOdd.counts[i]) fail('oddities', b.fastOdd.counts, b.refOdd.counts);
    compared++;
  }
  return { compared, kept, reasons };
}

test('random specs: the fast path and the reference agree on every record', () => {
  let compared = 0;
  let kept = 0;
  const reasons = new Set<string>();
  const types = new Set<string>();
  let composite = 0;
  let keyless = 0;
  for (let seed = 1; seed <= 120; seed++) {
    const { rules, csv } = randomCase(seed);
    rules.spec.columns.forEach((c) => types.add(c.type));
    if (rules.keyIndexes.length > 1) composite++;
    if (rules.keyIndexes.length === 0) keyless++;
    const r = compare(rules, csv);
    compared += r.compared;
    kept += r.kept;
    r.reasons.forEach((x) => reasons.add(x));
  }
  // The test covers what it claims: every type, both key shapes, kept and rejected rows of each reason.
  expect([...types].sort()).toEqual([...TYPES].sort());
  expect(composite).toBeGreaterThan(5);
  expect(keyless).toBeGreaterThan(5);
  expect(compared).toBeGreaterThan(20000);
  expect(kept).toBeGreaterThan(1000);
  expect([...reasons].sort()).toEqual(['column_count', 'invalid_key', 'invalid_value', 'missing_key', 'missing_value']);
});
