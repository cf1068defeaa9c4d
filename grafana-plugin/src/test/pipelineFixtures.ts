// Two pipelines, as a loader and a reconciler that run them report them.
import type { LoaderPipelineStatus, LoaderStatus, ReconcilerStatus } from '../api/types';
import { runFixture, statusFixture } from './fixtures';

export function loaderPipeline(over: Partial<LoaderPipelineStatus> = {}): LoaderPipelineStatus {
  return {
    name: 'default',
    dataset: 'nyc-parking-violations',
    table: 'parking_violations',
    state: 'running',
    engine: 'inline',
    rowsIn: 1000,
    rowsLoaded: 900,
    rowsRejected: 60,
    rowsDuplicate: 40,
    bytesRead: 250,
    bytesTotal: 1000,
    rowsPerSecond: 100,
    updatedAt: new Date().toISOString(),
    ...over,
  };
}

export const TWO_LOADER_PIPELINES: LoaderPipelineStatus[] = [
  loaderPipeline({ name: 'parking', rowsLoaded: 48000, rowsRejected: 1200, rowsDuplicate: 800, bytesRead: 512, bytesTotal: 1024 }),
  loaderPipeline({ name: 'orders', dataset: 'shop-orders', table: 'orders', state: 'paused', rowsLoaded: 7000, rowsRejected: 3, rowsDuplicate: 0, bytesRead: 1, bytesTotal: 4 }),
];

export function loaderWithPipelines(pipelines = TWO_LOADER_PIPELINES): LoaderStatus {
  const sum = (k: 'rowsIn' | 'rowsLoaded' | 'rowsRejected' | 'rowsDuplicate' | 'bytesRead' | 'bytesTotal' | 'rowsPerSecond') => pipelines.reduce((a, p) => a + p[k], 0);
  return {
    pipelines,
    state: 'paused',
    engine: 'inline',
    rowsIn: sum('rowsIn'),
    rowsLoaded: sum('rowsLoaded'),
    rowsRejected: sum('rowsRejected'),
    rowsDuplicate: sum('rowsDuplicate'),
    bytesRead: sum('bytesRead'),
    bytesTotal: sum('bytesTotal'),
    rowsPerSecond: sum('rowsPerSecond'),
    updatedAt: new Date().toISOString(),
  };
}

const wal = (batchesInDoubt: number) => ({ bytes: 4096 * batchesInDoubt, segments: 1, batchesInDoubt, tornTail: false });

export function statusWithPipelines(over: Partial<ReconcilerStatus> = {}): ReconcilerStatus {
  return statusFixture({
    wal: { bytes: 8192, segments: 2, batchesInDoubt: 2, tornTail: false },
    pipelines: [
      { name: 'parking', dataset: 'nyc-parking-violations', table: 'parking_violations', wal: wal(0), last: runFixture({ pipeline: 'parking', trigger: 'button', requestedBy: 'alice', outcome: 'success' }) },
      { name: 'orders', dataset: 'shop-orders', table: 'orders', wal: wal(2), last: null },
    ],
    ...over,
  });
}
