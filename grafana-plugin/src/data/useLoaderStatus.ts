import { useQuery } from '@tanstack/react-query';

import type { ApiProblem } from '../api/problem';
import { getLoaderStatus } from '../api/loader';
import type { LoaderStatus } from '../api/types';
import { STATUS_POLL_MS } from '../constants';
import { queryKeys } from './queryClient';
import { useAppSettings } from './settings';

/** The loader's own GET /status (throughput, rows), only when its URL is configured. */
export function useLoaderStatus(pollMs = STATUS_POLL_MS) {
  const { loaderUrl } = useAppSettings();
  const query = useQuery<LoaderStatus, ApiProblem>({
    queryKey: queryKeys.loaderStatus,
    queryFn: getLoaderStatus,
    refetchInterval: pollMs,
    enabled: Boolean(loaderUrl),
  });
  return { ...query, configured: Boolean(loaderUrl) };
}
