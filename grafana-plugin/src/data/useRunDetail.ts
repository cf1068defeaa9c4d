import { useQuery } from '@tanstack/react-query';

import type { ApiProblem } from '../api/problem';
import { getRun } from '../api/reconciler';
import type { ReconcileRunDetail } from '../api/types';
import { STATUS_POLL_MS } from '../constants';
import { queryKeys } from './queryClient';
import { assertConfigured, useAppSettings } from './settings';

/** GET /runs/:id: one recorded run and its batches; polled while the run is still going. */
export function useRunDetail(runId: string) {
  const settings = useAppSettings();
  return useQuery<ReconcileRunDetail, ApiProblem>({
    queryKey: queryKeys.run(runId),
    queryFn: () => {
      assertConfigured(settings);
      return getRun(runId);
    },
    refetchInterval: (q) => (q.state.data?.outcome === 'running' ? STATUS_POLL_MS : false),
  });
}
