// A small real tmpfs for disk-full tests, and a way to fill it: the only way to see what
// pipewarden does on ENOSPC without mocking the file system.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Mount a tmpfs of `size` (mount's syntax: '64k', '8m') at `dir`. Only root (or CAP_SYS_ADMIN)
 * may mount: when it cannot, print why under `label` and return false, so the caller skips.
 */
export function mountTmpfs(dir: string, size: string, label: string): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (e) {
    process.stderr.write(`${label}: SKIPPED, cannot mount a tmpfs at ${dir}: ${(e as Error).message.split('\n')[0]}\n`);
    return false;
  }
}

/** Lazy: a file a failed test left open must not keep the mount. */
export function unmountTmpfs(dir: string): void {
  execFileSync('umount', ['--lazy', dir]);
}

/** Fill the file system under `dir`, leaving `leaveBytes` free; returns the filler's path. */
export function fillDisk(dir: string, leaveBytes: number): string {
  const filler = join(dir, 'filler');
  const st = statfsSync(dir);
  const free = Number(st.bavail) * Number(st.bsize);
  writeFileSync(filler, Buffer.alloc(Math.max(0, free - leaveBytes)));
  return filler;
}
