// What each fault of the vocabulary does: `fire` during the first run (then heals it),
// `snapshot` keeps an older copy at its moment, `damage` acts between the first run and
// the reruns. Services always come back: the invariants are about what pipewarden does
// once they do.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointPath } from '@pipewarden/core';
import { createS3Client, putFile } from '@pipewarden/loader';
import { sleep } from '@pipewarden/stack';
import { fillDisk, mountTmpfs, unmountTmpfs } from '../helpers/tmpfs';
import { CliProcess } from './procs';
import { checkFinished, judgeExit } from './invariants';
import { hangAfterMs, otherWalDir, trialEnv, type TrialContext } from './context';
import { startLoader, startReconciler } from './services';
import type { Fault, Target } from './schedule';
import { appendedVersion, s3Url } from './workload';

function service(ctx: TrialContext, t: Target) {
  return t === 'mysql' ? ctx.stack.mariadb : t === 'redis' ? ctx.stack.redis : ctx.stack.s3;
}

async function killAndRestart(ctx: TrialContext, t: Target, holdMs: number): Promise<void> {
  await service(ctx, t).kill();
  await sleep(holdMs);
  await service(ctx, t).start();
}

async function pause(signal: (s: NodeJS.Signals) => unknown, holdMs: number): Promise<void> {
  signal('SIGSTOP');
  await sleep(holdMs);
  signal('SIGCONT');
}

/** Empty a folder without removing it (it may be a mount point). */
function emptyDir(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
}

/** The WAL folder as a small tmpfs, so the nemesis can fill it (`wal-full`). */
export function mountWal(ctx: TrialContext): void {
  // Without the mount, `wal-full` would fill the machine's own disk: stop the trial instead.
  if (!mountTmpfs(ctx.walDir, '8m', 'nemesis wal-full')) throw new Error(`cannot mount a tmpfs at ${ctx.walDir} for the wal-full fault`);
  ctx.walMounted = true;
}

/** Unmount every tmpfs the nemesis mounted under `dir` (the soak interrupted mid-trial). */
export function unmountAllUnder(dir: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '');
  for (const m of mounts.filter((x) => x.startsWith(`${dir}/`))) unmountTmpfs(m);
}

export function unmountWal(ctx: TrialContext): void {
  if (!ctx.walMounted) return;
  unmountTmpfs(ctx.walDir);
  ctx.walMounted = false;
}

async function secondLoader(ctx: TrialContext, f: Fault): Promise<void> {
  const walDir = f.secondWal === 'other' ? otherWalDir(ctx) : ctx.walDir;
  const p = new CliProcess(['load', '--no-progress', '--json'], trialEnv(ctx, ctx.settings, walDir), hangAfterMs(ctx));
  const e = await p.exited;
  if (judgeExit(ctx, `second loader (${f.secondWal} WAL)`, e, false) === 'finished') await checkFinished(ctx, 'second loader');
}

async function replaceObject(ctx: TrialContext, f: Fault): Promise<void> {
  const name = ctx.workload.objects[0].name;
  const oldDir = join(ctx.dir, 'v1');
  const v2 = await appendedVersion(join(oldDir, name), f.extraRows ?? 100, ctx.seed, join(ctx.dir, 'v2'));
  const s3 = createS3Client(ctx.stack.config());
  try {
    await putFile(s3, v2, s3Url(ctx.stack, ctx.workload, name));
  } finally {
    s3.destroy();
  }
  ctx.oldVersionDir = oldDir;
}

/** A fault during the first run; returns once it has healed. */
export async function fire(ctx: TrialContext, f: Fault): Promise<void> {
  const inService = ctx.mode === 'service';
  switch (f.name) {
    case 'kill-mysql':
      return killAndRestart(ctx, 'mysql', f.holdMs);
    case 'kill-redis':
      return killAndRestart(ctx, 'redis', f.holdMs);
    case 'kill-s3':
      return killAndRestart(ctx, 's3', f.holdMs);
    case 'kill-loader':
      ctx.loader?.signal('SIGKILL');
      await ctx.loader?.exited;
      if (inService) {
        await sleep(f.holdMs);
        await startLoader(ctx);
      }
      return;
    case 'crash-point':
      return; // armed through PIPEWARDEN_FAULT when the run started
    case 'kill-reconciler':
      if (!inService) {
        ctx.reconcileFault = 'after-repair:1';
        return;
      }
      ctx.reconciler?.signal('SIGKILL');
      await ctx.reconciler?.exited;
      await sleep(f.holdMs);
      return startReconciler(ctx);
    case 'host-crash': {
      ctx.loader?.signal('SIGKILL');
      ctx.reconciler?.signal('SIGKILL');
      await Promise.all([ctx.stack.mariadb.kill(), ctx.stack.redis.kill(), ctx.stack.s3.kill(), ctx.loader?.exited, ctx.reconciler?.exited]);
      await sleep(f.holdMs);
      await Promise.all([ctx.stack.mariadb.start(), ctx.stack.redis.start(), ctx.stack.s3.start()]);
      if (inService) {
        await startReconciler(ctx);
        await startLoader(ctx);
      }
      return;
    }
    case 'pause-mysql':
      return pause((s) => ctx.stack.mariadb.proc.signal(s), f.holdMs);
    case 'pause-redis':
      return pause((s) => ctx.stack.redis.proc.signal(s), f.holdMs);
    case 'pause-s3':
      return pause((s) => ctx.stack.s3.proc.signal(s), f.holdMs);
    case 'pause-loader':
      return pause((s) => ctx.loader?.signal(s), f.holdMs);
    case 'proxy-delay':
    case 'proxy-stall':
    case 'proxy-drop': {
      const proxy = ctx.proxies[f.target ?? 'mysql'];
      proxy.set(f.name === 'proxy-delay' ? { kind: 'delay', ms: 20 + (f.holdMs % 180) } : f.name === 'proxy-stall' ? { kind: 'stall' } : { kind: 'drop' });
      await sleep(f.holdMs);
      proxy.set({ kind: 'pass' });
      return;
    }
    case 'wal-full': {
      const filler = fillDisk(ctx.walDir, f.holdMs % 2048);
      await sleep(f.holdMs);
      unlinkSync(filler);
      return;
    }
    case 'second-loader':
      return secondLoader(ctx, f);
    case 's3-replace':
      return replaceObject(ctx, f);
    default:
      return snapshot(ctx, f);
  }
}

/** An older copy of the run directory, the checkpoint or the database, taken at the fault's moment. */
function snapshot(ctx: TrialContext, f: Fault): void {
  const snaps = join(ctx.dir, 'snapshots');
  mkdirSync(snaps, { recursive: true });
  if (f.name === 'rundir-stale' && !ctx.snapshots.rundir) {
    ctx.snapshots.rundir = join(snaps, 'wal');
    cpSync(ctx.walDir, ctx.snapshots.rundir, { recursive: true });
  } else if (f.name === 'checkpoint-stale' && !ctx.snapshots.checkpoint && existsSync(checkpointPath(ctx.walDir))) {
    ctx.snapshots.checkpoint = join(snaps, 'checkpoint.json');
    cpSync(checkpointPath(ctx.walDir), ctx.snapshots.checkpoint);
  } else if (f.name === 'db-restore' && !ctx.snapshots.dump) {
    ctx.snapshots.dump = join(snaps, 'pipewarden.sql');
    ctx.stack.mariadb.dump('pipewarden', ctx.snapshots.dump);
  }
}

/** Between the first run and the reruns; false when there was nothing to damage (the fault did not fire). */
export function damage(ctx: TrialContext, f: Fault): boolean {
  const cp = checkpointPath(ctx.walDir);
  const skipped = (why: string) => (ctx.log.push(`${f.name}: not fired, ${why}`), false);
  switch (f.name) {
    case 'rundir-lost':
      emptyDir(ctx.walDir);
      return true;
    case 'rundir-stale':
      if (!ctx.snapshots.rundir) return skipped('no snapshot was taken (the run ended first)');
      emptyDir(ctx.walDir);
      cpSync(ctx.snapshots.rundir, ctx.walDir, { recursive: true });
      return true;
    case 'checkpoint-lost':
      if (!existsSync(cp)) return skipped('no checkpoint to lose');
      rmSync(cp);
      return true;
    case 'checkpoint-corrupt':
      if (!existsSync(cp)) return skipped('no checkpoint to corrupt');
      writeFileSync(cp, readFileSync(cp).subarray(0, Math.floor(readFileSync(cp).length / 2)));
      return true;
    case 'checkpoint-stale':
      if (!ctx.snapshots.checkpoint) return skipped('no snapshot (no checkpoint yet at its moment)');
      cpSync(ctx.snapshots.checkpoint, cp);
      return true;
    case 'db-restore':
      if (!ctx.snapshots.dump) return skipped('no backup was taken');
      ctx.stack.mariadb.restore(ctx.snapshots.dump);
      return true;
    case 'config-change':
      if (!f.settings) return skipped('no settings drawn');
      ctx.settings = f.settings;
      return true;
    default:
      return false;
  }
}
