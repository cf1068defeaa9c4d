// The public datasets shipped as fixtures (data/datasets/<name>/: sample.csv, spec.yaml,
// SOURCE.md): every spec resolves, every sample's header maps to its spec, the samples are
// still the upstream bytes SOURCE.md vouches for, and together they cover the shapes the
// engines must handle besides NYC (decimals with datetimes, a composite key, no key).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { headerKey, readSpec, type ResolvedSpec } from '../src/dataset';

const ROOT = join(__dirname, '..', '..', 'data', 'datasets');
const names = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function fixture(name: string) {
  const dir = join(ROOT, name);
  const bytes = readFileSync(join(dir, 'sample.csv'));
  const header = (parse(bytes, { to_line: 1, bom: true }) as string[][])[0];
  return { dir, bytes, header, spec: readSpec(join(dir, 'spec.yaml')) };
}

test('there are at least three fixtures, each with sample.csv, spec.yaml and SOURCE.md', () => {
  expect(names.length).toBeGreaterThanOrEqual(3);
  for (const n of names) for (const f of ['sample.csv', 'spec.yaml', 'SOURCE.md']) expect([n, f, existsSync(join(ROOT, n, f))]).toEqual([n, f, true]);
});

describe.each(names)('fixture %s', (name) => {
  const { dir, bytes, header, spec } = fixture(name);

  test('its spec is named after its folder', () => {
    expect(spec.name).toBe(name);
  });

  test('its header names every required and key column exactly once, and nothing unknown', () => {
    const keys = header.map(headerKey);
    for (const c of spec.columns) {
      const hits = [c.header, ...c.aliases].map(headerKey).flatMap((k) => keys.filter((h) => h === k));
      if (c.required) expect([c.name, hits.length]).toEqual([c.name, 1]);
      else expect([c.name, hits.length <= 1]).toEqual([c.name, true]);
    }
    const named = new Set([...spec.columns.flatMap((c) => [c.header, ...c.aliases]), ...spec.knownExtras].map(headerKey));
    expect(header.filter((h) => !named.has(headerKey(h)))).toEqual([]);
  });

  test('the sample is small and is the upstream bytes SOURCE.md records (sha256, size, rows)', () => {
    expect(bytes.length).toBeLessThanOrEqual(1024 * 1024);
    const source = readFileSync(join(dir, 'SOURCE.md'), 'utf8');
    expect(source).toContain(createHash('sha256').update(bytes).digest('hex'));
    expect(source).toContain(`${bytes.length.toLocaleString('en-US')} bytes`);
    const lines = bytes.toString('latin1').split('\n').length - (bytes[bytes.length - 1] === 0x0a ? 1 : 0);
    expect(source).toContain(`first ${lines.toLocaleString('en-US')} lines`);
  });
});

test('the fixtures cover decimals with datetimes, a composite key and a keyless event log', () => {
  const specs: ResolvedSpec[] = names.map((n) => fixture(n).spec);
  const has = (t: string) => (s: ResolvedSpec) => s.columns.some((c) => c.type === t);
  expect(specs.some((s) => has('decimal')(s) && has('datetime')(s))).toBe(true);
  expect(specs.some((s) => s.key.length > 1)).toBe(true);
  expect(specs.some((s) => s.key.length === 0 && s.duplicates === 'keep')).toBe(true);
});
