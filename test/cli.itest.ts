// The CLI as users run it (a real process through the bin's TypeScript loader): module
// loading paths that in-process tests cannot see, such as the lazily loaded Spark engine.
import { join } from 'node:path';
import { generate, verifyTable } from '@pipewarden/loader';
import { sparkSkipReason } from '../loader/src/engine/spark-testkit';
import { startTestStack, type TestStack } from './helpers/stack';
import { runCli } from './helpers/doubt';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());

test('every command answers --help with an example', () => {
  for (const cmd of [[], ['load'], ['loader', 'serve'], ['reconcile'], ['reconciler', 'serve'], ['exporter'], ['generate'], ['s3', 'put'], ['up'], ['demo'], ['verify']]) {
    const r = runCli(stack, [...cmd, '--help']);
    expect({ cmd, status: r.status }).toEqual({ cmd, status: 0 });
    expect(r.stdout).toMatch(/Usage: pipewarden/);
    if (cmd.length > 0 && cmd[0] !== 's3') expect({ cmd, example: /Example|\$ /.test(r.stdout) }).toEqual({ cmd, example: true });
  }
});

test('bad configuration is one clear line, not a stack trace', () => {
  const r = runCli(stack, ['load', '--source', '/nope.csv', '--batch-size', 'many']);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('PIPEWARDEN_BATCH_SIZE');
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

const skip = sparkSkipReason();
if (skip) console.warn(`SKIPPED cli --engine spark: ${skip}`);
(skip ? test.skip : test)('`pipewarden load --engine spark` loads through the CLI, and the table equals the source', async () => {
  const file = join(stack.layout.dir, 'cli-spark.csv');
  await generate(file, { rows: 3000, seed: 12, badShare: 0.02 });
  const r = runCli(stack, ['load', '--source', file, '--engine', 'spark', '--json', '--no-progress']);
  expect({ status: r.status, err: r.status === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ status: 0, err: '' });
  const s = JSON.parse(r.stdout.trim().split('\n').pop()!);
  expect(s).toMatchObject({ engine: 'spark', rows_in: 3000, balanced: true });
  expect((await verifyTable(stack.config(), file)).ok).toBe(true);
});
