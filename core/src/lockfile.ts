// The one pid lock file implementation (loader.lock, reconcile.lock): one owner per file
// across the processes of this host.
//
// Creation is atomic: the owner line (pid and the process's start time) is written to a
// private temp file, fsynced, then link()ed to the lock name, which fails if the name exists.
// So a lock file is never seen half-written by a live creator; an empty or garbled one can
// only come from a power cut (or an older version), and is stale once it predates the boot
// or has stayed unreadable longer than a short grace period.
//
// The start time (field 22 of /proc/<pid>/stat) tells a live owner from a process that
// merely reuses its pid after a reboot or a wrap-around.
//
// Taking over a stale lock goes through a second, short-lived lock (`<name>.takeover`,
// created the same atomic way): inside it the lock is read again, removed only if it is
// still the very file judged stale (same inode and content), and the new one linked in.
// Without it two takers could both remove the stale file, and the second would remove
// the first one's fresh lock. A process that loses any step of this gets the busy error.
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync, mkdirSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { createLogger } from './log';

const log = createLogger('lock');

/** Another live process holds the lock. `pid` is 0 when its file is not readable yet. */
export class LockHeldError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(`${file} is held by pid ${pid || '(unknown)'}`);
    this.name = 'LockHeldError';
  }
}

/** An unreadable lock younger than this may be a creator's still; after it, nobody holds it. */
const UNREADABLE_GRACE_MS = 10_000;

interface Owner {
  pid: number;
  /** Process start time in clock ticks since boot; undefined in files of older versions. */
  start?: string;
}

/** Start time of a live process, or undefined when it does not exist (or /proc lacks it). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall: the third field is fields[0]
  } catch {
    return undefined;
  }
}

function bootTimeMs(): number {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (m) return Number(m[1]) * 1000;
  } catch {
    /* not Linux: fall back to the grace period alone */
  }
  return 0;
}

function parseOwner(text: string): Owner | undefined {
  const m = /^(\d+)(?:\s+(\d+))?\s*$/.exec(text);
  if (!m || Number(m[1]) <= 0) return undefined;
  return { pid: Number(m[1]), start: m[2] };
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerAlive(o: Owner): boolean {
  if (!pidExists(o.pid)) return false;
  if (o.start === undefined) return true; // an old-format file: the pid is all we know
  const now = processStartTime(o.pid);
  return now === undefined || now === o.start;
}

/** What a lock file says: its owner if it names a live one, else why it is stale. */
function judge(text: string, st: Stats): { live: true; pid: number } | { live: false } {
  const owner = parseOwner(text);
  if (owner) return ownerAlive(owner) ? { live: true, pid: owner.pid } : { live: false };
  // Unreadable: a power cut left it so (creation is atomic), unless it is very young.
  const young = st.mtimeMs >= bootTimeMs() && Date.now() - st.mtimeMs < UNREADABLE_GRACE_MS;
  return young ? { live: true, pid: 0 } : { live: false };
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Write this process's owner line to a private temp file, fsynced, ready to be linked. */
function ownerFile(file: string, line: string): string {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

function tryLink(tmp: string, file: string): boolean {
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function readLock(file: string): { text: string; st: Stats } | undefined {
  try {
    const st = statSync(file);
    return { text: readFileSync(file, 'utf8'), st };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Take the lock at `file` or throw LockHeldError. Returns the release function, which
 * removes the file only if it still holds this process's owner line.
 */
export function acquireLockFile(file: string): () => void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const line = `${process.pid} ${processStartTime(process.pid) ?? 0}\n`;
  const tmp = ownerFile(file, line);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (tryLink(tmp, file)) {
        fsyncDir(dir);
        return () => releaseIfMine(file, line);
      }
      const seen = readLock(file);
      if (!seen) continue; // released meanwhile: try again
      const verdict = judge(seen.text, seen.st);
      if (verdict.live) throw new LockHeldError(file, verdict.pid);
      if (takeOver(file, tmp, seen)) {
        fsyncDir(dir);
        return () => releaseIfMine(file, line);
      }
    }
    const now = readLock(file);
    throw new LockHeldError(file, now ? (parseOwner(now.text)?.pid ?? 0) : 0);
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Replace the stale lock `seen` with ours, inside the takeover lock. False when another
 * process took over first (or the file changed): the caller looks again.
 */
function takeOver(file: string, tmp: string, seen: { text: string; st: Stats }): boolean {
  const guard = `${file}.takeover`;
  if (!tryLink(tmp, guard)) {
    const other = readLock(guard);
    if (!other) return false; // that taker just finished: look at the lock again
    // A taker that died inside its (sub-millisecond) critical section leaves the guard
    // behind; it is stale by the same rules as the lock.
    if (!judge(other.text, other.st).live) {
      unlinkIfSame(guard, other);
      return false;
    }
    throw new LockHeldError(file, parseOwner(other.text)?.pid ?? 0);
  }
  try {
    const again = readLock(file);
    if (again && !unlinkIfSame(file, seen)) return false;
    return tryLink(tmp, file);
  } finally {
    unlinkSync(guard);
  }
}

/** Unlink `file` if it is still the same inode with the same content; true if it did. */
function unlinkIfSame(file: string, seen: { text: string; st: Stats }): boolean {
  const now = readLock(file);
  if (!now || now.st.ino !== seen.st.ino || now.text !== seen.text) return false;
  unlinkSync(file);
  return true;
}

/**
 * Remove the lock if it is still ours. A lock already gone is fine; any other failure is
 * logged, not thrown: release runs in cleanup, where a throw would hide the error that
 * ended the run, and a lock left behind is judged stale once its owner has exited.
 */
function releaseIfMine(file: string, line: string): void {
  try {
    if (readFileSync(file, 'utf8') === line) unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn('could not remove the lock file; it is stale once this process has exited', { file, error: (e as Error).message });
  }
}
