import React from 'react';
import { Alert } from '@grafana/ui';

import type { ReconcilerStatus } from '../../api/types';
import { timeAgo, TRIGGER_LABELS } from '../../utils/format';

/**
 * Says loudly that recovery is stuck: the last real reconcile run failed (the loader stays
 * paused until one succeeds, so nothing loads meanwhile), or the loader answers the
 * reconciler wrongly (a wrong token looks like "no loader" otherwise). Nothing when all is well.
 */
export function RecoveryBlocked({ status }: { status: ReconcilerStatus }) {
  const failure = status.reconcile.lastFailure;
  const paused = status.loader.pausedBy?.by === 'reconcile' ? status.loader.pausedBy : undefined;
  const loaderError = status.loader.error;
  if (!failure && !paused?.error && !loaderError) {
    return null;
  }
  return (
    <div data-testid="recovery-blocked">
      {(failure || paused?.error) && (
        <Alert title="The last reconcile run failed: the loader stays paused until a run succeeds" severity="error">
          <p>
            {failure ? (
              <>
                Run by {TRIGGER_LABELS[failure.trigger]}, {timeAgo(failure.finishedAt)}: {failure.error}
              </>
            ) : (
              paused?.error
            )}
          </p>
          <p>
            {paused ? `The loader has been paused by this reconcile since ${timeAgo(paused.since)}. ` : ''}
            {status.watchdog.enabled ? 'The watchdog retries with a growing pause; fix the cause and it (or the button) completes the repair.' : 'Fix the cause, then reconcile again.'}
          </p>
        </Alert>
      )}
      {loaderError && (
        <Alert title="The loader answers the reconciler with an error" severity="error">
          {loaderError}. A real reconcile run will not write while it cannot pause the loader.
        </Alert>
      )}
    </div>
  );
}
