import { expect, test } from '@grafana/plugin-e2e';

import pluginJson from '../src/plugin.json';

test('an admin saves the reconciler URL and token', async ({ gotoAppConfigPage, page }) => {
  const configPage = await gotoAppConfigPage({ pluginId: pluginJson.id });
  await page.getByLabel(/Reconciler URL/).fill(process.env.PIPEWARDEN_RECONCILER_URL ?? 'http://host.docker.internal:9843');
  const reset = page.getByRole('button', { name: 'Reset' });
  if (await reset.isVisible()) {
    await reset.click();
  }
  await page.getByPlaceholder('PIPEWARDEN_TOKEN of the reconciler').fill(process.env.PIPEWARDEN_TOKEN ?? 'a-token-of-at-least-16-chars');
  const saved = configPage.waitForSettingsResponse();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(saved).toBeOK();
});
