// `npm run validate`: Grafana's plugin validator's offline rules (validatorRules.ts) over the
// built dist/ and the zip `npm run package` made from it. Any finding fails: the catalog's
// validator reports the same ones.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';

import { builtPlugin, extractZip } from './packagePlugin';
import { checkArchiveRoot, checkDashboardOwner, checkPluginDir, type Finding } from './validatorRules';

const PLUGIN_DIR = path.resolve(__dirname, '..');
const DIST = path.join(PLUGIN_DIR, 'dist');
const DASHBOARDS = path.join(PLUGIN_DIR, '..', 'provisioning', 'grafana', 'dashboards');

/**
 * Findings this build has on purpose, with the reason; each is still printed. The package is
 * unsigned: signing needs a Grafana.com access policy token, which a build here does not have.
 * A release signs dist/ (`npx @grafana/sign-plugin@latest`, community level for the catalog)
 * before `npm run package`; the signature rules then check the manifest like any other.
 */
const EXPECTED: Record<string, string> = {
  'signature/unsigned-plugin': 'unsigned build (release signing needs a Grafana.com token); Grafana loads it with allow_loading_unsigned_plugins = pipewarden-pipeline-app',
};

function validate(): Array<[string, Finding[]]> {
  const { id, version } = builtPlugin(DIST);
  const zip = path.join(PLUGIN_DIR, `${id}-${version}.zip`);
  if (!existsSync(zip)) {
    throw new Error(`${path.basename(zip)} is missing: run \`npm run package\` after \`npm run build\``);
  }
  const results: Array<[string, Finding[]]> = [['dist/', [...checkPluginDir(DIST, { sourceDir: PLUGIN_DIR }), ...checkDashboardOwner(DIST, DASHBOARDS)]]];
  const extracted = extractZip(zip);
  try {
    const root = checkArchiveRoot(extracted);
    results.push([path.basename(zip), [...root.findings, ...(root.pluginDir ? checkPluginDir(root.pluginDir, { sourceDir: PLUGIN_DIR }) : [])]]);
  } finally {
    rmSync(extracted, { recursive: true, force: true });
  }
  return results;
}

try {
  let failed = false;
  for (const [what, all] of validate()) {
    const findings = all.filter((f) => !(f.rule in EXPECTED));
    console.log(`${findings.length === 0 ? 'ok  ' : 'FAIL'} ${what}: ${findings.length === 0 ? 'every offline rule of the plugin validator passes' : `${findings.length} finding(s)`}`);
    for (const f of findings) console.log(`     ${f.severity} ${f.rule}: ${f.message}`);
    for (const f of all.filter((x) => x.rule in EXPECTED)) console.log(`     expected ${f.rule}: ${EXPECTED[f.rule]}`);
    failed ||= findings.length > 0;
  }
  process.exit(failed ? 1 : 0);
} catch (e) {
  console.error(`validate: ${(e as Error).message}`);
  process.exit(1);
}
