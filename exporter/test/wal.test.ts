// The WAL collector on real files in a temp folder (no services involved).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walCollector } from '../src/collectors/wal';
import { writeWal } from './fixtures';

const signal = new AbortController().signal;

describe('walCollector', () => {
  it('reports an empty log and the parent file system\'s free space before the WAL folder exists', async () => {
    const s = await walCollector(join(mkdtempSync(join(tmpdir(), 'pw-wal-')), 'not', 'yet')).collect(signal);
    expect(s.walSegments).toEqual([{ value: 0 }]);
    expect(s.walBytes).toEqual([{ value: 0 }]);
    expect(s.batchesInDoubt).toEqual([{ value: 0 }]);
    expect(s.walDiskFreeBytes![0].value).toBeGreaterThan(0);
  });

  it('counts intents without a commit, and notices appends between scrapes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-wal-'));
    const c = walCollector(dir);
    await writeWal(dir, 5, 2);
    const first = await c.collect(signal);
    expect(first.batchesInDoubt).toEqual([{ value: 2 }]);
    expect(first.walSegments).toEqual([{ value: 1 }]);
    expect((await c.collect(signal)).batchesInDoubt).toEqual([{ value: 2 }]);
    await writeWal(dir, 1, 1, 'more-');
    const after = await c.collect(signal);
    expect(after.batchesInDoubt).toEqual([{ value: 3 }]);
    expect(after.walBytes![0].value).toBeGreaterThan(first.walBytes![0].value);
  });
});
