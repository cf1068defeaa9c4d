// Writes rules_vectors.json: for several resolved dataset specs, header mappings and
// records with what core's reference rules (rulesFor(spec): mapHeader, normalizeRecord,
// encodeTsvLine) make of them, for test_rules.py to hold the Spark job's port (pwnorm.py,
// pwvec.py, pwformat.py) to, byte for byte. Run: npx tsx loader/test/spark-job/rules_vectors.ts
//
// The records vary one field at a time over values on and around each column's rule
// (bounds, formats, cases, lengths, whitespace JavaScript trims and Python would not),
// from a row every column accepts, plus seeded random rows mixing them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from '../../src/generate';
import { render } from '../../src/generate-columns';
import { encodeTsvLine, parseFormat, readSpec, rulesFor, UserError, type HeaderMap, type ResolvedColumn, type ResolvedSpec } from '@pipewarden/core';

export const VECTORS_PATH = join(__dirname, 'rules_vectors.json');
const REPO = join(__dirname, '..', '..', '..');

/** The specs the port is held to: the built-in one, the fixtures of data/datasets, and one of every type's options. */
const SPEC_REFS = [
  'builtin:nyc-parking-violations',
  join(REPO, 'data', 'datasets', 'nyc-311-animal-complaints', 'spec.yaml'),
  join(REPO, 'data', 'datasets', 'world-population', 'spec.yaml'),
  join(REPO, 'data', 'datasets', 'faa-bird-strikes', 'spec.yaml'),
  join(__dirname, 'testdata', 'all-types.yaml'),
  join(__dirname, 'testdata', 'nulls.yaml'),
  join(__dirname, 'testdata', 'patterns.yaml'),
];

/** A kept row's TSV line (or, for a `vary` record, only field i of it: the rest is baseTsv's) and oddity columns; or the reject reason. */
type Outcome = { tsv?: string; field?: string; odd: number[] } | { reason: string };
interface HeaderCase {
  header: string[];
  map?: { fieldIndex: number[]; fieldCount: number; absent: string[]; unknown: string[] };
  error?: string;
}
export interface SpecVectors {
  ref: string;
  spec: ResolvedSpec;
  headers: HeaderCase[];
  /** A row every column accepts (under headers[0]). */
  base: string[];
  /** The base row's TSV line. */
  baseTsv: string;
  /**
   * Records under headers[0] (every column, spec order) and headers[1] (some optional
   * columns absent): their fields, or (to keep the file small) `vary`: base with field i set to v.
   */
  records: { header: number; fields?: string[]; vary?: [number, string]; out: Outcome }[];
}

// Values every column meets: whitespace JavaScript's trim() removes and Python's strip() treats
// otherwise, TSV escapes, non-ASCII and UTF-16 lengths.
const COMMON = ['', ' ', '\u00a0', '\ufeffx', '\u001cA\u001c', '\u0085', 'tab\there', 'back\\slash', 'nul\u0000', 'ß', 'İ', '😀', '😀😀😀😀', 'x'];

function bump(n: string, d: number): string {
  return (BigInt(n) + BigInt(d)).toString();
}

/** A value in a format (tokens of core/src/dataset/formats.ts) from its parts: the generator's renderer, AM/PM spelled long. */
function formatAs(fmt: string, y: number, mo: number, d: number, h: number, mi: number, s: number): string {
  return render(parseFormat(fmt), { y, mo, d, h, mi, s }, true);
}

function typeValues(c: ResolvedColumn): string[] {
  switch (c.type) {
    case 'string':
      return ['a'.repeat(c.minLength), 'b'.repeat(Math.max(0, c.minLength - 1)), 'c'.repeat(c.maxLength), 'd'.repeat(c.maxLength + 1), '😀'.repeat(Math.floor(c.maxLength / 2)), '😀'.repeat(Math.floor(c.maxLength / 2) + 1), ' padded ', 'ab'];
    case 'integer':
      return ['0', '-0', '007', '-007', '1', '-1', '+1', '1.0', '1e3', '12a', '-', '١٢', ' 42 ', c.min, c.max, bump(c.min, -1), bump(c.max, 1), `000000000000000000000${c.max}`, '99999999999999999999999', '123456789012345678', '1234567890123456789'];
    case 'decimal': {
      const int = c.precision - c.scale;
      const out = ['0', '-0', '-0.00', '0.5', '.5', '5.', '-.5', '.', '-', '+1', '1e3', '1,5', '00001.5', '9'.repeat(int), '9'.repeat(int + 1), `1.${'2'.repeat(c.scale)}`, `1.${'2'.repeat(c.scale + 1)}`, `1.${'0'.repeat(c.scale + 1)}`];
      for (const b of [c.min, c.max]) if (b !== undefined) out.push(b, `${b}1`, b.includes('.') ? b : `${b}.${'0'.repeat(c.scale)}`);
      return out;
    }
    case 'boolean':
      return [...c.trueValues, ...c.falseValues, ...c.trueValues.map((v) => v.toUpperCase()), 'maybe', '1', '0', 'TRUE', 'N'];
    case 'enum':
      return [...c.values, ...c.values.map((v) => v.toUpperCase()), ...c.values.map((v) => v.toLowerCase()), ` ${c.values[0]} `, 'nope'];
    case 'pattern':
      // Then values where JavaScript's and Python's regex engines could read a pattern differently.
      return ['ab1', 'AB123', 'ab1234', 'a1', 'ABC', 'abc', 'ab 1', 'ny', 'NY', 'N1', 'nyc', 'PAS', 'pas', '12345', '1234', '012345', 'Ab9', 'ǅx1',
        'a\rb', 'a\u2028b', 'a\u2029', 'a\nb', 'a\u0085b', 'a\u3000b', 'a\u00a0b', '٣٤', '１２', 'é', 'É', 'àü', 'ÿ', 'x', '😀', '😀😀', '😀😀😀', 'aab', 'aa', 'xxx', 'ab12', 'ab-cd', 'ab_1', '1,234', '1,23', 'Aé 12', 'A\tb1', 'ab\u212a', 'ab\u017f', '{,2}', 'a{2}', 'ab9', 'ßx', 'İi', 'ǆ'];
    case 'date':
    case 'time':
    case 'datetime': {
      const out = ['0', '13/01/2013', '2400', '1260', '24:00:00', '9:60', '0752X', '12:00 XM'];
      const moments: number[][] = [
        [2013, 8, 4, 7, 52, 0], [2016, 2, 29, 0, 5, 9], [2013, 2, 28, 12, 0, 0], [2000, 2, 29, 23, 59, 59], [1900, 1, 1, 12, 30, 0],
        [2099, 12, 31, 13, 1, 0], [2030, 12, 31, 11, 59, 0], [2001, 1, 1, 6, 29, 59], [2001, 1, 1, 6, 30, 0], [2030, 6, 30, 23, 59, 59], [2010, 1, 1, 0, 0, 0],
      ];
      for (const f of c.formats) {
        for (const m of moments) out.push(formatAs(f, m[0], m[1], m[2], m[3], m[4], m[5]));
        out.push(formatAs(f, 2013, 2, 29, 7, 0, 0), formatAs(f, 2013, 4, 31, 0, 0, 0), formatAs(f, 2013, 13, 1, 0, 0, 0));
        out.push(formatAs(f, 2013, 8, 4, 0, 30, 0).replace('AM', 'a').replace('PM', 'p'), formatAs(f, 2013, 8, 4, 12, 30, 0).replace('PM', 'pm'), formatAs(f, 2013, 8, 4, 0, 30, 0).replace('12', '00'));
      }
      out.push('0830A', '1200A', '1200P', '0000A', '0000P', '1259P', '1300P', '0752a', '752A', '12.30 p', '0.00 AM', '9:05', '23:59:59', '3/14/2025 1:20', '03/14/2025 12:05:00 AM', '03/14/2025 00:05:00 PM', '2001-01-01T06:29:59', '200101010630', '1/1/2001 6:30 am', '08/04/2013', '20130804', '4.8.2013', '04.08.2013');
      return out;
    }
  }
}

/** A column's NULL spellings, and near misses (case, inner and outer whitespace JavaScript trims). */
function nullValues(c: ResolvedColumn): string[] {
  return c.nullValues.flatMap((v) => [v, ` ${v}\u00a0`, v.toLowerCase(), v.toUpperCase(), `${v}${v}`, `${v[0]} ${v.slice(1)}`]);
}

function headerCases(spec: ResolvedSpec): string[][] {
  const cols = spec.columns;
  const canonical = cols.map((c) => c.header);
  const optional = cols.filter((c) => !c.required);
  // Reversed, aliases where there are some, odd case and spaces, a BOM, known and unknown extras.
  const variant = [...cols].reverse().map((c, i) => (c.aliases.length ? c.aliases[c.aliases.length - 1] : i % 3 === 0 ? `  ${c.header.toUpperCase()}   ` : c.header.replace(/ /g, '  ')));
  variant[0] = '\uFEFF' + variant[0];
  variant.splice(1, 0, ...spec.knownExtras.slice(0, 2), 'Something Else', '');
  const cases = [canonical, cols.filter((c, i) => c.required || i % 2 === 0).map((c) => c.header), variant];
  const required = cols.find((c) => c.required);
  if (required) cases.push(canonical.filter((h) => h !== required.header)); // lacks a required column
  cases.push([...canonical, canonical[canonical.length - 1]]); // a column named twice
  if (optional.length) cases.push(canonical.filter((h) => h !== optional[0].header).concat(['Stray Column', ...spec.knownExtras.slice(0, 1)]));
  return cases;
}

function mapCase(spec: ResolvedSpec, header: string[]): HeaderCase {
  try {
    const { fieldIndex, fieldCount, absent, unknown } = rulesFor(spec).mapHeader(header);
    return { header, map: { fieldIndex, fieldCount, absent, unknown } };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { header, error: e.message };
  }
}

function specVectors(ref: string): SpecVectors {
  const spec = readSpec(ref);
  const rules = rulesFor(spec);
  const headers = headerCases(spec).map((h) => mapCase(spec, h));
  const pools = spec.columns.map((c) => [...new Set([...typeValues(c), ...COMMON, ...nullValues(c), 'NA', '\\N', '-'])]);
  // A row every column accepts: for each column the first value of its pool its rule takes.
  const base = spec.columns.map((c, i) => pools[i].find((v) => v.trim() !== '' && rules.columns[i].check(v.trim()) !== undefined) ?? '');
  const records: SpecVectors['records'] = [];
  const baseOut = rules.normalizeRecord(base, headers[0].map as HeaderMap, rules.newOddities());
  if (!baseOut.ok) throw new Error(`${ref}: no row of the pools is accepted (${baseOut.reason})`);
  const baseTsv = encodeTsvLine(baseOut.values).slice(0, -1);
  const outcome = (header: number, fields: string[], vary?: [number, string]) => {
    const map = headers[header].map!;
    const odd = rules.newOddities();
    const r = rules.normalizeRecord(fields, map as HeaderMap, odd);
    const odds = odd.counts.flatMap((n, i) => (n ? [i] : []));
    if (!r.ok) records.push({ header, ...(vary ? { vary } : { fields }), out: { reason: r.reason } });
    else if (vary) records.push({ header, vary, out: { field: encodeTsvLine([r.values[vary[0]]]).slice(0, -1), odd: odds } });
    else records.push({ header, fields, out: { tsv: encodeTsvLine(r.values).slice(0, -1), odd: odds } });
  };
  spec.columns.forEach((_, i) => {
    for (const v of pools[i]) {
      const row = [...base];
      row[i] = v;
      outcome(0, row, [i, v]);
    }
  });
  const rnd = prng(spec.columns.length * 7919);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  for (let k = 0; k < 80; k++) outcome(0, spec.columns.map((_, i) => (rnd() < 0.6 ? base[i] : pick(pools[i]))));
  outcome(0, base.slice(1)); // a field short
  outcome(0, [...base, 'x']); // a field too many
  // Under a header that lacks some optional columns: records in that header's order.
  const partial = headers[1].map!;
  for (let k = 0; k < 40; k++) {
    const fields = new Array<string>(partial.fieldCount).fill('');
    partial.fieldIndex.forEach((fi, i) => {
      if (fi >= 0) fields[fi] = rnd() < 0.7 ? base[i] : pick(pools[i]);
    });
    outcome(1, fields);
  }
  const { origin: _origin, ...rest } = spec;
  return { ref: ref.startsWith('builtin:') ? ref : ref.slice(REPO.length + 1), spec: { ...rest, origin: 'test' }, headers, base, baseTsv, records };
}

export function vectors(): SpecVectors[] {
  return SPEC_REFS.map(specVectors);
}

if (require.main === module) {
  writeFileSync(VECTORS_PATH, JSON.stringify(vectors(), null, 0) + '\n');
  console.log(`wrote ${VECTORS_PATH}`);
}
