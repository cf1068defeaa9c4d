// The one lock file implementation, through its two users (the reconcile lock and the
// loader lock): concurrent takers of a stale lock, power-cut leftovers, live owners.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireReconcileLock, LockBusyError } from '../../reconciler/src/lock';
import { acquireLoaderLock } from '../../loader/src/load';
import { processStartTime } from '../src/lockfile';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that surely belongs to no process any more. */
function deadPid(): number {
  const p = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(p.stdout.toString());
}

function lines(child: ChildProcess): { all: string[]; next: (pred: (l: string) => boolean) => Promise<string> } {
  const all: string[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let rest = '';
  child.stdout!.on('data', (b: Buffer) => {
    rest += b.toString();
    let i;
    while ((i = rest.indexOf('\n')) >= 0) {
      const l = rest.slice(0, i);
      rest = rest.slice(i + 1);
      all.push(l);
      for (const w of [...waiters]) {
        if (!w.pred(l)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  return {
    all,
    next: (pred) => {
      const seen = all.find(pred);
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

test('several processes race to take over a stale reconcile lock: exactly one wins, the others are told it is busy', async () => {
  for (const stale of [`${deadPid()}\n`, '', `${deadPid()} 12345\n`, `${deadPid()}\n`, '', `${deadPid()}\n`]) {
    const file = join(dir, 'reconcile.lock');
    writeFileSync(file, stale);
    utimesSync(file, new Date(0), new Date(0)); // before the boot: stale even when empty
    const go = join(dir, 'go');
    rmSync(go, { force: true });
    const children = Array.from({ length: 6 }, () =>
      spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'fixtures', 'lock-child.ts'), dir, go], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const outs = children.map(lines);
    await Promise.all(outs.map((o) => o.next((l) => l === 'ready')));
    writeFileSync(go, '');
    const results = await Promise.all(outs.map((o) => o.next((l) => l === 'won' || l.startsWith('busy'))));
    const winners = results.filter((r) => r === 'won');
    expect({ stale, winners: winners.length }).toEqual({ stale, winners: 1 });
    expect(results.filter((r) => r.startsWith('busy')).every((r) => /another reconcile \(pid \d+\) is running/.test(r))).toBe(true);
    // The lock names the winner.
    const winner = children[results.indexOf('won')];
    expect(readFileSync(file, 'utf8').split(' ')[0]).toBe(String(winner.pid));
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.on('exit', () => resolve());
            c.stdin!.end();
          }),
      ),
    );
    expect(existsSync(file)).toBe(false); // the winner released it
  }
});

test('an empty loader.lock left by a power cut (older than the boot) is taken over', () => {
  const file = join(dir, 'loader.lock');
  writeFileSync(file, '');
  utimesSync(file, new Date(0), new Date(0));
  const release = acquireLoaderLock(dir);
  expect(readFileSync(file, 'utf8')).toBe(`${process.pid} ${processStartTime(process.pid)}\n`);
  release();
  expect(existsSync(file)).toBe(false);
});

test("a live owner's lock is respected, by another process and by the same one", () => {
  const file = join(dir, 'loader.lock');
  writeFileSync(file, `${process.ppid} ${processStartTime(process.ppid)}\n`);
  expect(() => acquireLoaderLock(dir)).toThrow(`another loader (pid ${process.ppid}) is using the WAL in ${dir}`);
  rmSync(file);
  const release = acquireReconcileLock(dir);
  expect(() => acquireReconcileLock(dir)).toThrow(LockBusyError);
  release();
  acquireReconcileLock(dir)();
});

test('a reused pid (same pid, another start time) does not hold the lock', () => {
  const file = join(dir, 'loader.lock');
  writeFileSync(file, `${process.ppid} 1\n`);
  const release = acquireLoaderLock(dir);
  release();
});

test('an unreadable lock written just now is respected for a grace period (its writer may be alive)', () => {
  writeFileSync(join(dir, 'reconcile.lock'), 'garbage');
  expect(() => acquireReconcileLock(dir)).toThrow(LockBusyError);
});
