// `npm run screenshots`: the plugin catalog's screenshots (src/img/screenshots/, listed in
// src/plugin.json) from the newest Grafana leg's last e2e run (test-results/<leg>/catalog-*.png,
// the app's page as Grafana draws it, in the dark and the light theme). Run `npm run test:e2e`
// first; then look at the pictures before committing them.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { findLegs } from '../e2e/legs';

const PLUGIN_DIR = path.resolve(__dirname, '..');

/** plugin.json's screenshot path → the e2e's catalog picture it is taken from. */
export const CATALOG_SHOTS: Record<string, string> = {
  'img/screenshots/overview.png': 'catalog-dark-overview.png',
  'img/screenshots/overview-light.png': 'catalog-light-overview.png',
  'img/screenshots/reconcile-result.png': 'catalog-dark-reconcile-result.png',
  'img/screenshots/history.png': 'catalog-dark-history.png',
  'img/screenshots/run-detail.png': 'catalog-dark-run-detail.png',
  'img/screenshots/configuration-light.png': 'catalog-light-configuration.png',
};

try {
  const listed = (JSON.parse(readFileSync(path.join(PLUGIN_DIR, 'src', 'plugin.json'), 'utf8')) as { info: { screenshots: Array<{ path: string }> } }).info.screenshots.map((s) => s.path);
  const unmapped = listed.filter((p) => !(p in CATALOG_SHOTS));
  if (unmapped.length > 0) {
    throw new Error(`plugin.json lists screenshots this script does not make: ${unmapped.join(', ')}`);
  }
  const leg = findLegs().pop()!;
  const results = path.join(PLUGIN_DIR, 'test-results', leg.name);
  for (const target of listed) {
    const from = path.join(results, CATALOG_SHOTS[target]);
    if (!existsSync(from)) {
      throw new Error(`${path.relative(PLUGIN_DIR, from)} is missing: run \`npm run test:e2e\` first`);
    }
    copyFileSync(from, path.join(PLUGIN_DIR, 'src', target));
    console.log(`src/${target} ← ${path.relative(PLUGIN_DIR, from)}`);
  }
} catch (e) {
  console.error(`screenshots: ${(e as Error).message}`);
  process.exit(1);
}
