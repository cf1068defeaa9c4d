import { expect, test } from '@grafana/plugin-e2e';
import semver from 'semver';

import pluginJson from '../src/plugin.json';

const proxy = `/api/plugin-proxy/${pluginJson.id}`;

test.describe('what Grafana makes of plugin.json', () => {
  test('Grafana runs a version the plugin declares (grafanaDependency)', async ({ grafanaVersion }) => {
    const running = semver.coerce(grafanaVersion);
    expect(running && semver.satisfies(running, pluginJson.dependencies.grafanaDependency)).toBe(true);
  });

  test('Administration › Plugins shows the README for admins (src/README.md), not the developer one', async ({ request }) => {
    const readme = await request.get(`/api/plugins/${pluginJson.id}/markdown/README`);
    expect(readme.ok()).toBeTruthy();
    const text = await readme.text();
    expect(text).toContain('Who may press the button');
    expect(text).not.toContain('npm run');
  });

  test('only the paths the app calls are proxied: another reconciler path is no route', async ({ request }) => {
    const metrics = await request.get(`${proxy}/reconciler/metrics`);
    expect(metrics.status()).toBe(404);
    const alertmanager = await request.post(`${proxy}/reconciler/alertmanager`, { data: {} });
    expect(alertmanager.status()).toBe(404);
  });

  test('an admin may use the write route (reconcile:write): an unknown job is the reconciler’s 404, not the proxy’s 403', async ({ request }) => {
    const status = await request.get(`${proxy}/reconciler/status`);
    test.skip(!status.ok(), `the reconciler does not answer through Grafana (HTTP ${status.status()}); start it as docker-compose.yaml describes`);
    const cancel = await request.post(`${proxy}/reconciler/reconcile/no-such-job/cancel`);
    expect(cancel.status()).toBe(404);
  });
});
