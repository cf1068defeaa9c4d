// The HTTP contract has one source, core/src/api.ts; the plugin imports its types only
// (erased at build time, so nothing of core is bundled).
export type {
  ApiError,
  BatchRepair,
  DoctorFinding,
  DoctorReport,
  JobState,
  LoaderPipelineStatus,
  LoaderStatus,
  ReconcileJob,
  ReconcilePhase,
  ReconcileProgress,
  ReconcileReport,
  ReconcileRequest,
  ReconcileRun,
  ReconcileRunDetail,
  ReconcilerStatus,
} from '../../../core/src/api';
export type { LoaderState, ReconcileOutcome, ReconcileTrigger } from '../../../core/src/metrics';

/** The app's non-secret settings (plugin jsonData). The token lives in secureJsonData. */
export interface AppSettings {
  /** Base URL of `pipewarden reconciler serve`, as Grafana's server reaches it. */
  reconcilerUrl?: string;
  /** Base URL of `pipewarden loader serve`, optional: adds throughput to the overview. */
  loaderUrl?: string;
}
