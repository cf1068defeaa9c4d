// The reconcile lock: one run at a time across processes on this host (the WAL lives
// here, so every reconciler that could repair it does too). core's lock file: a lock whose
// owner died is taken over, so a reconciler killed mid-run never blocks the next one.
import { join } from 'node:path';
import { LockHeldError, acquireLockFile } from '@pipewarden/core';

export class LockBusyError extends Error {
  constructor(readonly pid: number) {
    super(`another reconcile (pid ${pid || 'unknown'}) is running`);
  }
}

export function acquireReconcileLock(walDir: string): () => void {
  try {
    return acquireLockFile(join(walDir, 'reconcile.lock'));
  } catch (e) {
    if (e instanceof LockHeldError) throw new LockBusyError(e.pid);
    throw e;
  }
}
