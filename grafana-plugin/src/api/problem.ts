// Every failed request becomes one ApiProblem whose kind decides what the page tells the
// user to do next. The reconciler answers errors as {error, hint?}; Grafana's own proxy
// answers {message} (403 role, 404 route) or an empty 502/504 when the target is down, so
// the body's shape tells who refused the request.
import { isFetchError } from '@grafana/runtime';

import type { ApiError } from './types';

export type ProblemKind =
  | 'not-configured' // no reconciler URL in the app settings
  | 'unauthorized' // the reconciler rejected the token
  | 'session' // Grafana itself rejected the request (session ended)
  | 'forbidden' // the Grafana role cannot use this route
  | 'unreachable' // Grafana could not reach the reconciler
  | 'not-found' // job or route not found
  | 'bad-request'
  | 'unavailable' // 503 from the reconciler (e.g. MySQL down)
  | 'server'; // 500 or anything else

export class ApiProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    message: string,
    readonly status?: number,
    readonly hint?: string
  ) {
    super(message);
    this.name = 'ApiProblem';
  }
}

function reconcilerError(data: unknown): ApiError | undefined {
  if (data && typeof data === 'object' && typeof (data as ApiError).error === 'string') {
    return data as ApiError;
  }
  return undefined;
}

function grafanaMessage(data: unknown): string | undefined {
  if (data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string') {
    return (data as { message: string }).message;
  }
  return undefined;
}

/** Turns whatever getBackendSrv().fetch threw into an ApiProblem. */
export function toApiProblem(e: unknown): ApiProblem {
  if (e instanceof ApiProblem) {
    return e;
  }
  if (!isFetchError(e)) {
    return new ApiProblem('unreachable', e instanceof Error ? e.message : String(e));
  }
  const status = e.status;
  const fromReconciler = reconcilerError(e.data);
  const message = fromReconciler?.error ?? grafanaMessage(e.data) ?? e.statusText ?? `HTTP ${status}`;
  const hint = fromReconciler?.hint;
  if (status === 401) {
    return new ApiProblem(fromReconciler ? 'unauthorized' : 'session', message, status, hint);
  }
  if (status === 403) {
    return new ApiProblem('forbidden', message, status, hint);
  }
  if (status === 404) {
    return new ApiProblem('not-found', message, status, hint);
  }
  if (status === 400) {
    return new ApiProblem('bad-request', message, status, hint);
  }
  if (!fromReconciler && (status === 0 || status === 502 || status === 503 || status === 504)) {
    return new ApiProblem('unreachable', message, status, hint);
  }
  if (status === 503) {
    return new ApiProblem('unavailable', message, status, hint);
  }
  return new ApiProblem('server', message, status, hint);
}

export interface ProblemText {
  title: string;
  /** What to do next. */
  advice: string;
}

/** The words a page shows for a problem; `reconcilerUrl` makes "unreachable" concrete. */
export function describeProblem(p: ApiProblem, reconcilerUrl?: string): ProblemText {
  const where = reconcilerUrl ? ` at ${reconcilerUrl}` : '';
  const detail = p.hint ? `${p.message}. ${p.hint}` : p.message;
  switch (p.kind) {
    case 'not-configured':
      return {
        title: 'The app is not configured yet',
        advice: 'An admin must set the reconciler URL and token on the app configuration page (Administration → Plugins → pipewarden → Configuration).',
      };
    case 'unauthorized':
      return {
        title: 'The reconciler rejected the token',
        advice: `The token in the app configuration is wrong or missing: set it to the reconciler's PIPEWARDEN_TOKEN on the configuration page. (${detail})`,
      };
    case 'session':
      return { title: 'Grafana did not accept the request', advice: 'Your Grafana session may have ended: reload the page and sign in again.' };
    case 'forbidden':
      return {
        title: 'Your Grafana role cannot do this',
        advice: 'Starting a reconcile needs the Reconciler role of this app (org admins have it). Ask an admin to grant it, or run `pipewarden reconcile` on the pipeline host.',
      };
    case 'unreachable':
      return {
        title: 'Cannot reach the reconciler',
        advice: `Is \`pipewarden reconciler serve\` running${where}? Start it, or correct the reconciler URL on the configuration page (Grafana's server must be able to reach it).`,
      };
    case 'not-found':
      return {
        title: 'Not found',
        advice: `${detail}. If this persists after a reload, the reconciler may have restarted (jobs live in its memory) or Grafana has an older copy of this plugin: restart Grafana.`,
      };
    case 'bad-request':
      return { title: 'The reconciler refused the request', advice: detail };
    case 'unavailable':
      return { title: 'The reconciler cannot serve this right now', advice: `${detail}. It retries by itself; this page refreshes every few seconds.` };
    case 'server':
    default:
      return { title: 'The reconciler failed', advice: `${detail}. Its log (journalctl -u pipewarden-reconciler, or the terminal running it) has the details.` };
  }
}
