// `pipewarden spec infer|check|validate|list` and `generate --dataset` as users run them (a
// real CLI process), on the real NYC sample, local and through a real S3 server.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATASET, readSpec } from '@pipewarden/core';
import { createS3Client, generate, putFile } from '@pipewarden/loader';
import { REPO_ROOT } from '@pipewarden/stack';
import { startTestStack, type TestStack } from './helpers/stack';
import { runCli } from './helpers/doubt';

const SAMPLE = join(__dirname, '..', 'data', 'nyc-parking-fy2014-sample.csv');

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ services: ['s3'] });
});
afterAll(() => stack?.cleanup());

function ok(args: string[]) {
  const r = runCli(stack, args);
  expect({ args, status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ args, status: 0, stderr: '' });
  return r;
}

test('every spec command answers --help with an example', () => {
  for (const cmd of [['spec'], ['spec', 'infer'], ['spec', 'check'], ['spec', 'validate'], ['spec', 'list']]) {
    const r = ok([...cmd, '--help']);
    expect(r.stdout).toMatch(/Examples?:\n {2}\$ pipewarden spec/);
  }
});

describe('spec infer on the real NYC sample', () => {
  let yaml: string;
  let file: string;
  beforeAll(() => {
    file = join(stack.layout.dir, 'nyc-proposal.yaml');
    ok(['spec', 'infer', SAMPLE, '--name', 'nyc-sample', '--table', 'nyc_sample', '--out', file]);
    yaml = readFileSync(file, 'utf8');
  });

  test('finds summons_number as the key, Issue Date as MM/DD/YYYY, times as hhmmA, and says why', () => {
    const spec = readSpec(file);
    expect(spec).toMatchObject({ name: 'nyc-sample', table: 'nyc_sample', key: ['summons_number'], duplicates: 'first' });
    const col = (n: string) => spec.columns.find((c) => c.name === n)!;
    expect(col('summons_number')).toMatchObject({ type: 'integer', key: true, required: true });
    expect(col('issue_date')).toMatchObject({ type: 'date', formats: ['MM/DD/YYYY'], required: false });
    expect(col('violation_time')).toMatchObject({ type: 'time', formats: ['hhmmA'] });
    expect(col('violation_code')).toMatchObject({ type: 'integer', min: '0', max: '999' });
    expect(col('violation_county')).toMatchObject({ type: 'enum', values: ['Q', 'NY', 'K', 'BX', 'R'] });
    expect(col('street_name')).toMatchObject({ type: 'string', maxLength: 32 });
    // The header's odd spellings become SQL names; its trailing spaces do not matter.
    expect(col('unregistered_vehicle').header).toBe('Unregistered Vehicle?');
    expect(col('days_parking_in_effect').header).toBe('Days Parking In Effect');
    expect(yaml).toContain('# 4,999 of 4,999 values parse as MM/DD/YYYY');
    expect(yaml).toContain('# summons_number: unique and non-empty in all 4,999 sampled rows');
    expect(spec.columns.filter((c) => c.required).map((c) => c.name)).toEqual(['summons_number']);
  });

  test('spec check of the proposal against its own sample: everything kept, nothing nulled, exit 0', () => {
    const r = ok(['spec', 'check', file, SAMPLE, '--json']);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ records: 4999, kept: 4999, rejected: 0, nulled: {}, duplicateKeys: 0, tableRows: 4999, loadable: true });
  });

  test('through S3: the first rows of an object (--rows), the same key', async () => {
    const client = createS3Client(stack.config());
    try {
      await putFile(client, SAMPLE, 's3://spec-infer/fy2014/sample.csv');
    } finally {
      client.destroy();
    }
    const r = ok(['spec', 'infer', 's3://spec-infer/fy2014/sample.csv', '--rows', '500', '--json']);
    const p = JSON.parse(r.stdout);
    expect(p).toMatchObject({ object: 's3://spec-infer/fy2014/sample.csv', name: 'sample', rows: 500, key: ['summons_number'] });
    expect(p.yaml).toContain('# Proposed by `pipewarden spec infer` from s3://spec-infer/fy2014/sample.csv: 500 sampled rows.');
    // And a check straight from S3.
    const c = JSON.parse(ok(['spec', 'check', DEFAULT_DATASET, 's3://spec-infer/fy2014/sample.csv', '--json']).stdout);
    expect(c).toMatchObject({ records: 4999, kept: 4999, loadable: true });
  });
});

describe('spec check: what a load would do, writing nothing', () => {
  test('a generated NYC file: rejects by reason with their lines, nulled by column, duplicate keys by policy', async () => {
    const file = join(stack.layout.dir, 'gen.csv');
    const stats = await generate(file, { rows: 5000, seed: 3, badShare: 0.03, duplicateShare: 0.02 });
    const report = JSON.parse(ok(['spec', 'check', DEFAULT_DATASET, file, '--json']).stdout);
    expect(report.records).toBe(5000);
    expect(report.kept).toBe(5000 - stats.bad);
    expect(Object.fromEntries(Object.entries(report.rejects as Record<string, { count: number }>).map(([k, v]) => [k, v.count]))).toEqual(stats.rejects);
    for (const e of Object.values(report.rejects as Record<string, { count: number; lines: string[] }>)) expect(e.lines.length).toBe(Math.min(5, e.count));
    // A rejected line really is that record: line numbers count the header as line 1.
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[Number(report.rejects.column_count.lines[0]) - 1]).toMatch(/,extra$/);
    expect(report.nulled.vehicle_year).toBeGreaterThan(0);
    expect(report.duplicateKeys).toBeGreaterThan(0);
    expect(report.tableRows).toBe(report.kept - report.duplicateKeys);
    const text = ok(['spec', 'check', DEFAULT_DATASET, file]).stdout;
    expect(text).toMatch(/column_count\s+\d+ {2}lines \d+/);
    expect(text).toContain('policy first: the first occurrence stays');
    expect(text).toContain('verdict     the file would load (nothing was written)');
  });

  test('a subset export with a description column: absent columns and the unknown one reported, still loads', () => {
    // Lines without quotes, so a plain split cuts their fields.
    const rows = readFileSync(SAMPLE, 'utf8').trim().split('\n').filter((l) => !l.includes('"')).slice(0, 50).map((l) => l.split(','));
    const keep = [0, 1, 2, 3, 4, 5, 14, 19, 24]; // 9 of the 43 columns
    const file = join(stack.layout.dir, 'subset.csv');
    writeFileSync(file, rows.map((r, i) => [...keep.map((k) => r[k]), i === 0 ? 'Description' : 'a note'].join(',')).join('\n') + '\n');
    const report = JSON.parse(ok(['spec', 'check', DEFAULT_DATASET, file, '--json']).stdout);
    expect(report).toMatchObject({ records: 49, kept: 49, loadable: true });
    expect(report.objects[0].absent).toHaveLength(34);
    expect(report.objects[0].absent).toContain('vehicle_year');
    expect(report.objects[0].unknown).toEqual(['Description']);
  });

  test('a header without the key: refused (bad_header), exit 1 with the reason', () => {
    const file = join(stack.layout.dir, 'nokey.csv');
    const lines = readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 20);
    writeFileSync(file, lines.map((l) => l.split(',').slice(1).join(',')).join('\n'));
    const r = runCli(stack, ['spec', 'check', DEFAULT_DATASET, file, '--json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('header refused (bad_header)');
    expect(r.stderr).toContain('"Summons Number"');
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ loadable: false, kept: 0 });
    expect(report.rejects.bad_header.count).toBe(report.records);
  });
});

describe('spec validate and list', () => {
  test('a valid spec prints resolved; an invalid one exits 1 with file:line and path', () => {
    const r = ok(['spec', 'validate', DEFAULT_DATASET]);
    expect(r.stdout).toMatch(/summons_number\s+integer\s+key\s+1\.\.9223372036854775807/);
    expect(JSON.parse(ok(['spec', 'validate', DEFAULT_DATASET, '--json']).stdout)).toMatchObject({ table: 'violations', key: ['summons_number'] });
    const bad = join(stack.layout.dir, 'bad.yaml');
    writeFileSync(bad, 'name: demo\ntable: things\nkey: id\ncolumns:\n  - name: id\n    type: integer\n    maxLen: 3\n');
    const b = runCli(stack, ['spec', 'validate', bad]);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain(`${bad}:7:13: columns[0].maxLen: unknown option "maxLen"`);
    expect(b.stderr).not.toMatch(/\n\s+at /);
  });
  test('list names the built-in specs', () => {
    const all = JSON.parse(ok(['spec', 'list', '--json']).stdout);
    expect(all).toContainEqual(expect.objectContaining({ ref: 'builtin:nyc-parking-violations', table: 'violations', columns: 43 }));
  });
});

test('generate --dataset writes a file of that spec; spec check agrees with what it made', () => {
  const spec = join(__dirname, '..', 'data', 'datasets', 'world-population', 'spec.yaml');
  const file = join(stack.layout.dir, 'wp.csv');
  const g = ok(['generate', '--dataset', spec, '--rows', '3000', '--out', file, '--bad-share', '0.02', '--seed', '4']);
  const m = /wrote .*: 3,000 world-population rows \((\d+) bad, (\d+) duplicate keys, (\d+) invalid optional values\)/.exec(g.stdout);
  expect(m).not.toBeNull();
  const report = JSON.parse(ok(['spec', 'check', spec, file, '--json']).stdout);
  expect(report).toMatchObject({ records: 3000, rejected: Number(m![1]), loadable: true });
  expect(Object.values(report.nulled as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(Number(m![3]));
});

test('spec infer proposes the same spec from a Parquet copy of the sample as from the CSV', () => {
  const parquet = join(stack.layout.dir, 'nyc-sample.parquet');
  execFileSync(join(REPO_ROOT, '.venv', 'bin', 'python'), [join(REPO_ROOT, 'scripts', 'csv-to-parquet.py'), SAMPLE, parquet, '--row-group-rows', '700'], { stdio: 'pipe' });
  const propose = (file: string) => ok(['spec', 'infer', file, '--name', 'nyc-sample', '--table', 'nyc_sample']).stdout.split('\n').slice(1).join('\n');
  const fromCsv = propose(SAMPLE);
  expect(fromCsv).toMatch(/key: summons_number/);
  expect(propose(parquet)).toBe(fromCsv);
});
