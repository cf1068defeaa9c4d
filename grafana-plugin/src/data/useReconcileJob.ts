import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import type { ApiProblem } from '../api/problem';
import { getJob, startReconcile } from '../api/reconciler';
import type { ReconcileJob, ReconcileRequest } from '../api/types';
import { JOB_POLL_MS } from '../constants';
import { queryKeys } from './queryClient';

export function isFinished(job: ReconcileJob | undefined): boolean {
  return job?.state === 'succeeded' || job?.state === 'failed';
}

/** GET /reconcile/:id, polled until the job has finished. */
export function useReconcileJob(id: string | undefined, pollMs = JOB_POLL_MS) {
  return useQuery<ReconcileJob, ApiProblem>({
    queryKey: queryKeys.job(id ?? ''),
    queryFn: () => getJob(id!),
    enabled: Boolean(id),
    refetchInterval: (query) => (isFinished(query.state.data) ? false : pollMs),
  });
}

/** POST /reconcile. The answer seeds the job's query so progress shows without a wait. */
export function useStartReconcile() {
  const client = useQueryClient();
  return useMutation<ReconcileJob, ApiProblem, ReconcileRequest>({
    mutationFn: startReconcile,
    onSuccess: (job) => {
      client.setQueryData(queryKeys.job(job.id), job);
      void client.invalidateQueries({ queryKey: queryKeys.status });
    },
  });
}
