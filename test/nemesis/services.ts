// Service mode: `pipewarden loader serve` and `pipewarden reconciler serve` as processes,
// restarted after a kill the way a supervisor would, and asked for their state over HTTP.
import { fetchJson, type LoaderStatus, type ReconcilerStatus } from '@pipewarden/core';
import { sleep } from '@pipewarden/stack';
import { CliProcess } from './procs';
import { trialEnv, type TrialContext } from './context';

const SERVICE_TIMEOUT_MS = 10 * 60 * 1000;

/** A service's JSON, or undefined while it is down, starting or refusing (the callers poll). */
async function get<T>(ctx: TrialContext, url: string): Promise<T | undefined> {
  try {
    return await fetchJson<T>(url, { token: ctx.stack.layout.token, timeoutMs: 2000 });
  } catch {
    return undefined;
  }
}

export function loaderStatus(ctx: TrialContext): Promise<LoaderStatus | undefined> {
  return get<LoaderStatus>(ctx, `http://127.0.0.1:${ctx.stack.layout.ports.loader}/status`);
}

export function reconcilerStatus(ctx: TrialContext): Promise<ReconcilerStatus | undefined> {
  return get<ReconcilerStatus>(ctx, `http://127.0.0.1:${ctx.stack.layout.ports.reconciler}/status`);
}

async function waitUp(p: CliProcess, probe: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 300 && p.running; i++) {
    if ((await probe()) !== undefined) return;
    await sleep(100);
  }
}

export async function startReconciler(ctx: TrialContext): Promise<void> {
  ctx.reconciler = new CliProcess(['reconciler', 'serve'], trialEnv(ctx), SERVICE_TIMEOUT_MS);
  await waitUp(ctx.reconciler, () => reconcilerStatus(ctx));
}

export async function startLoader(ctx: TrialContext, env: Record<string, string> = {}): Promise<void> {
  ctx.loader = new CliProcess(['loader', 'serve', '--source', ctx.source.url], { ...trialEnv(ctx), ...env }, SERVICE_TIMEOUT_MS);
  await waitUp(ctx.loader, () => loaderStatus(ctx));
}
