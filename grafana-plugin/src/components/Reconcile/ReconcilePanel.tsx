import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, LoadingPlaceholder, useStyles2 } from '@grafana/ui';

import { useLoaderStatus } from '../../data/useLoaderStatus';
import { formatCount } from '../../utils/format';
import { pipelineRows, reconcilerPipelineNames } from '../../utils/pipelines';
import { PipelinesTable } from '../PipelinesTable';
import { ProblemAlert } from '../ProblemAlert';
import { ReconcileFlowView, useReconcileFlow } from './reconcileFlow';
import { RecoveryBlocked } from './RecoveryBlocked';

/** The main button's words: "all" only when there is more than one pipeline to reconcile. */
export function allButtonText(pipelineCount: number): string {
  return pipelineCount > 1 ? 'Reconcile & restart all' : 'Reconcile & restart';
}

/**
 * The Reconcile & restart button and everything around it (the flow: reconcileFlow.tsx).
 * With several pipelines the button reconciles all of them, and each pipeline's row has its own.
 */
export function ReconcilePanel() {
  const s = useStyles2(getStyles);
  const flow = useReconcileFlow();
  const { status } = flow;
  const loader = useLoaderStatus();
  const names = reconcilerPipelineNames(status.data);
  const rows = pipelineRows(status.data, loader.data);

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
        <Button
          icon="sync"
          variant="primary"
          size="lg"
          disabled={flow.disabled}
          onClick={() => flow.open(undefined)}
          aria-describedby={flow.reason ? 'reconcile-disabled-reason' : undefined}
        >
          {allButtonText(names.length)}
        </Button>
        {flow.reason && (
          <span id="reconcile-disabled-reason" className={s.reason} data-testid="disabled-reason">
            {flow.reason}
          </span>
        )}
      </div>

      {names.length > 1 && (
        <PipelinesTable
          rows={rows}
          onReconcile={flow.mayReconcile ? (name) => flow.open(name) : undefined}
          disabled={flow.disabled}
          disabledReason={flow.reason}
        />
      )}

      <ReconcileFlowView flow={flow} pipelineCount={names.length} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2), maxWidth: 1200 }),
  lead: css({ color: theme.colors.text.secondary, margin: 0 }),
  actions: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(2), flexWrap: 'wrap' }),
  reason: css({ color: theme.colors.text.secondary }),
});
