import type { ApiProblem } from '../../api/problem';
import type { ReconcilerStatus } from '../../api/types';
import { PHASE_LABELS, TRIGGER_LABELS } from '../../utils/format';

interface Inputs {
  isAdmin: boolean;
  status: ReconcilerStatus | undefined;
  statusError: ApiProblem | null;
  /** A job this page started and still follows. */
  followingOwnJob: boolean;
}

/**
 * Why the Reconcile & restart button cannot be pressed now, or undefined when it can.
 * The reconciler is single-flight anyway; disabling says why instead of answering
 * "already running" after the click.
 */
export function disabledReason({ isAdmin, status, statusError, followingOwnJob }: Inputs): string | undefined {
  if (!isAdmin) {
    return 'Only Grafana admins can reconcile: the reconcile route requires the Admin role.';
  }
  if (statusError) {
    if (statusError.kind === 'not-configured') {
      return 'The app is not configured: set the reconciler URL and token on the configuration page.';
    }
    if (statusError.kind === 'unauthorized') {
      return 'The reconciler rejects the configured token: fix it on the configuration page.';
    }
    return 'The reconciler is unreachable: the button comes back when it answers again.';
  }
  if (!status) {
    return 'Waiting for the reconciler to report its state…';
  }
  const running = status.reconcile.running;
  if (followingOwnJob && running && !running.dryRun) {
    return 'Your reconcile is running: follow its progress below.';
  }
  if (running) {
    const kind = running.dryRun ? 'A dry run' : 'A reconcile run';
    return `${kind} started by ${TRIGGER_LABELS[running.trigger]} is in progress (${PHASE_LABELS[running.progress.phase].toLowerCase()}); one run at a time.`;
  }
  return undefined;
}
