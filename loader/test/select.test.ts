// Selecting a source's objects (issue 18): a glob in the URL lists from the longest prefix
// before it and keeps the keys it matches; PIPEWARDEN_SOURCE_MATCH is a regular expression on
// the key (without s3://bucket/, or the path under the folder).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@pipewarden/core';
import { LocalSource } from '../src/source/local';
import { SelectingSource, selectionOf } from '../src/source/select';

test('an S3 glob lists from the prefix before its first wildcard and keeps the keys it matches', () => {
  const s = selectionOf('s3://drops/raw/fy20*/**/*.csv.gz');
  expect(s.base).toBe('s3://drops/raw/');
  expect(s.narrowed).toBe(true);
  expect(s.keep('s3://drops/raw/fy2014/a.csv.gz')).toBe(true);
  expect(s.keep('s3://drops/raw/fy2015/q1/deep/b.csv.gz')).toBe(true);
  expect(s.keep('s3://drops/raw/fy2014/a.csv')).toBe(false);
  expect(s.keep('s3://drops/raw/other/a.csv.gz')).toBe(false);
  expect(s.keep('s3://drops/raw/fy2014a.csv.gz')).toBe(false);
});

test('a plain prefix selects everything under it, and a regular expression narrows it', () => {
  const all = selectionOf('s3://drops/raw/');
  expect([all.base, all.narrowed, all.keep('s3://drops/raw/x.json')]).toEqual(['s3://drops/raw/', false, true]);
  const re = selectionOf('s3://drops/raw/', '^raw/fy201[45]/.*\\.(csv|csv\\.gz)$');
  expect(re.keep('s3://drops/raw/fy2014/a.csv.gz')).toBe(true);
  expect(re.keep('s3://drops/raw/fy2016/a.csv.gz')).toBe(false);
  expect(() => selectionOf('s3://drops/', '(')).toThrow(UserError);
});

test('a local glob and pattern select files of a folder tree; nothing matching is an error that says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-select-'));
  try {
    for (const d of ['fy2014', 'fy2015', 'misc']) {
      mkdirSync(join(dir, d));
      for (const f of ['a.csv', 'b.csv.gz', 'c.json']) writeFileSync(join(dir, d, f), 'x\n');
    }
    const list = async (url: string, match?: string) => {
      const sel = selectionOf(url, match);
      return (await new SelectingSource(url, new LocalSource(sel.base, { anyName: sel.narrowed }), sel).list()).map((o) => o.key.slice(dir.length + 1));
    };
    expect(await list(join(dir, 'fy*/*.csv*'))).toEqual(['fy2014/a.csv', 'fy2014/b.csv.gz', 'fy2015/a.csv', 'fy2015/b.csv.gz']);
    expect(await list(dir, '^misc/')).toEqual(['misc/a.csv', 'misc/b.csv.gz', 'misc/c.json']);
    await expect(list(join(dir, '*/*.parquet'))).rejects.toThrow(/no object under .* matches/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
