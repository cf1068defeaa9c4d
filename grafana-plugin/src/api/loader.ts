// The loader service's status, through the app's `loader/status` proxy route (optional:
// only when the loader URL is configured).
import { proxyRequest } from './client';
import type { LoaderStatus } from './types';

export function getLoaderStatus(): Promise<LoaderStatus> {
  return proxyRequest<LoaderStatus>('GET', 'loader/status');
}
