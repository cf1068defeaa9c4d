// A service process of the local stack: spawned detached (so `pipewarden up` can exit
// and leave it running), output to a log file, pid in a pid file, readiness by probe.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  pidFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolves when the service answers; throws/returns false while it does not. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

export class ManagedProcess {
  constructor(readonly spec: ProcessSpec) {}

  get pid(): number | undefined {
    if (!existsSync(this.spec.pidFile)) return undefined;
    const pid = Number(readFileSync(this.spec.pidFile, 'utf8').trim());
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  }

  running(): boolean {
    const pid = this.pid;
    return pid !== undefined && isAlive(pid);
  }

  async start(): Promise<void> {
    if (this.running()) return;
    const { spec } = this;
    mkdirSync(dirname(spec.logFile), { recursive: true });
    mkdirSync(dirname(spec.pidFile), { recursive: true });
    const fd = openSync(spec.logFile, 'a');
    const child = spawn(spec.command, spec.args, { detached: true, stdio: ['ignore', fd, fd], env: spec.env ?? process.env, cwd: spec.cwd });
    closeSync(fd);
    let exited: string | undefined;
    child.on('exit', (code, sig) => (exited = `exited with ${sig ?? code}`));
    child.on('error', (e) => (exited = `could not start: ${e.message}`));
    child.unref();
    if (child.pid) writeFileSync(spec.pidFile, String(child.pid));
    const deadline = Date.now() + (spec.readyTimeoutMs ?? 30000);
    while (Date.now() < deadline) {
      if (exited) throw new Error(`${spec.name} ${exited}; log ${spec.logFile}:\n${tail(spec.logFile)}`);
      try {
        if (await spec.ready()) return;
      } catch {
        /* not yet */
      }
      await sleep(100);
    }
    this.signal('SIGKILL');
    throw new Error(`${spec.name} did not become ready in ${(spec.readyTimeoutMs ?? 30000) / 1000} s; log ${spec.logFile}:\n${tail(spec.logFile)}`);
  }

  signal(sig: NodeJS.Signals): boolean {
    const pid = this.pid;
    if (pid === undefined || !isAlive(pid)) return false;
    try {
      process.kill(pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGKILL and wait until the process is gone (data dir kept). */
  async kill(): Promise<void> {
    const pid = this.pid;
    this.signal('SIGKILL');
    while (pid !== undefined && isAlive(pid)) await sleep(20);
  }

  /** SIGTERM, wait up to timeout, then SIGKILL. */
  async stop(timeoutMs = 15000): Promise<void> {
    const pid = this.pid;
    if (pid !== undefined && this.signal('SIGTERM')) {
      const deadline = Date.now() + timeoutMs;
      while (isAlive(pid) && Date.now() < deadline) await sleep(50);
      if (isAlive(pid)) await this.kill();
    }
    if (existsSync(this.spec.pidFile)) unlinkSync(this.spec.pidFile);
  }
}
