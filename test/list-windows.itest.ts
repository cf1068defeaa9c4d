// Issue 18, a listing held a window at a time (PIPEWARDEN_LIST_WINDOW): a source of 40
// objects (and 12 that a glob leaves out) loads 7 objects at a time, in key order; a load
// killed in a later window resumes exactly; the checkpoint keeps only the window in
// progress; and a rerun with one window over everything finds every object done without
// reading any (the ledger and the objects' done marks answer for the dropped entries).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readCheckpoint } from '@pipewarden/core';
import { createS3Client, ensureBucket, generate, openSource } from '@pipewarden/loader';
import { startTestStack, type TestStack } from './helpers/stack';
import { runCli } from './helpers/doubt';
import { expectExact, outcome } from './helpers/outcome';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());

const OBJECTS = 40;
const ROWS_EACH = 120;
const BATCH = 50; // three batches per object

async function stageObjects(): Promise<string> {
  const config = stack.config();
  const all = join(stack.layout.dir, 'all.csv');
  await generate(all, { rows: OBJECTS * ROWS_EACH, seed: 2019, badShare: 0.01, duplicateShare: 0.01 });
  const [header, ...rows] = readFileSync(all, 'utf8').trimEnd().split('\n');
  const s3 = createS3Client(config);
  try {
    await ensureBucket(s3, stack.layout.bucket);
    for (let i = 0; i < OBJECTS; i++) {
      const body = `${header}\n${rows.slice(i * ROWS_EACH, (i + 1) * ROWS_EACH).join('\n')}\n`;
      await s3.send(new PutObjectCommand({ Bucket: stack.layout.bucket, Key: `w/part-${String(i).padStart(3, '0')}.csv`, Body: body }));
      // Objects the glob leaves out, between the selected ones in key order.
      if (i % 10 < 3) await s3.send(new PutObjectCommand({ Bucket: stack.layout.bucket, Key: `w/part-${String(i).padStart(3, '0')}.json`, Body: '{}' }));
    }
  } finally {
    s3.destroy();
  }
  return `s3://${stack.layout.bucket}/w/*.csv`;
}

test('a source listed 7 objects at a time loads exactly, resumes after a kill in a later window, and keeps only one window in its checkpoint', async () => {
  const source = await stageObjects();
  const config = stack.config({ 'batch.size': BATCH });
  // The windows themselves: 7 selected objects each, in key order, none missed or repeated.
  const src = openSource(source, config);
  const seen: string[] = [];
  for (let after: string | undefined; ; ) {
    const w = await src.list({ after, limit: 7 });
    seen.push(...w.map((o) => o.key));
    if (w.length < 7) break;
    after = w[w.length - 1].key;
  }
  src.close();
  expect(seen).toEqual(Array.from({ length: OBJECTS }, (_, i) => `s3://${stack.layout.bucket}/w/part-${String(i).padStart(3, '0')}.csv`));

  const args = ['load', '--source', source, '--batch-size', String(BATCH), '--no-progress', '--json'];
  const env = { PIPEWARDEN_LIST_WINDOW: '7' };
  const at = 70 + Math.floor(Math.random() * 30); // a batch of the 4th or 5th window
  const killed = runCli(stack, args, { ...env, PIPEWARDEN_FAULT: `before-commit:${at}` });
  expect({ at, signal: killed.signal }).toEqual({ at, signal: 'SIGKILL' });
  const cp = readCheckpoint(config.wal.dir);
  expect(Object.keys(cp.objects).length).toBeLessThanOrEqual(7);

  const again = runCli(stack, args, env);
  expect({ at, status: again.status, stderr: again.status === 0 ? '' : again.stderr }).toEqual({ at, status: 0, stderr: '' });
  const summary = JSON.parse(again.stdout) as { objects: number; rows_in: number; balanced: boolean; this_run: { batches_committed: number } };
  expect({ objects: summary.objects, rows_in: summary.rows_in, balanced: summary.balanced }).toEqual({ objects: OBJECTS, rows_in: OBJECTS * ROWS_EACH, balanced: true });
  expect(summary.this_run.batches_committed).toBeLessThanOrEqual(OBJECTS * 3 - (at - 1));
  const after = readCheckpoint(config.wal.dir);
  expect(Object.keys(after.objects).length).toBeLessThanOrEqual(7);
  // The exporter counts what lies at or before this key as done (five windows of 7 proved).
  expect(after.provedThrough).toBe(`s3://${stack.layout.bucket}/w/part-034.csv`);
  await expectExact(config, source);
  const loaded = await outcome(config);
  expect(loaded.rows + loaded.deadLetters).toBeLessThanOrEqual(OBJECTS * ROWS_EACH);

  // One window over everything: the objects dropped from the checkpoint are found done in
  // the ledger and their done marks, and none is read again.
  const rerun = runCli(stack, args, { PIPEWARDEN_LIST_WINDOW: '1000' });
  expect({ status: rerun.status, stderr: rerun.status === 0 ? '' : rerun.stderr }).toEqual({ status: 0, stderr: '' });
  const r = JSON.parse(rerun.stdout) as { objects: number; rows_in: number; this_run: { batches_committed: number; batches_skipped: number } };
  expect({ objects: r.objects, rows_in: r.rows_in, committed: r.this_run.batches_committed, skipped: r.this_run.batches_skipped }).toEqual({ objects: OBJECTS, rows_in: OBJECTS * ROWS_EACH, committed: 0, skipped: 0 });
  expect(await outcome(config)).toEqual(loaded);
});
