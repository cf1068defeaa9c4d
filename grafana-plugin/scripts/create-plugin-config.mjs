// The parts of create-plugin's .config/ this app uses as they are: the list of modules Grafana
// provides to plugins (webpack externals), the build's folder names, and the version marker.
// They are rendered by the pinned @grafana/create-plugin (a dev dependency) with its own template
// data, never copied by hand: `npm run build` checks them first (prebuild) and fails when they
// differ; `npm run config:update` rewrites them after create-plugin is upgraded.
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { TEMPLATE_PATHS } from '@grafana/create-plugin/dist/constants.js';
import { getTemplateData, renderTemplateFromFile } from '@grafana/create-plugin/dist/utils/utils.templates.js';

const ADOPTED = ['.config/.cprc.json', '.config/bundler/externals.ts', '.config/bundler/constants.ts'];

const write = process.argv.includes('--write');
const data = getTemplateData();
const differing = [];
for (const file of ADOPTED) {
  const expected = renderTemplateFromFile(path.join(TEMPLATE_PATHS.common, file), data);
  const actual = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (actual === expected) {
    continue;
  }
  if (write) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, expected);
    console.log(`wrote ${file} (create-plugin ${data.version})`);
  } else {
    differing.push(file);
  }
}
if (differing.length > 0) {
  console.error(
    `${differing.join(', ')} ${differing.length === 1 ? 'differs' : 'differ'} from @grafana/create-plugin ${data.version}'s templates. These files are create-plugin's, ` +
      'not ours: run `npm run config:update` in grafana-plugin/ (after upgrading @grafana/create-plugin) instead of editing them.'
  );
  process.exit(1);
}
