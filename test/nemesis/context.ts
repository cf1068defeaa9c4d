// What one trial's faults and checks share: the stack, the proxies in front of its
// services, the processes of the current run, the WAL folder, snapshots and findings.
import { join } from 'node:path';
import type { Stack } from '@pipewarden/stack';
import type { TcpProxy } from './proxy';
import type { CliProcess } from './procs';
import type { Target } from './schedule';
import type { LoaderSettings, Materialized, Workload } from './workload';

export type ViolationKind = 'finished-with-difference' | 'not-recovered' | 'hang' | 'stack-trace' | 'unexpected-error' | 'unbalanced' | 'no-message';

export interface Violation {
  kind: ViolationKind;
  where: string;
  detail: string;
  rowsLost: number;
  rowsDuplicated: number;
}

export interface TrialContext {
  seed: number;
  stack: Stack;
  dir: string;
  walDir: string;
  workload: Workload;
  source: Materialized;
  /** Folder of the objects as first uploaded, when one was replaced: a load that listed the old version may finish with it. */
  oldVersionDir?: string;
  proxies: Record<Target, TcpProxy>;
  settings: LoaderSettings;
  mode: 'cli' | 'service';
  loader?: CliProcess;
  reconciler?: CliProcess;
  /** PIPEWARDEN_FAULT for the first reconcile of the reruns (kill-reconciler in cli mode). */
  reconcileFault?: string;
  snapshots: { rundir?: string; checkpoint?: string; dump?: string };
  /** The WAL folder is a tmpfs mounted for `wal-full`. */
  walMounted?: boolean;
  log: string[];
  violations: Violation[];
}

/** The environment of every pipewarden process of the trial: through the proxies, the trial's WAL. */
export function trialEnv(ctx: TrialContext, settings: LoaderSettings = ctx.settings, walDir = ctx.walDir): Record<string, string> {
  const p = ctx.proxies;
  return {
    ...ctx.stack.env,
    PIPEWARDEN_MYSQL_URL: `mysql://root@127.0.0.1:${p.mysql.port}/pipewarden`,
    PIPEWARDEN_REDIS_URL: `redis://127.0.0.1:${p.redis.port}/0`,
    PIPEWARDEN_S3_ENDPOINT: `http://127.0.0.1:${p.s3.port}`,
    PIPEWARDEN_WAL_DIR: walDir,
    PIPEWARDEN_SOURCE: ctx.source.url,
    PIPEWARDEN_ENGINE: settings.engine,
    PIPEWARDEN_BATCH_SIZE: String(settings.batchSize),
    PIPEWARDEN_PIPELINE_DEPTH: String(settings.pipelineDepth),
    PIPEWARDEN_MYSQL_CONNECTIONS: String(settings.connections),
    PIPEWARDEN_RANGE_BYTES: String(settings.rangeBytes),
    PIPEWARDEN_LIST_WINDOW: String(settings.listWindow),
    // The s3-replace fault models a corrected export that the user wants loaded.
    PIPEWARDEN_ON_CHANGE: 'reload',
    PIPEWARDEN_WATCHDOG_INTERVAL_SECONDS: '0.2',
    // Raise it to debug a replay: PIPEWARDEN_NEMESIS_LOG_LEVEL=debug npm run soak -- --seed S --trials 1
    PIPEWARDEN_LOG_LEVEL: process.env.PIPEWARDEN_NEMESIS_LOG_LEVEL ?? 'warn',
  };
}

export function otherWalDir(ctx: TrialContext): string {
  return join(ctx.dir, 'wal-second-loader');
}

/**
 * How long one command (or the service's first run) may take before it counts as a hang.
 * Inline loads here take seconds even through faults (each heals within 2.5 s, MariaDB
 * restarts in about 5); Spark starts a JVM per load.
 */
export function hangAfterMs(ctx: TrialContext): number {
  return ctx.settings.engine === 'spark' || ctx.workload.settings.engine === 'spark' ? 5 * 60 * 1000 : 90 * 1000;
}
