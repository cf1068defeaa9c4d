// pipewarden commands as real child processes the nemesis can SIGKILL, SIGSTOP/SIGCONT
// and time out. Every process started here is registered so a failing trial still ends it.
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from '../helpers/doubt';
import { REPO_ROOT } from '@pipewarden/stack';

export interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
  /** The harness ended it after its time ran out: a hang. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

const live = new Set<CliProcess>();

export class CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  private stdout = '';
  private stderr = '';
  private timedOut = false;
  private done = false;

  constructor(readonly args: string[], env: Record<string, string>, timeoutMs: number) {
    this.child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.signal('SIGCONT');
      this.signal('SIGKILL');
    }, timeoutMs);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (status, signal) => {
        clearTimeout(timer);
        this.done = true;
        live.delete(this);
        resolve({ status, signal, timedOut: this.timedOut, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.done) this.child.kill(sig);
  }

  /** SIGTERM, then SIGKILL if it has not ended within `graceMs`. */
  async stop(graceMs = 15000): Promise<Exit> {
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const t = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const e = await this.exited;
    clearTimeout(t);
    return e;
  }
}

/** End every process still running (a trial that threw, or the soak interrupted). */
export async function killAll(): Promise<void> {
  const all = [...live];
  for (const p of all) {
    p.signal('SIGCONT');
    p.signal('SIGKILL');
  }
  await Promise.all(all.map((p) => p.exited));
}

/** A stack trace shown to the user: "    at fn (file:line:col)" lines. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+:\d+:\d+\)?$/m.test(text);
}
