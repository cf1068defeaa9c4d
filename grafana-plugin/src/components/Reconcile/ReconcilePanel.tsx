import React, { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, ConfirmModal, LoadingPlaceholder, useStyles2 } from '@grafana/ui';

import { cancelJob } from '../../api/reconciler';
import type { ReconcileJob } from '../../api/types';
import { queryKeys } from '../../data/queryClient';
import { isFinished, useReconcileJob, useStartReconcile } from '../../data/useReconcileJob';
import { useReconcilerStatus } from '../../data/useReconcilerStatus';
import { formatCount, TRIGGER_LABELS } from '../../utils/format';
import { canReconcile } from '../../utils/permissions';
import { ProblemAlert } from '../ProblemAlert';
import { disabledReason } from './disabledReason';
import { JobProgress } from './JobProgress';
import { JobResult } from './JobResult';
import { PreviewBody, waitsForMysql } from './PreviewBody';
import { RecoveryBlocked } from './RecoveryBlocked';

/**
 * The Reconcile & restart button and everything around it: a confirmation that shows a
 * dry run's preview of the difference, the live progress of the real run, its result.
 */
export function ReconcilePanel() {
  const s = useStyles2(getStyles);
  const status = useReconcilerStatus();
  const mayReconcile = canReconcile();

  const [modalOpen, setModalOpen] = useState(false);
  const [previewId, setPreviewId] = useState<string>();
  const [runId, setRunId] = useState<string>();
  const [notice, setNotice] = useState<string>();

  const startPreview = useStartReconcile();
  /** The preview's dry run is ours (not one we joined): dismissing the preview cancels it. */
  const previewOwned = Boolean(startPreview.data?.dryRun && !startPreview.data.alreadyRunning);
  const startRun = useStartReconcile();
  const preview = useReconcileJob(previewId);

  // Follow our own run, or a real run someone else started (watchdog, alert, CLI).
  const running = status.data?.reconcile.running;
  const followId = runId ?? (running && !running.dryRun ? running.id : undefined);
  const followed = useReconcileJob(followId);
  const job: ReconcileJob | undefined = followed.data;
  const ownJobRunning = Boolean(runId && job && !isFinished(job));
  const finishedId = job && isFinished(job) ? job.id : undefined;

  // A finished run changes the status (batches in doubt, last run) and the history: fetch
  // them now rather than at the next poll, so the page does not show the run as going.
  const queryClient = useQueryClient();
  useEffect(() => {
    if (finishedId) {
      void queryClient.invalidateQueries({ queryKey: queryKeys.status });
      void queryClient.invalidateQueries({ queryKey: ['reconciler', 'runs'] });
    }
  }, [finishedId, queryClient]);

  // Until that refetch lands, the status may still list the run that just finished.
  const statusData = status.data && finishedId && status.data.reconcile.running?.id === finishedId ? { ...status.data, reconcile: { ...status.data.reconcile, running: null } } : status.data;

  const reason = disabledReason({
    mayReconcile,
    status: statusData,
    statusError: status.data ? null : status.error,
    followingOwnJob: Boolean(runId),
  });
  const buttonDisabled = Boolean(reason) || ownJobRunning || startPreview.isPending;

  const openConfirmation = () => {
    setNotice(undefined);
    setPreviewId(undefined);
    startPreview.reset();
    setModalOpen(true);
    startPreview.mutate(
      { dryRun: true, trigger: 'button' },
      {
        onSuccess: (j) => {
          if (!j.dryRun) {
            // A real run was already going (started elsewhere a moment ago): follow it.
            setModalOpen(false);
            setRunId(j.id);
            setNotice(`A reconcile started by ${TRIGGER_LABELS[j.trigger]} was already running; showing its progress.`);
            return;
          }
          setPreviewId(j.id);
        },
      }
    );
  };

  const confirm = async () => {
    try {
      const j = await startRun.mutateAsync({ dryRun: false, trigger: 'button' });
      setModalOpen(false);
      if (j.dryRun) {
        setNotice('Another dry run holds the reconcile lock right now; press the button again in a moment.');
        return;
      }
      setRunId(j.id);
      if (j.alreadyRunning) {
        setNotice(`A reconcile started by ${TRIGGER_LABELS[j.trigger]} was already running; showing its progress instead of starting another.`);
      }
    } catch {
      // startRun.error is shown in the modal.
    }
  };

  const previewDone = isFinished(preview.data) || preview.data?.state === 'cancelled' || Boolean(startPreview.error);
  // While MySQL is down the preview cannot finish; the real run waits for MySQL by itself.
  const previewWaitsForMysql = waitsForMysql(preview.data);

  // A dismissed preview stops its dry run: it may be waiting minutes for MySQL, and it
  // writes nothing, so nothing is lost.
  const dismiss = () => {
    setModalOpen(false);
    if (previewId && previewOwned && !previewDone) {
      cancelJob(previewId).catch((e: Error) =>
        setNotice(`The preview's dry run could not be cancelled (${e.message}); it ends by itself when MySQL answers or at its deadline.`)
      );
    }
    setPreviewId(undefined);
  };

  return (
    <div className={s.panel}>
      <p className={s.lead}>
        Compares the write-ahead log, the Redis mirror and MySQL, inserts exactly the rows MySQL lacks for every batch in doubt, verifies counts and checksums, then restarts
        the loader from its checkpoint. Safe to repeat: every step is idempotent.
      </p>
      {status.data && (
        <p data-testid="doubt-summary">
          Batches in doubt now: <strong>{formatCount(status.data.wal.batchesInDoubt)}</strong>
        </p>
      )}
      {status.data && <RecoveryBlocked status={status.data} />}
      {status.isPending && !status.isError && <LoadingPlaceholder text="Asking the reconciler whether a run is going…" />}
      {!status.data && status.error && <ProblemAlert error={status.error} />}

      <div className={s.actions}>
        <Button icon="sync" variant="primary" size="lg" disabled={buttonDisabled} onClick={openConfirmation} aria-describedby={reason ? 'reconcile-disabled-reason' : undefined}>
          Reconcile &amp; restart
        </Button>
        {reason && (
          <span id="reconcile-disabled-reason" className={s.reason} data-testid="disabled-reason">
            {reason}
          </span>
        )}
      </div>

      {notice && (
        <Alert title={notice} severity="info" onRemove={() => setNotice(undefined)} />
      )}
      {startRun.error && !modalOpen && <ProblemAlert error={startRun.error} context="The reconcile did not start" />}
      {followed.error && followId && <ProblemAlert error={followed.error} context="Lost track of the run" />}
      {job && !isFinished(job) && <JobProgress job={job} />}
      {job && isFinished(job) && runId && <JobResult job={job} />}

      <ConfirmModal
        isOpen={modalOpen}
        title="Reconcile & restart?"
        modalClass={s.modal}
        body={
          <>
            <PreviewBody job={preview.data} error={startPreview.error ?? preview.error} />
            {startRun.error && <ProblemAlert error={startRun.error} context="The reconcile did not start" />}
          </>
        }
        description="The loader pauses while the missing rows are inserted, then resumes from its checkpoint."
        confirmText={previewWaitsForMysql ? 'Reconcile when MySQL is back' : 'Reconcile & restart'}
        confirmVariant="primary"
        disabled={!previewDone && !previewWaitsForMysql}
        onConfirm={confirm}
        onDismiss={dismiss}
      />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2), maxWidth: 960 }),
  lead: css({ color: theme.colors.text.secondary, margin: 0 }),
  actions: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(2), flexWrap: 'wrap' }),
  reason: css({ color: theme.colors.text.secondary }),
  modal: css({ width: 720, maxWidth: '95vw' }),
});
