// The Reconcile & restart flow, shared by every button that starts one (the Reconcile page's
// main button, and each pipeline's on the Overview and the Reconcile page): a confirmation
// showing a dry run's preview of the difference, the live progress of the real run, its
// result. One flow per page: the reconciler runs one job at a time anyway.
import React, { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Alert, ConfirmModal, useStyles2 } from '@grafana/ui';

import { cancelJob } from '../../api/reconciler';
import type { ReconcileJob, ReconcileRequest } from '../../api/types';
import { queryKeys } from '../../data/queryClient';
import { isFinished, useReconcileJob, useStartReconcile } from '../../data/useReconcileJob';
import { useReconcilerStatus } from '../../data/useReconcilerStatus';
import { TRIGGER_LABELS } from '../../utils/format';
import { canReconcile } from '../../utils/permissions';
import { ProblemAlert } from '../ProblemAlert';
import { disabledReason } from './disabledReason';
import { JobProgress } from './JobProgress';
import { JobResult } from './JobResult';
import { PreviewBody, waitsForMysql } from './PreviewBody';

/** What a button reconciles: one pipeline by name, or (undefined) every pipeline. */
export type ReconcileTarget = string | undefined;

/** The request body for a target: no `pipeline` at all for "every pipeline" (an older reconciler knows no such field). */
export function reconcileRequest(dryRun: boolean, pipeline: ReconcileTarget): ReconcileRequest {
  return pipeline === undefined ? { dryRun, trigger: 'button' } : { dryRun, trigger: 'button', pipeline };
}

/** "pipeline orders", or "every pipeline" when there are several, or nothing (one pipeline: the wording of before). */
export function targetText(pipeline: ReconcileTarget, pipelineCount: number): string | undefined {
  if (pipeline !== undefined) {
    return `pipeline ${pipeline}`;
  }
  return pipelineCount > 1 ? `all ${pipelineCount} pipelines` : undefined;
}

export function useReconcileFlow() {
  const status = useReconcilerStatus();
  const mayReconcile = canReconcile();

  const [modalOpen, setModalOpen] = useState(false);
  const [target, setTarget] = useState<ReconcileTarget>();
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
  const disabled = Boolean(reason) || ownJobRunning || startPreview.isPending;

  const open = (pipeline: ReconcileTarget) => {
    setNotice(undefined);
    setPreviewId(undefined);
    setTarget(pipeline);
    startPreview.reset();
    startRun.reset();
    setModalOpen(true);
    startPreview.mutate(reconcileRequest(true, pipeline), {
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
    });
  };

  const confirm = async () => {
    try {
      const j = await startRun.mutateAsync(reconcileRequest(false, target));
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

  return {
    status,
    mayReconcile,
    /** Why no button may start a run now (undefined: they may). */
    reason,
    disabled,
    open,
    view: {
      modalOpen,
      target,
      notice,
      clearNotice: () => setNotice(undefined),
      preview,
      startPreview,
      startRun,
      followed,
      followId,
      job,
      runId,
      previewDone,
      previewWaitsForMysql,
      confirm,
      dismiss,
    },
  };
}

export type ReconcileFlow = ReturnType<typeof useReconcileFlow>;

/** The flow's notices, progress, result and confirmation; place it once per page, under the buttons. */
export function ReconcileFlowView({ flow, pipelineCount }: { flow: ReconcileFlow; pipelineCount: number }) {
  const s = useStyles2(getStyles);
  const v = flow.view;
  const what = targetText(v.target, pipelineCount);
  const jobWhat = v.job ? targetText(v.job.pipeline ?? undefined, pipelineCount) : undefined;
  return (
    <>
      {v.notice && <Alert title={v.notice} severity="info" onRemove={v.clearNotice} />}
      {v.startRun.error && !v.modalOpen && <ProblemAlert error={v.startRun.error} context="The reconcile did not start" />}
      {v.followed.error && v.followId && <ProblemAlert error={v.followed.error} context="Lost track of the run" />}
      {v.job && jobWhat && (
        <p className={s.target} data-testid="job-target">
          Reconcile of {jobWhat}
        </p>
      )}
      {v.job && !isFinished(v.job) && <JobProgress job={v.job} />}
      {v.job && isFinished(v.job) && v.runId && <JobResult job={v.job} />}

      <ConfirmModal
        isOpen={v.modalOpen}
        title={what ? `Reconcile & restart ${what}?` : 'Reconcile & restart?'}
        modalClass={s.modal}
        body={
          <>
            <PreviewBody job={v.preview.data} error={v.startPreview.error ?? v.preview.error} />
            {v.startRun.error && <ProblemAlert error={v.startRun.error} context="The reconcile did not start" />}
          </>
        }
        description={
          v.target === undefined && pipelineCount > 1
            ? 'Each pipeline in turn: its loader pauses while its missing rows are inserted, then resumes from its checkpoint.'
            : 'The loader pauses while the missing rows are inserted, then resumes from its checkpoint.'
        }
        confirmText={v.previewWaitsForMysql ? 'Reconcile when MySQL is back' : 'Reconcile & restart'}
        confirmVariant="primary"
        disabled={!v.previewDone && !v.previewWaitsForMysql}
        onConfirm={v.confirm}
        onDismiss={v.dismiss}
      />
    </>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  modal: css({ width: 720, maxWidth: '95vw' }),
  target: css({ margin: 0, color: theme.colors.text.secondary }),
});
