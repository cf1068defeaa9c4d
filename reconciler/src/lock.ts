// The reconcile lock: one run at a time across processes on this host (the WAL lives
// here, so every reconciler that could repair it does too). A lock whose owner died is
// taken over, so a reconciler killed mid-run never blocks the next one.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class LockBusyError extends Error {
  constructor(readonly pid: number) {
    super(`another reconcile (pid ${pid}) is running`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireReconcileLock(walDir: string): () => void {
  mkdirSync(walDir, { recursive: true });
  const file = join(walDir, 'reconcile.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
        } catch {
          /* gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8') || 0);
      if (pid && alive(pid)) throw new LockBusyError(pid);
      unlinkSync(file); // stale: its owner is gone
    }
  }
  throw new Error(`could not take ${file}`);
}
