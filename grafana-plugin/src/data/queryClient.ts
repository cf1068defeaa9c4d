import { QueryClient } from '@tanstack/react-query';

/**
 * One client per mounted app. No automatic retries: the pages poll on an interval anyway,
 * and a retry would hide an unreachable reconciler behind a spinner for seconds.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}

export const queryKeys = {
  status: ['reconciler', 'status'] as const,
  job: (id: string) => ['reconciler', 'job', id] as const,
  /** Every runs query starts with ['reconciler', 'runs']: invalidating that prefix refreshes them all. */
  runs: (limit: number, pipeline?: string) => ['reconciler', 'runs', limit, pipeline ?? ''] as const,
  run: (runId: string) => ['reconciler', 'run', runId] as const,
  loaderStatus: ['loader', 'status'] as const,
};
