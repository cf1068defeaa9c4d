import { useQuery } from '@tanstack/react-query';

import type { ApiProblem } from '../api/problem';
import { listRuns } from '../api/reconciler';
import type { ReconcileRun } from '../api/types';
import { HISTORY_LIMIT } from '../constants';
import { queryKeys } from './queryClient';
import { assertConfigured, useAppSettings } from './settings';

/** GET /runs?limit=N[&pipeline=name]: past reconcile runs, newest first, of one pipeline or all. */
export function useRuns(limit = HISTORY_LIMIT, pollMs = 10000, pipeline?: string) {
  const settings = useAppSettings();
  return useQuery<ReconcileRun[], ApiProblem>({
    queryKey: queryKeys.runs(limit, pipeline),
    queryFn: () => {
      assertConfigured(settings);
      return listRuns(limit, pipeline);
    },
    refetchInterval: pollMs,
  });
}
