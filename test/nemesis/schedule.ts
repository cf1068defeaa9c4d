// The fault vocabulary and a trial's schedule, drawn from its seed. A fault fires when the
// load has committed `at` of its batches (or has ended), holds for `holdMs`, then heals;
// the faults of one trial run one after another. "Between runs" faults take their snapshot
// (if any) at `at` and do their damage once the first run has ended.
import type { Rng } from './random';
import { drawSettings, type Engine, type LoaderSettings } from './workload';

export const FAULTS = [
  'kill-mysql',
  'kill-redis',
  'kill-s3',
  'kill-loader',
  'crash-point',
  'kill-reconciler',
  'host-crash',
  'pause-mysql',
  'pause-redis',
  'pause-s3',
  'pause-loader',
  'proxy-delay',
  'proxy-stall',
  'proxy-drop',
  'wal-full',
  'rundir-lost',
  'rundir-stale',
  'checkpoint-lost',
  'checkpoint-corrupt',
  'checkpoint-stale',
  'db-restore',
  'config-change',
  'second-loader',
  's3-replace',
] as const;

export type FaultName = (typeof FAULTS)[number];
export type Target = 'mysql' | 'redis' | 's3';

export interface Fault {
  name: FaultName;
  /** Share of the load's batches committed when the fault fires (0–1). */
  at: number;
  holdMs: number;
  target?: Target;
  /** crash-point: where the first run's loader kills itself (PIPEWARDEN_FAULT). */
  point?: string;
  /** second-loader: sharing the WAL folder (its lock must refuse) or with its own (the ledger must keep it exact). */
  secondWal?: 'same' | 'other';
  /** s3-replace: rows appended to the new version of the first object. */
  extraRows?: number;
  /** config-change: the settings of the reruns. */
  settings?: LoaderSettings;
}

interface Durability {
  flushLogAtTrxCommit: 0 | 1 | 2;
  redisPersistent: boolean;
}

export interface Schedule {
  /** cli: `pipewarden load` runs; service: `loader serve` + `reconciler serve` (watchdog on). */
  mode: 'cli' | 'service';
  durability: Durability;
  faults: Fault[];
}

/** Faults that damage state between the first run and the reruns. */
export const BETWEEN_RUNS: readonly FaultName[] = ['rundir-lost', 'rundir-stale', 'checkpoint-lost', 'checkpoint-corrupt', 'checkpoint-stale', 'db-restore', 'config-change'];

export function drawSchedule(rng: Rng, allowed: readonly FaultName[], batches: number, engines: readonly Engine[]): Schedule {
  const mode = rng.chance(0.3) ? 'service' : 'cli';
  const durability: Durability = { flushLogAtTrxCommit: rng.pick([1, 1, 2, 0] as const), redisPersistent: rng.chance(0.5) };
  const count = rng.pick([1, 1, 2, 2, 3]);
  const faults: Fault[] = [];
  for (let i = 0; i < count; i++) {
    const name = rng.pick(allowed);
    const f: Fault = { name, at: Number(rng.float(0.05, 0.75).toFixed(2)), holdMs: rng.int(100, 2500) };
    if (name === 'proxy-delay' || name === 'proxy-stall' || name === 'proxy-drop') f.target = rng.pick(['mysql', 'redis', 's3'] as const);
    if (name === 'crash-point') f.point = `${rng.pick(['after-intent', 'before-commit', 'after-commit'])}:${rng.int(1, Math.max(1, batches))}`;
    if (name === 'second-loader') f.secondWal = rng.pick(['same', 'other'] as const);
    if (name === 's3-replace') f.extraRows = rng.int(50, 3000);
    if (name === 'config-change') f.settings = drawSettings(rng, engines);
    faults.push(f);
  }
  faults.sort((a, b) => a.at - b.at);
  return { mode, durability, faults };
}
