// @grafana/plugin-e2e specs (tests/) against a real Grafana with this plugin and the
// deployment's provisioning (../provisioning/grafana): `GRAFANA_URL=http://host:3000 npm run
// test:e2e:grafana`, e.g. the Grafana of docker-compose.yaml (`npm run server`) or of
// ../provisioning/docker-compose.yml. Not part of test:ci: there is no Grafana on CI machines
// (e2e/ stands in for it). Uses Debian's chromium when present; elsewhere run
// `npx playwright install chromium` once.
import type { PluginOptions } from '@grafana/plugin-e2e';
import { devices, type PlaywrightTestConfig } from '@playwright/test';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

const grafanaUrl = process.env.GRAFANA_URL;
if (!grafanaUrl) {
  throw new Error('GRAFANA_URL is not set: point it at a Grafana with this plugin installed, e.g. GRAFANA_URL=http://localhost:3000 npm run test:e2e:grafana');
}
// The admin the specs sign in as (plugin-e2e's auth project), admin/admin by default.
const admin = { user: process.env.GRAFANA_ADMIN_USER ?? 'admin', password: process.env.GRAFANA_ADMIN_PASSWORD ?? 'admin' };
const pluginE2eAuth = `${dirname(require.resolve('@grafana/plugin-e2e'))}/auth`;
const systemChromium = '/usr/bin/chromium';

export default {
  testDir: './tests',
  outputDir: './test-results/grafana',
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  workers: 1,
  reporter: 'list',
  use: {
    baseURL: grafanaUrl,
    user: admin,
    grafanaAPICredentials: admin,
    trace: 'retain-on-failure',
    launchOptions: existsSync(systemChromium) ? { executablePath: systemChromium } : {},
  },
  projects: [
    // Logs in as the admin once and stores the session for the specs.
    { name: 'auth', testDir: pluginE2eAuth, testMatch: [/.*\.js/] },
    { name: 'chromium', use: { ...devices['Desktop Chrome'], storageState: 'playwright/.auth/admin.json' }, dependencies: ['auth'] },
  ],
} as PlaywrightTestConfig<PluginOptions>;
