// Leave batches in doubt the way a crash does: a real `pipewarden load` process is
// SIGKILLed (fault injection) while a batch's MySQL transaction is open and its mirror
// entry written. The WAL then holds intents without commits and MySQL lacks their rows.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@pipewarden/core';
import { generate } from '@pipewarden/loader';
import type { Stack } from '@pipewarden/stack';
import { REPO_ROOT } from '@pipewarden/stack';

export const CLI = join(REPO_ROOT, 'cli', 'bin', 'pipewarden.cjs');

/** Run the CLI with the stack's environment (plus extra variables); returns status and output. */
export function runCli(stack: Stack, args: string[], env: Record<string, string> = {}, timeoutMs = 300000): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...stack.env, PIPEWARDEN_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    cwd: REPO_ROOT,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * runCli without blocking this process: for a CLI that talks to a service running in the
 * test's own process (spawnSync would stop its event loop, and the service could not answer).
 */
export function runCliAsync(stack: Stack, args: string[], env: Record<string, string> = {}, timeoutMs = 300000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...stack.env, ...env, PIPEWARDEN_LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: timeoutMs, cwd: REPO_ROOT, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = (err as (Error & { code?: unknown }) | null)?.code;
      resolve({ status: err ? (typeof code === 'number' ? code : null) : 0, stdout, stderr });
    });
  });
}

export async function tableRows(stack: Stack): Promise<number> {
  const c = await connect(stack.config());
  try {
    const [rows] = await c.query<import('mysql2').RowDataPacket[]>('SELECT COUNT(*) AS n FROM violations');
    return Number(rows[0].n);
  } finally {
    await c.end();
  }
}

export interface InDoubt {
  /** The generated source file (local path). */
  file: string;
  /** Distinct kept keys of the source: what the table must hold when all is well. */
  sourceRows: number;
  /** Rows the table lacks after the crash. */
  missingRows: number;
  tableRows(): Promise<number>;
}

/**
 * Generate `rows` rows (no bad rows, no duplicates, so every row is a distinct kept key),
 * load them with batches of `batchSize` and kill the loader before the commit of batch
 * `crashAtBatch` (default: the last one, so a reconcile alone completes the table: the
 * batches in flight at the crash are exactly the ones missing).
 */
export async function createBatchesInDoubt(stack: Stack, opts: { rows: number; batchSize?: number; crashAtBatch?: number; seed?: number }): Promise<InDoubt> {
  const dir = join(stack.layout.dir, 'doubt');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `source-${opts.rows}-${opts.seed ?? 1}.csv`);
  await generate(file, { rows: opts.rows, seed: opts.seed ?? 1, badShare: 0, duplicateShare: 0 });
  const batchSize = opts.batchSize ?? Math.max(1, Math.ceil(opts.rows / 10));
  const crashAt = opts.crashAtBatch ?? Math.ceil(opts.rows / batchSize);
  const r = runCli(stack, ['load', '--source', file, '--batch-size', String(batchSize), '--no-progress', '--json'], { PIPEWARDEN_FAULT: `before-commit:${crashAt}` });
  if (r.signal !== 'SIGKILL') throw new Error(`the loader was expected to die by fault injection, got status ${r.status} signal ${r.signal}: ${r.stderr.slice(-2000)}`);
  const present = await tableRows(stack);
  return { file, sourceRows: opts.rows, missingRows: opts.rows - present, tableRows: () => tableRows(stack) };
}
