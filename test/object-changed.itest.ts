// Issue 18, objects that change: PIPEWARDEN_ON_CHANGE decides what a load does with an object
// whose ETag changed since it was loaded (between runs, on S3) or while it loaded (a file
// replaced between two ranges' reads): fail stops with a clear error and writes nothing of
// it; skip keeps what was loaded and says so; reload loads the new version as a new object
// version. Each is verified against the version(s) it loaded. The new version is the old one
// with rows appended (a corrected export), so the two share keys and values.
import { copyFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, type Config } from '@pipewarden/core';
import { LoaderMetrics, createS3Client, generate, putFile, runLoad, verifyTable, type LoadProgress } from '@pipewarden/loader';
import { appendedVersion } from './nemesis/workload';
import { startTestStack, type TestStack, query as q } from './helpers/stack';

let stack: TestStack;
let v1: string;
let v2: string;
beforeAll(async () => {
  stack = await startTestStack();
  v1 = join(stack.layout.dir, 'v1', 'data.csv');
  mkdirSync(join(stack.layout.dir, 'v1'));
  await generate(v1, { rows: 6000, seed: 1919, badShare: 0.01, duplicateShare: 0 });
  v2 = await appendedVersion(v1, 700, 1920, join(stack.layout.dir, 'v2'));
});
afterAll(() => stack?.cleanup());
beforeEach(() => stack.resetData());

const BATCH = 500;
type Policy = 'fail' | 'skip' | 'reload';

async function put(config: Config, file: string, url: string): Promise<void> {
  const s3 = createS3Client(config);
  try {
    await putFile(s3, file, url);
  } finally {
    s3.destroy();
  }
}

/** The table holds exactly the rows of `source` (a local copy of an old version: its dead letters are under the S3 key, so only the rows are compared). */
async function expectTableIs(config: Config, source: string): Promise<void> {
  const v = await verifyTable(config, source);
  expect({ lost: v.lost, duplicated: v.duplicated, unexpected: v.unexpected, mismatched: v.mismatched }).toEqual({ lost: 0, duplicated: 0, unexpected: 0, mismatched: 0 });
}

/** After the first two batches, `file` is replaced as tools replace an export: a new file renamed over it. */
function replaceAfterTwoBatches(file: string, by: string): { onProgress: (p: LoadProgress) => void; readonly done: boolean } {
  let done = false;
  return {
    onProgress: (p) => {
      if (done || p.rowsIn < 2 * BATCH) return;
      done = true;
      copyFileSync(by, `${file}.new`);
      renameSync(`${file}.new`, file);
    },
    get done() {
      return done;
    },
  };
}

const ledgerByEtag = async (config: Config) => (await q(config, 'SELECT source_etag AS etag, COUNT(*) AS batches, SUM(record_count) AS records FROM batch_ledger GROUP BY source_etag ORDER BY MIN(committed_at)')).map((r) => ({ batches: Number(r.batches), records: Number(r.records) }));

test.each(['fail', 'skip', 'reload'] as const)('an object replaced on S3 between two loads, under %s', async (policy: Policy) => {
  const config = stack.config({ 'batch.size': BATCH, onChange: policy });
  const url = `s3://${stack.layout.bucket}/between-${policy}/data.csv`;
  const source = `s3://${stack.layout.bucket}/between-${policy}/`;
  await put(config, v1, url);
  await runLoad(config, { source });
  await put(config, v2, url);
  const metrics = new LoaderMetrics();
  const second = runLoad(config, { source, metrics });
  if (policy === 'fail') {
    await expect(second).rejects.toThrow(UserError);
    await expect(runLoad(config, { source })).rejects.toThrow(/1 object\(s\) changed since they were loaded: .*data\.csv \(ETag .* → .*\); nothing of them was written/);
    expect(await ledgerByEtag(config)).toEqual([{ batches: 12, records: 6000 }]);
    return expectTableIs(config, v1);
  }
  const s = await second;
  expect(s.objects_changed).toEqual({ [url]: policy === 'skip' ? 'skipped' : 'reloaded' });
  const counted = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'pipewarden_loader_objects_changed_total')?.values ?? [];
  expect(counted.map((v) => [v.labels.action, v.value])).toEqual([[policy === 'skip' ? 'skipped' : 'reloaded', 1]]);
  if (policy === 'skip') {
    expect(s.this_run.batches_committed).toBe(0);
    expect(await ledgerByEtag(config)).toEqual([{ batches: 12, records: 6000 }]);
    return expectTableIs(config, v1);
  }
  // reload: the new version's batches beside the old one's; its repeated rows are duplicates.
  expect(await ledgerByEtag(config)).toEqual([
    { batches: 12, records: 6000 },
    { batches: 14, records: 6700 },
  ]);
  expect((await verifyTable(config, source)).ok).toBe(true);
  await expectTableIs(config, source);
});

test.each(['fail', 'skip', 'reload'] as const)('a file replaced while it loads (between two of its ranges), under %s', async (policy: Policy) => {
  const dir = join(stack.layout.dir, `while-${policy}`);
  const file = join(dir, 'data.csv');
  mkdirSync(dir, { recursive: true });
  copyFileSync(v1, file);
  const config = stack.config({ 'batch.size': BATCH, onChange: policy, 'loader.rangeBytes': Math.floor(statSync(v1).size / 4) });
  const replacement = replaceAfterTwoBatches(file, v2);
  const run = runLoad(config, { source: dir, onProgress: replacement.onProgress });
  if (policy === 'fail') {
    await expect(run).rejects.toThrow(/data\.csv changed while loading/);
  } else {
    const s = await run;
    expect(s.objects_changed).toEqual({ [file]: policy === 'skip' ? 'skipped' : 'reloaded' });
  }
  expect(replacement.done).toBe(true);
  const byVersion = await ledgerByEtag(config);
  // The old version's batches that were in stay in, whole: no batch mixes the two versions.
  expect(byVersion[0].records).toBe(byVersion[0].batches * BATCH);
  expect(byVersion[0].records).toBeLessThan(6000);
  const [t] = await q(config, 'SELECT COUNT(*) AS n FROM violations');
  const [l] = await q(config, 'SELECT SUM(rows_inserted) AS n FROM batch_ledger');
  expect(Number(t.n)).toBe(Number(l.n));
  if (policy === 'reload') {
    expect(byVersion[1]).toEqual({ batches: 14, records: 6700 });
    expect((await verifyTable(config, dir)).ok).toBe(true);
    await expectTableIs(config, dir);
  } else {
    expect(byVersion).toHaveLength(1);
  }
});

test('a file replaced while it loads by a version with another header: under reload its ranges are read with its own header', async () => {
  const dir = join(stack.layout.dir, 'while-header');
  const file = join(dir, 'data.csv');
  mkdirSync(dir, { recursive: true });
  copyFileSync(v1, file);
  // The new version: the same rows behind a new first column (an extra column, ignored).
  const lines = readFileSync(v1, 'utf8').split('\n');
  const v3 = join(stack.layout.dir, 'v3.csv');
  writeFileSync(v3, lines.map((l, i) => (l === '' ? l : `${i === 0 ? 'Note' : 'x'},${l}`)).join('\n'));
  const config = stack.config({ 'batch.size': BATCH, onChange: 'reload', 'loader.rangeBytes': Math.floor(statSync(v1).size / 4) });
  const s = await runLoad(config, { source: dir, onProgress: replaceAfterTwoBatches(file, v3).onProgress });
  expect(s.objects_changed).toEqual({ [file]: 'reloaded' });
  const v = await verifyTable(config, dir);
  expect({ ok: v.ok, lost: v.lost, mismatched: v.mismatched }).toEqual({ ok: true, lost: 0, mismatched: 0 });
});
