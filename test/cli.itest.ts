// The CLI as users run it (a real process through the bin's TypeScript loader): module
// loading paths that in-process tests cannot see, such as the lazily loaded Spark engine.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@pipewarden/core';
import { generate, verifyTable } from '@pipewarden/loader';
import { sparkSkipReason } from '../loader/test/helpers/spark-testkit';
import { startTestStack, type TestStack } from './helpers/stack';
import { CLI, runCli } from './helpers/doubt';

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

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

(skip ? test.skip : test)('a loader killed while its Spark job runs: the next load stops that job first, then loads exactly', async () => {
  const file = join(stack.layout.dir, 'cli-spark-killed.csv');
  await generate(file, { rows: 60000, seed: 13, badShare: 0.02 });
  // verify compares the table with one source: start from an empty one.
  const c = await connect(stack.config());
  try {
    for (const t of ['violations', 'dead_letters', 'batch_ledger']) await c.query(`TRUNCATE TABLE ${t}`);
  } finally {
    await c.end();
  }
  const env = { ...process.env, ...stack.env, PIPEWARDEN_LOG_LEVEL: 'warn', PIPEWARDEN_SPARK_MAX_PARTITION_BYTES: String(1 << 20) };
  const first = spawn(process.execPath, [CLI, 'load', '--source', file, '--engine', 'spark', '--no-progress'], { env, stdio: 'ignore' });
  // The job records its process group beside its staging folder once it runs.
  const sparkDir = join(stack.config().runDir, 'spark');
  let pid = 0;
  const end = Date.now() + 60_000;
  while (!pid && Date.now() < end) {
    for (const d of existsSync(sparkDir) ? readdirSync(sparkDir) : []) {
      const f = join(sparkDir, d, 'job.pid');
      if (existsSync(f)) pid = Number(readFileSync(f, 'utf8'));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(pid).toBeGreaterThan(0);
  first.kill('SIGKILL'); // the loader dies; its detached Spark job does not
  await new Promise((r) => first.once('exit', r));
  expect(groupAlive(pid)).toBe(true);

  const r = runCli(stack, ['load', '--source', file, '--engine', 'spark', '--json', '--no-progress']);
  expect({ status: r.status, err: r.status === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ status: 0, err: '' });
  expect(r.stderr).toContain('stopping the Spark job an earlier, interrupted load left running');
  expect(groupAlive(pid)).toBe(false);
  expect((await verifyTable(stack.config(), file)).ok).toBe(true);
});
