import { expect, test } from '@grafana/plugin-e2e';

import pluginJson from '../src/plugin.json';
import { ROUTES } from '../src/constants';

test.describe('the app pages render inside Grafana', () => {
  test('Overview shows the pipeline or says what to do', async ({ gotoAppPage, page }) => {
    await gotoAppPage({ pluginId: pluginJson.id, path: `/${ROUTES.Overview}` });
    await expect(page.getByRole('heading', { name: 'Dashboards' })).toBeVisible();
    await expect(page.getByTestId('pipeline-stages').or(page.getByTestId('problem-alert'))).toBeVisible();
  });

  test('Reconcile shows the button', async ({ gotoAppPage, page }) => {
    await gotoAppPage({ pluginId: pluginJson.id, path: `/${ROUTES.Reconcile}` });
    await expect(page.getByRole('button', { name: /Reconcile & restart/ })).toBeVisible();
  });

  test('History shows runs or the empty state', async ({ gotoAppPage, page }) => {
    await gotoAppPage({ pluginId: pluginJson.id, path: `/${ROUTES.History}` });
    await expect(page.getByTestId('runs-table').or(page.getByText('No reconcile has run yet')).or(page.getByTestId('problem-alert'))).toBeVisible();
  });
});
