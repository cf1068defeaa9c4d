// The reconciler's HTTP API (see core/src/api.ts), through the app's proxy routes.
import { proxyRequest } from './client';
import type { ReconcileJob, ReconcileRequest, ReconcileRun, ReconcileRunDetail, ReconcilerStatus } from './types';

export function getStatus(): Promise<ReconcilerStatus> {
  return proxyRequest<ReconcilerStatus>('GET', 'reconciler/status');
}

/** 202 with the new job, or with the running one and `alreadyRunning: true`. */
export function startReconcile(body: ReconcileRequest): Promise<ReconcileJob> {
  return proxyRequest<ReconcileJob>('POST', 'reconciler/reconcile', { data: body });
}

export function getJob(id: string): Promise<ReconcileJob> {
  return proxyRequest<ReconcileJob>('GET', `reconciler/reconcile/${encodeURIComponent(id)}`);
}

/** POST /reconcile/:id/cancel: the `reconciler/reconcile/*` POST route, so reconcile:write. */
export function cancelJob(id: string): Promise<ReconcileJob> {
  return proxyRequest<ReconcileJob>('POST', `reconciler/reconcile/${encodeURIComponent(id)}/cancel`);
}

export async function listRuns(limit: number): Promise<ReconcileRun[]> {
  const body = await proxyRequest<{ runs: ReconcileRun[] }>('GET', 'reconciler/runs', { params: { limit } });
  return body.runs;
}

/** A recorded run with its batches (GET /runs/:id). */
export function getRun(runId: string): Promise<ReconcileRunDetail> {
  return proxyRequest<ReconcileRunDetail>('GET', `reconciler/runs/${encodeURIComponent(runId)}`);
}
