// The reconciler's HTTP API (see core/src/api.ts), through the app's proxy routes.
import { proxyRequest } from './client';
import type { DoctorReport, ReconcileJob, ReconcileRequest, ReconcileRun, ReconcileRunDetail, ReconcilerStatus } from './types';

export function getStatus(): Promise<ReconcilerStatus> {
  return proxyRequest<ReconcilerStatus>('GET', 'reconciler/status');
}

/**
 * 202 with the new job, or with the running one and `alreadyRunning: true`. `body.pipeline`
 * names one pipeline; without it the reconciler repairs every pipeline, one after the other.
 */
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

/** GET /runs?limit=N[&pipeline=name]: the query string passes the exact `reconciler/runs` route unchanged. */
export async function listRuns(limit: number, pipeline?: string): Promise<ReconcileRun[]> {
  const params: Record<string, string | number> = pipeline ? { limit, pipeline } : { limit };
  const body = await proxyRequest<{ runs: ReconcileRun[] }>('GET', 'reconciler/runs', { params });
  return body.runs;
}

/** A recorded run with its batches (GET /runs/:id). */
export function getRun(runId: string): Promise<ReconcileRunDetail> {
  return proxyRequest<ReconcileRunDetail>('GET', `reconciler/runs/${encodeURIComponent(runId)}`);
}

/** GET /doctor: the target's settings that decide speed and safety, each with what it means. */
export function getDoctor(): Promise<DoctorReport> {
  return proxyRequest<DoctorReport>('GET', 'reconciler/doctor');
}
