// One nemesis trial: draw a workload and a fault schedule from the seed, run the real CLI
// (or the services) against a private stack through the proxies while the faults fire,
// then rerun (reconcile + load, a bounded number of times) and check the invariants.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readWalState } from '@pipewarden/core';
import { sleep, type Stack } from '@pipewarden/stack';
import { hangAfterMs, trialEnv, type TrialContext, type Violation } from './context';
import { damage, fire, mountWal, unmountWal } from './faults';
import { checkFinished, describeVerify, judgeExit, verifyNow, violate } from './invariants';
import { CliProcess, hasStackTrace, killAll } from './procs';
import { TcpProxy } from './proxy';
import { Rng } from './random';
import { BETWEEN_RUNS, drawSchedule, type FaultName, type Schedule } from './schedule';
import { loaderStatus, reconcilerStatus, startLoader, startReconciler } from './services';
import { drawWorkload, formatOf, materialize, type Engine, type ObjectFormat, type Workload } from './workload';

const MAX_RERUNS = 4;

export interface TrialOptions {
  faults: readonly FaultName[];
  engines: readonly Engine[];
  /** How objects may be stored (default: every format). */
  formats?: readonly ObjectFormat[];
}

export interface TrialPlan {
  seed: number;
  workload: Workload;
  schedule: Schedule;
}

export interface TrialOutcome {
  plan: TrialPlan;
  recovered: boolean;
  fired: FaultName[];
  violations: Violation[];
  rowsLost: number;
  rowsDuplicated: number;
  reruns: number;
  log: string[];
  seconds: number;
}

/** Everything a seed decides, before anything runs: the replay of a seed draws the same. */
export function planTrial(seed: number, opts: TrialOptions): TrialPlan {
  const rng = new Rng(seed);
  const workload = drawWorkload(rng, seed, opts.engines, opts.formats);
  return { seed, workload, schedule: drawSchedule(rng, opts.faults, expectedBatches(workload), opts.engines) };
}

export function describePlan(p: TrialPlan): string {
  const w = p.workload;
  const objs = w.objects.map((o) => `${o.generated ? `${o.generated.rows} rows (bad ${o.generated.badShare}, dup ${o.generated.duplicateShare}${o.generated.crlf ? ', crlf' : ''}, keys@${o.generated.keyBase})` : 'real sample 5000 rows'} as ${formatOf(o.name)}`).join(' + ');
  const s = w.settings;
  const faults = p.schedule.faults.map((f) => `${f.name}${f.target ? `[${f.target}]` : ''}${f.point ? `[${f.point}]` : ''}${f.secondWal ? `[${f.secondWal} WAL]` : ''}${f.settings ? `[batch ${f.settings.batchSize}, depth ${f.settings.pipelineDepth}, conns ${f.settings.connections}, ${f.settings.engine}${f.settings.rangeBytes ? `, ranges of ${f.settings.rangeBytes} bytes` : ''}]` : ''}@${f.at} hold ${f.holdMs}ms`).join(', ');
  const d = p.schedule.durability;
  return `seed ${p.seed}: ${p.schedule.mode} mode, ${s.engine}, batch ${s.batchSize}, depth ${s.pipelineDepth}, conns ${s.connections}${s.rangeBytes ? `, ranges of ${s.rangeBytes} bytes` : ''}${s.listWindow < 10_000 ? `, windows of ${s.listWindow}` : ''}, flush_log_at_trx_commit=${d.flushLogAtTrxCommit}, redis AOF ${d.redisPersistent ? 'on' : 'off'}; ${objs}; faults: ${faults}`;
}

function expectedBatches(w: Workload): number {
  return w.objects.length + Math.ceil(w.records / w.settings.batchSize);
}

/** Share of the batches resolved in the WAL; 1 once the first run has ended (or the service has finished). */
async function progress(ctx: TrialContext): Promise<number> {
  if (!ctx.loader?.running) return 1;
  if (ctx.mode === 'service') {
    const state = (await loaderStatus(ctx))?.state;
    if (state === 'finished' || state === 'failed') return 1;
  }
  try {
    return readWalState(ctx.walDir).resolved / expectedBatches(ctx.workload);
  } catch {
    return 0;
  }
}

async function waitProgress(ctx: TrialContext, at: number): Promise<void> {
  const deadline = Date.now() + 120000;
  while ((await progress(ctx)) < at && Date.now() < deadline) await sleep(20);
}

/** The first run under the live faults; ends when it has finished, stopped or been killed. */
async function firstRun(ctx: TrialContext, plan: TrialPlan, fired: FaultName[]): Promise<'finished' | 'stopped'> {
  const crash = plan.schedule.faults.find((f) => f.name === 'crash-point');
  const faultEnv: Record<string, string> = crash?.point ? { PIPEWARDEN_FAULT: crash.point } : {};
  let killedByNemesis = false;
  if (ctx.mode === 'service') {
    await startReconciler(ctx);
    await startLoader(ctx, faultEnv);
  } else {
    ctx.loader = new CliProcess(['load', '--no-progress', '--json'], { ...trialEnv(ctx), ...faultEnv }, hangAfterMs(ctx));
  }
  for (const f of plan.schedule.faults) {
    await waitProgress(ctx, f.at);
    const live = !BETWEEN_RUNS.includes(f.name);
    if (live && f.name !== 'crash-point' && !ctx.loader?.running) {
      ctx.log.push(`${f.name}: not fired, the first run had ended`);
      continue;
    }
    ctx.log.push(`${f.name}: fired at ${Math.min(1, await progress(ctx)).toFixed(2)} of the batches`);
    if (f.name === 'kill-loader' || f.name === 'host-crash') killedByNemesis = true;
    if (live) fired.push(f.name);
    await fire(ctx, f);
  }
  if (ctx.mode === 'cli') {
    const exit = await ctx.loader!.exited;
    const verdict = judgeExit(ctx, 'first load', exit, killedByNemesis);
    if (verdict === 'finished') return (await checkFinished(ctx, 'first load')) === 'current' ? 'finished' : 'stopped';
    // A load that hung after its work: would it have finished with the table right?
    if (exit.timedOut) ctx.log.push(`first load: at the timeout, ${describeVerify(await verifyNow(ctx))}`);
    return 'stopped';
  }
  return serviceOutcome(ctx);
}

/** Service mode: wait for the loader to settle in `finished` (the watchdog's repairs done), or to fail or die. */
async function serviceOutcome(ctx: TrialContext): Promise<'finished' | 'stopped'> {
  const deadline = Date.now() + hangAfterMs(ctx);
  let settled = 0;
  let outcome: 'finished' | 'stopped' | 'timeout' = 'timeout';
  while (Date.now() < deadline) {
    if (!ctx.loader?.running) {
      outcome = 'stopped';
      break;
    }
    const [l, r] = await Promise.all([loaderStatus(ctx), reconcilerStatus(ctx)]);
    if (l?.state === 'failed') {
      ctx.log.push(`loader service failed: ${l.lastError}`);
      if (l.lastError && hasStackTrace(l.lastError)) violate(ctx, 'stack-trace', 'loader service lastError', l.lastError);
      outcome = 'stopped';
      break;
    }
    const quiet = l?.state === 'finished' && r !== undefined && r.reconcile.running === null && r.wal.batchesInDoubt === 0;
    settled = quiet ? settled + 1 : 0;
    if (settled >= 10) {
      outcome = 'finished';
      break;
    }
    await sleep(200);
  }
  if (outcome === 'timeout') violate(ctx, 'hang', 'loader service', `not finished after ${hangAfterMs(ctx) / 1000} s: ${JSON.stringify(await loaderStatus(ctx))}`);
  for (const [name, p] of [['loader service', ctx.loader], ['reconciler service', ctx.reconciler]] as const) {
    if (!p) continue;
    const wasRunning = p.running;
    const e = await p.stop();
    if (wasRunning && e.signal === null) judgeExit(ctx, `${name} (SIGTERM)`, e, false);
  }
  if (outcome !== 'finished') return 'stopped';
  return (await checkFinished(ctx, 'loader service finished')) === 'current' ? 'finished' : 'stopped';
}

/**
 * Reruns: reconcile, then load, until a load finishes with the table equal to the source
 * (at most MAX_RERUNS rounds). Violations seen on the way stay recorded: the trial fails.
 */
async function reruns(ctx: TrialContext, rng: Rng): Promise<{ recovered: boolean; rounds: number }> {
  for (let round = 1; round <= MAX_RERUNS; round++) {
    if (round > 1 || ctx.reconcileFault || rng.chance(0.7)) {
      const fault = ctx.reconcileFault;
      ctx.reconcileFault = undefined;
      const rec = new CliProcess(['reconcile', '--json', '--wait-mysql', '60'], { ...trialEnv(ctx), ...(fault ? { PIPEWARDEN_FAULT: fault } : {}) }, hangAfterMs(ctx));
      judgeExit(ctx, `rerun ${round}: reconcile`, await rec.exited, fault !== undefined);
    }
    // A rerun after a bad exit still runs: whether the load completes later is part of the finding.
    const load = new CliProcess(['load', '--no-progress', '--json'], trialEnv(ctx), hangAfterMs(ctx));
    const verdict = judgeExit(ctx, `rerun ${round}: load`, await load.exited, false);
    if (verdict === 'finished') {
      const v = await checkFinished(ctx, `rerun ${round}: load`);
      if (v === 'current') return { recovered: true, rounds: round };
      if (v === 'different') return { recovered: false, rounds: round };
    }
  }
  const v = await verifyNow(ctx);
  violate(ctx, 'not-recovered', `after ${MAX_RERUNS} reruns`, describeVerify(v), v);
  return { recovered: false, rounds: MAX_RERUNS };
}

export async function runTrial(stack: Stack, plan: TrialPlan): Promise<TrialOutcome> {
  const started = Date.now();
  const dir = join(stack.layout.dir, 'trials', String(plan.seed));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const proxies = { mysql: new TcpProxy('mysql', stack.layout.ports.mariadb), redis: new TcpProxy('redis', stack.layout.ports.redis), s3: new TcpProxy('s3', stack.layout.ports.s3) };
  const ctx: TrialContext = {
    seed: plan.seed,
    stack,
    dir,
    walDir: join(dir, 'wal'),
    workload: plan.workload,
    source: { url: '' },
    proxies,
    settings: plan.workload.settings,
    mode: plan.schedule.mode,
    snapshots: {},
    log: [],
    violations: [],
  };
  const fired: FaultName[] = [];
  let recovered = false;
  let rounds = 0;
  try {
    await stack.setDurability(plan.schedule.durability);
    await stack.resetData();
    ctx.source = await materialize(stack, plan.workload, join(dir, 'v1'));
    await Promise.all(Object.values(proxies).map((p) => p.start()));
    if (plan.schedule.faults.some((f) => f.name === 'wal-full')) mountWal(ctx);
    const first = await firstRun(ctx, plan, fired);
    for (const f of plan.schedule.faults.filter((x) => BETWEEN_RUNS.includes(x.name))) {
      if (damage(ctx, f)) fired.push(f.name);
    }
    const betweenRuns = plan.schedule.faults.some((x) => BETWEEN_RUNS.includes(x.name));
    if (first !== 'finished' || betweenRuns) {
      const r = await reruns(ctx, new Rng(plan.seed ^ 0x5eed));
      recovered = r.recovered;
      rounds = r.rounds;
    } else recovered = true;
  } catch (e) {
    violate(ctx, 'hang', 'harness', `the trial could not run to its end: ${(e as Error).stack ?? String(e)}`);
  } finally {
    await killAll();
    for (const p of Object.values(proxies)) await p.close();
    // Services the trial stopped or killed come back for the next one.
    for (const svc of [stack.mariadb, stack.redis, stack.s3]) {
      svc.proc.signal('SIGCONT');
      await svc.start();
    }
    unmountWal(ctx);
    if (!process.env.PIPEWARDEN_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  }
  const rowsLost = ctx.violations.reduce((a, v) => Math.max(a, v.rowsLost), 0);
  const rowsDuplicated = ctx.violations.reduce((a, v) => Math.max(a, v.rowsDuplicated), 0);
  return { plan, recovered: recovered && ctx.violations.length === 0, fired: [...new Set(fired)], violations: ctx.violations, rowsLost, rowsDuplicated, reruns: rounds, log: ctx.log, seconds: (Date.now() - started) / 1000 };
}
