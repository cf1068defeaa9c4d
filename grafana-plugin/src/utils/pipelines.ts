// The pipelines the Overview and the Reconcile page list, from the two services' GET /status.
// The loader knows what each pipeline has loaded, the reconciler its WAL and last reconcile;
// a row joins them by name. Services older than pipelines send no `pipelines`: then there
// is no row at all and the pages show only the aggregate figures, as before.
import type { LoaderPipelineStatus, ReconcileRun, ReconcilerStatus, LoaderStatus } from '../api/types';

type ReconcilerPipeline = NonNullable<ReconcilerStatus['pipelines']>[number];

export interface PipelineRow {
  name: string;
  /** The dataset spec's name and its table; undefined when neither service said. */
  dataset?: string;
  table?: string;
  /** From the loader (undefined without the loader URL or from an older loader). */
  loader?: LoaderPipelineStatus;
  /** From the reconciler: batches in doubt in this pipeline's WAL, its last recorded run. */
  batchesInDoubt?: number;
  last?: ReconcileRun | null;
}

/** One row per pipeline either service reports, the reconciler's order first. */
export function pipelineRows(status: ReconcilerStatus | undefined, loader: LoaderStatus | undefined): PipelineRow[] {
  const fromReconciler: ReconcilerPipeline[] = Array.isArray(status?.pipelines) ? status.pipelines : [];
  const fromLoader: LoaderPipelineStatus[] = Array.isArray(loader?.pipelines) ? loader.pipelines : [];
  const names = [...new Set([...fromReconciler.map((p) => p.name), ...fromLoader.map((p) => p.name)])];
  return names.map((name) => {
    const r = fromReconciler.find((p) => p.name === name);
    const l = fromLoader.find((p) => p.name === name);
    return {
      name,
      dataset: r?.dataset ?? l?.dataset,
      table: r?.table ?? l?.table,
      loader: l,
      batchesInDoubt: r?.wal.batchesInDoubt,
      last: r ? r.last : undefined,
    };
  });
}

/** The pipelines' names as the reconciler knows them (what POST /reconcile and GET /runs accept). */
export function reconcilerPipelineNames(status: ReconcilerStatus | undefined): string[] {
  return Array.isArray(status?.pipelines) ? status.pipelines.map((p) => p.name) : [];
}

/** How much of its source a pipeline has read, as "42%", or undefined when the loader does not know. */
export function readProgress(l: { bytesRead: number; bytesTotal: number } | undefined): string | undefined {
  if (!l || !(l.bytesTotal > 0)) {
    return undefined;
  }
  return `${Math.min(100, Math.floor((100 * l.bytesRead) / l.bytesTotal))}%`;
}
