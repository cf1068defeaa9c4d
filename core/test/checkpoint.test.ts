// The checkpoint file: atomic replacement, and an unusable file moved aside instead of
// blocking every run (the loader then rebuilds positions from the ledger).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointPath, loadCheckpoint, readCheckpoint, writeCheckpoint, type Checkpoint } from '../src';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-cp-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sample = (): Checkpoint => ({
  version: 1,
  updatedAt: 0,
  objects: { 's3://b/k.csv': { etag: 'e', size: 10, nextRecord: 3, nextByte: 7, nextLine: 4, header: ['a'], batchSize: 2, done: false, rowsIn: 2, rowsLoaded: 2, rowsRejected: 0, rowsDuplicate: 0 } },
});

test('written and read back, durable or not, leaving no temp file', () => {
  writeCheckpoint(dir, sample());
  expect(loadCheckpoint(dir).checkpoint.objects).toEqual(sample().objects);
  writeCheckpoint(dir, sample(), false);
  expect(readCheckpoint(dir).objects).toEqual(sample().objects);
  expect(readdirSync(dir)).toEqual(['checkpoint.json']);
});

test.each([
  ['truncated by a power cut', JSON.stringify(sample()).slice(0, 40)],
  ['empty', ''],
  ['garbage', '\u0000\u0000\u0000\u0000'],
  ['JSON of another shape', '{"version":1,"objects":{"k":{"etag":"e"}}}'],
])('a checkpoint %s is moved aside and the load starts from an empty one', (_what, text) => {
  writeFileSync(checkpointPath(dir), text);
  expect(readCheckpoint(dir).objects).toEqual({}); // readers (exporter, reconciler) are not blocked either
  const r = loadCheckpoint(dir);
  expect(r.checkpoint.objects).toEqual({});
  expect(r.movedAside?.path).toMatch(/checkpoint\.json\.corrupt-\d+$/);
  expect(r.movedAside?.problem).toMatch(/not JSON|not a checkpoint/);
  expect(readFileSync(r.movedAside!.path, 'utf8')).toBe(text);
  expect(readdirSync(dir)).toEqual([r.movedAside!.path.split('/').pop()]);
  expect(loadCheckpoint(dir).movedAside).toBeUndefined();
});
