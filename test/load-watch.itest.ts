// Issue 18, `pipewarden load --watch N`: after finishing, the source is listed again every N
// seconds and what arrived since is loaded (what is done is skipped: the checkpoint and the
// ledger remember each object and ETag); SIGTERM between rounds stops it cleanly.
import { spawn } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { generate, verifyTable } from '@pipewarden/loader';
import { REPO_ROOT } from '@pipewarden/stack';
import { startTestStack, type TestStack } from './helpers/stack';
import { CLI } from './helpers/doubt';
import { waitFor } from './helpers/wait';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ services: ['mariadb', 'redis'] });
});
afterAll(() => stack?.cleanup());

test('load --watch loads an object that arrives after the first round, then stops on SIGTERM', async () => {
  const drops = join(stack.layout.dir, 'drops');
  mkdirSync(drops);
  await generate(join(drops, 'a.csv'), { rows: 2000, seed: 31, keyBase: 6_000_000_000 });
  const p = spawn(process.execPath, [CLI, 'load', '--source', drops, '--watch', '1', '--json', '--no-progress', '--batch-size', '500'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...stack.env, PIPEWARDEN_LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => p.on('close', (code) => r(code)));
  const rounds = () => stdout.split('\n').slice(0, -1).map((l) => JSON.parse(l) as { objects: number; rows_in: number; this_run: { batches_committed: number } });
  await waitFor('the first round', () => rounds().length >= 1 || undefined, 60000);
  expect(rounds()[0]).toMatchObject({ objects: 1, rows_in: 2000 });

  // A new export arrives (written aside, renamed in, as tools do).
  const tmp = join(stack.layout.dir, 'b.csv');
  await generate(tmp, { rows: 1500, seed: 32, keyBase: 6_100_000_000 });
  renameSync(tmp, join(drops, 'b.csv'));
  const at = await waitFor('a round with the new object', () => {
    const i = rounds().findIndex((r) => r.objects === 2);
    return i >= 0 ? i : undefined;
  }, 60000);
  expect(rounds()[at].rows_in).toBe(3500);
  expect(rounds()[at].this_run.batches_committed).toBe(3); // only b.csv's batches: a.csv was done
  // Rounds with nothing new write nothing.
  await waitFor('a quiet round', () => rounds().length >= at + 2 || undefined, 60000);
  expect(rounds().slice(at + 1).map((r) => r.this_run.batches_committed)).toEqual(rounds().slice(at + 1).map(() => 0));

  p.kill('SIGTERM');
  expect({ code: await exited, stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/\n\s+at /) });
  const v = await verifyTable(stack.config(), drops);
  expect({ ok: v.ok, lost: v.lost, duplicated: v.duplicated }).toEqual({ ok: true, lost: 0, duplicated: 0 });
});
