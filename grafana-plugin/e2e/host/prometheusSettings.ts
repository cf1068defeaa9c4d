// The provisioned Prometheus data source as Grafana lists it in bootData.settings.datasources
// (what config.datasources holds), shared by the host's server (boot data) and page (scene runtime).
export const PROMETHEUS_UID = 'pipewarden-prometheus';
export const PROMETHEUS_NAME = 'Prometheus (pipewarden)';
/** Grafana's data source proxy for it; the host forwards it to the stack's Prometheus. */
export const PROMETHEUS_PROXY = `/api/datasources/proxy/uid/${PROMETHEUS_UID}`;

const INFO = { author: { name: 'e2e host' }, description: '', links: [], logos: { small: '', large: '' }, screenshots: [], updated: '', version: '' };

export function prometheusSettings() {
  return {
    id: 1,
    uid: PROMETHEUS_UID,
    type: 'prometheus',
    name: PROMETHEUS_NAME,
    access: 'proxy',
    url: PROMETHEUS_PROXY,
    jsonData: {},
    readOnly: true,
    meta: { id: 'prometheus', name: 'Prometheus', type: 'datasource', metrics: true, annotations: true, info: INFO, module: '', baseUrl: '' },
  };
}
