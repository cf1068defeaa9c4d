import { useQuery } from '@tanstack/react-query';

import type { ApiProblem } from '../api/problem';
import { getStatus } from '../api/reconciler';
import type { ReconcilerStatus } from '../api/types';
import { STATUS_POLL_MS } from '../constants';
import { queryKeys } from './queryClient';
import { assertConfigured, useAppSettings } from './settings';

/** GET /status, polled so the overview and the button's state stay live. */
export function useReconcilerStatus(pollMs = STATUS_POLL_MS) {
  const settings = useAppSettings();
  return useQuery<ReconcilerStatus, ApiProblem>({
    queryKey: queryKeys.status,
    queryFn: () => {
      assertConfigured(settings);
      return getStatus();
    },
    refetchInterval: pollMs,
  });
}
