// The checkpoint on a full disk: a clear error naming the WAL folder (not a raw ENOSPC as
// "unexpected error"), the previous checkpoint intact, no temp file left (nemesis seed 39).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError, loadCheckpoint, writeCheckpoint, type Checkpoint } from '../src';
import { fillDisk, mountTmpfs, unmountTmpfs } from '../../test/helpers/tmpfs';

const mnt = mkdtempSync(join(tmpdir(), 'pw-cpfull-'));
const mounted = mountTmpfs(mnt, '64k', 'checkpoint-disk-full');
const maybe = mounted ? test : test.skip;
afterAll(() => {
  if (mounted) unmountTmpfs(mnt);
  rmSync(mnt, { recursive: true, force: true });
});

const withObjects = (n: number): Checkpoint => ({
  version: 1,
  updatedAt: 0,
  objects: Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`s3://bucket/object-${i}.csv`, { etag: `e${i}`, size: 10, nextRecord: 3, nextByte: 7, nextLine: 4, header: ['Summons Number'], batchSize: 2, done: false, rowsIn: 2, rowsLoaded: 2, rowsRejected: 0, rowsDuplicate: 0 }]),
  ),
});

maybe('a checkpoint that does not fit is a clear error and the old one stays', () => {
  const dir = join(mnt, 'wal');
  writeCheckpoint(dir, withObjects(1));
  fillDisk(mnt, 0);
  let err: unknown;
  try {
    writeCheckpoint(dir, withObjects(2000));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toBe(`cannot write the checkpoint in ${dir}: no space left on device`);
  expect(readdirSync(dir)).toEqual(['checkpoint.json']);
  expect(Object.keys(loadCheckpoint(dir).checkpoint.objects)).toEqual(['s3://bucket/object-0.csv']);
});
