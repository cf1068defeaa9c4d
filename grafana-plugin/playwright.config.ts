// @grafana/plugin-e2e specs (tests/) against the real Grafana of docker-compose.yaml.
// Not part of test:ci (no Docker there): `docker compose up -d && npm run test:grafana`.
// Uses Debian's chromium when present; elsewhere run `npx playwright install chromium` once.
import type { PluginOptions } from '@grafana/plugin-e2e';
import { devices, type PlaywrightTestConfig } from '@playwright/test';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

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
    baseURL: process.env.GRAFANA_URL || 'http://localhost:3000',
    trace: 'retain-on-failure',
    launchOptions: existsSync(systemChromium) ? { executablePath: systemChromium } : {},
  },
  projects: [
    // Logs in as admin once and stores the session for the specs.
    { name: 'auth', testDir: pluginE2eAuth, testMatch: [/.*\.js/] },
    { name: 'chromium', use: { ...devices['Desktop Chrome'], storageState: 'playwright/.auth/admin.json' }, dependencies: ['auth'] },
  ],
} as PlaywrightTestConfig<PluginOptions>;
