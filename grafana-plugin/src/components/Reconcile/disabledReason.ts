import type { ApiProblem } from '../../api/problem';
import type { ReconcilerStatus } from '../../api/types';
import { PHASE_LABELS, TRIGGER_LABELS } from '../../utils/format';

interface Inputs {
  /** The user holds the reconcile:write action (or, without app RBAC, is an org Admin). */
  mayReconcile: boolean;
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
export function disabledReason({ mayReconcile, status, statusError, followingOwnJob }: Inputs): string | undefined {
  if (!mayReconcile) {
    return 'You may not reconcile: it needs the Reconciler role of this app (org admins have it; an admin can grant it to others).';
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
