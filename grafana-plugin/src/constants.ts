export const PLUGIN_ID = 'pipewarden-pipeline-app';
/** Base URL of the app's pages, under Grafana's /a/<plugin-id>. */
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;
/** Where Grafana shows the app's configuration page. */
export const CONFIG_PAGE_URL = `/plugins/${PLUGIN_ID}`;

export enum ROUTES {
  Overview = 'overview',
  Reconcile = 'reconcile',
  History = 'history',
}

/** Dashboards provisioned by provisioning/grafana (uids fixed there). */
export const DASHBOARDS = [
  { uid: 'pipewarden-pipeline', title: 'Pipeline', description: 'Throughput, rows loaded and rejected, batches in doubt, mirror, reconciles' },
  { uid: 'pipewarden-mysql', title: 'MySQL', description: 'Reads, traffic, connections, downtime' },
  { uid: 'pipewarden-host', title: 'Host', description: 'Uptime, memory, load, CPU' },
] as const;

/** How often the pages poll the reconciler: status drives the live overview and the button. */
export const STATUS_POLL_MS = 3000;
export const JOB_POLL_MS = 1000;
export const HISTORY_LIMIT = 50;
