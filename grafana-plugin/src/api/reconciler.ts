// The reconciler's HTTP API (see core/src/api.ts), through the app's proxy routes.
import { proxyRequest, request } from './client';
import type { AppSettings, LoaderStatus, ReconcileJob, ReconcileRequest, ReconcileRun, ReconcilerStatus } from './types';
import { PLUGIN_ID } from '../constants';

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

export async function listRuns(limit: number): Promise<ReconcileRun[]> {
  const body = await proxyRequest<{ runs: ReconcileRun[] }>('GET', 'reconciler/runs', { params: { limit } });
  return body.runs;
}

export function getLoaderStatus(): Promise<LoaderStatus> {
  return proxyRequest<LoaderStatus>('GET', 'loader/status');
}

export interface SettingsUpdate {
  enabled: boolean;
  pinned: boolean;
  jsonData: AppSettings;
  /** Omitted to keep the stored token; {token: ''} clears it. */
  secureJsonData?: { token: string };
}

/** Grafana's plugin settings endpoint (Admin only). */
export function saveSettings(update: SettingsUpdate): Promise<unknown> {
  return request('POST', `/api/plugins/${PLUGIN_ID}/settings`, { data: update });
}
