// Links from a moment of the pipeline's history to the provisioned Pipeline dashboard.
import { DASHBOARDS } from '../constants';

/** Minutes shown around a run, so what led to it and what followed are on screen. */
const MARGIN_MS = 5 * 60_000;

/**
 * `/d/pipewarden-pipeline?from=<start-5m>&to=<end+5m>` (epoch ms, as Grafana's time picker
 * takes them); a run still going ends "now".
 */
export function pipelineDashboardAt(startedAt: string, finishedAt: string | null, appSubUrl = ''): string {
  const from = Date.parse(startedAt) - MARGIN_MS;
  const to = finishedAt ? Date.parse(finishedAt) + MARGIN_MS : 'now';
  return `${appSubUrl}/d/${DASHBOARDS[0].uid}?from=${from}&to=${to}`;
}
