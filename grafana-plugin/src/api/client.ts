// The one place that talks HTTP. Everything goes through Grafana's backend
// (getBackendSrv) to the app's plugin-proxy routes, which add the bearer token on the
// server: the token never reaches the browser.
import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import { PLUGIN_ID } from '../constants';
import { toApiProblem } from './problem';

export const PROXY_BASE = `api/plugin-proxy/${PLUGIN_ID}`;

export interface RequestOptions {
  params?: Record<string, string | number>;
  data?: unknown;
}

export async function request<T>(method: 'GET' | 'POST', url: string, opts: RequestOptions = {}): Promise<T> {
  try {
    const response = await lastValueFrom(
      getBackendSrv().fetch<T>({
        url,
        method,
        params: opts.params,
        data: opts.data,
        // The pages show their own error states, with advice; no generic toasts.
        showErrorAlert: false,
        showSuccessAlert: false,
      })
    );
    return response.data;
  } catch (e) {
    throw toApiProblem(e);
  }
}

/** A request to one of the app's proxy routes (src/plugin.json `routes`). */
export function proxyRequest<T>(method: 'GET' | 'POST', routePath: string, opts?: RequestOptions): Promise<T> {
  return request<T>(method, `${PROXY_BASE}/${routePath}`, opts);
}
