// `pipewarden load` as a separate process with its own run folder and worker name: how the
// scale-out tests run several loaders on one source. Leases lapse after 3 s, so a killed
// loader's work is taken over quickly.
import { spawn } from 'node:child_process';
import { REPO_ROOT, type Stack } from '@pipewarden/stack';
import { CLI } from './doubt';

export interface LoaderRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The --json summary of a run that exited 0. */
  summary?: { rows_in: number; this_run: { batches_committed: number; batches_skipped: number; records_skipped: number } };
}

export function startLoader(stack: Stack, source: string, walDir: string, worker: string, batchSize: number, env: Record<string, string> = {}): { kill(): void; done: Promise<LoaderRun>; stderr(): string } {
  let p!: ReturnType<typeof spawn>;
  let stderr = '';
  const done = new Promise<LoaderRun>((resolve) => {
    p = spawn(process.execPath, [CLI, 'load', '--source', source, '--batch-size', String(batchSize), '--no-progress', '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...stack.env, PIPEWARDEN_LOG_LEVEL: 'warn', PIPEWARDEN_WAL_DIR: walDir, PIPEWARDEN_WORKER: worker, PIPEWARDEN_LEASE_SECONDS: '3', ...env },
    });
    let stdout = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    p.on('close', (status, signal) => {
      let summary;
      try {
        summary = status === 0 ? JSON.parse(stdout) : undefined;
      } catch {
        summary = undefined;
      }
      resolve({ status, signal, stdout, stderr, summary });
    });
  });
  return { kill: () => p.kill('SIGKILL'), done, stderr: () => stderr };
}
