import { expect, test } from '@grafana/plugin-e2e';

import pluginJson from '../src/plugin.json';
import { ROUTES } from '../src/constants';

// Needs a reconciler reachable from the Grafana container (see docker-compose.yaml).
test('Reconcile & restart previews, runs and reports through Grafana’s proxy', async ({ gotoAppPage, page, request }) => {
  const status = await request.get(`/api/plugin-proxy/${pluginJson.id}/reconciler/status`);
  test.skip(!status.ok(), `the reconciler does not answer through Grafana (HTTP ${status.status()}); start it as docker-compose.yaml describes`);

  await gotoAppPage({ pluginId: pluginJson.id, path: `/${ROUTES.Reconcile}` });
  const button = page.getByRole('button', { name: /Reconcile & restart/ });
  await expect(button).toBeEnabled();
  await button.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByTestId('preview-summary')).toBeVisible({ timeout: 60_000 });
  await dialog.getByRole('button', { name: 'Reconcile & restart' }).click();
  await expect(page.getByTestId('job-result')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('job-result')).not.toContainText('failed');
});
