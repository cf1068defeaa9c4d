// The WAL collector on real files in a temp folder (no services involved).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipelineWalDir } from '@pipewarden/core';
import { walCollector } from '../src/collectors/wal';
import { writeWal } from './fixtures';

const signal = new AbortController().signal;
const one = (walDir: string) => [{ name: 'default', walDir }];
const at = (value: number) => [{ labels: { pipeline: 'default' }, value }];

describe('walCollector', () => {
  it('reports an empty log and the parent file system\'s free space before the WAL folder exists', async () => {
    const s = await walCollector(one(join(mkdtempSync(join(tmpdir(), 'pw-wal-')), 'not', 'yet'))).collect(signal);
    expect(s.walSegments).toEqual(at(0));
    expect(s.walBytes).toEqual(at(0));
    expect(s.batchesInDoubt).toEqual(at(0));
    expect(s.walDiskFreeBytes![0].value).toBeGreaterThan(0);
  });

  it('counts intents without a commit, and notices appends between scrapes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-wal-'));
    const c = walCollector(one(dir));
    await writeWal(dir, 5, 2);
    const first = await c.collect(signal);
    expect(first.batchesInDoubt).toEqual(at(2));
    expect(first.walSegments).toEqual(at(1));
    expect((await c.collect(signal)).batchesInDoubt).toEqual(at(2));
    await writeWal(dir, 1, 1, 'more-');
    const after = await c.collect(signal);
    expect(after.batchesInDoubt).toEqual(at(3));
    expect(after.walBytes![0].value).toBeGreaterThan(first.walBytes![0].value);
  });

  it('reads each pipeline\'s own folder: the default one does not count the others nested in it', async () => {
    const base = mkdtempSync(join(tmpdir(), 'pw-wal-'));
    const other = pipelineWalDir(base, 'taxi');
    await writeWal(base, 1, 1);
    await writeWal(other, 3, 4);
    const s = await walCollector([
      { name: 'default', walDir: pipelineWalDir(base, 'default') },
      { name: 'taxi', walDir: other },
    ]).collect(signal);
    expect(s.batchesInDoubt).toEqual([
      { labels: { pipeline: 'default' }, value: 1 },
      { labels: { pipeline: 'taxi' }, value: 4 },
    ]);
    expect(s.walSegments!.map((x) => x.value)).toEqual([1, 1]);
  });
});
