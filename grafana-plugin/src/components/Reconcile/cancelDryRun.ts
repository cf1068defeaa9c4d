// POST /reconcile/:id/cancel through the app's `reconciler/reconcile` route (Admin; the
// proxy appends the rest of the path). A dismissed preview stops its dry run, which may be
// waiting minutes for MySQL.
import { proxyRequest } from '../../api/client';
import type { ReconcileJob } from '../../api/types';

export function cancelDryRun(id: string): Promise<ReconcileJob> {
  return proxyRequest<ReconcileJob>('POST', `reconciler/reconcile/${encodeURIComponent(id)}/cancel`);
}
