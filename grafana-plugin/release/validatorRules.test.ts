// Each of the validator's offline rules shown failing on a deliberately broken copy of the real
// build (dist/, made by `npm run build` before jest in test:ci). That the build itself passes is
// `npm run validate`'s gate, run on the zip after `npm run package`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { extractZip } from './packagePlugin';
import { checkArchiveRoot, checkDashboardOwner, checkPluginDir, type Finding } from './validatorRules';

const PLUGIN_DIR = path.resolve(__dirname, '..');
const DIST = path.join(PLUGIN_DIR, 'dist');
const DASHBOARDS = path.join(PLUGIN_DIR, '..', 'provisioning', 'grafana', 'dashboards');

const temps: string[] = [];
function temp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-validator-test-'));
  temps.push(dir);
  return dir;
}

/** A copy of dist/ to break. */
function distCopy(): string {
  const dir = path.join(temp(), 'pipewarden-pipeline-app');
  cpSync(DIST, dir, { recursive: true });
  return dir;
}

/** A copy of the source the build came from (what the source rules read). */
function sourceCopy(): string {
  const dir = temp();
  for (const p of ['package.json', '.config/webpack/webpack.config.ts', 'src']) {
    cpSync(path.join(PLUGIN_DIR, p), path.join(dir, p), { recursive: true });
  }
  return dir;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reaches into any field of the JSON to break it
function editJson(file: string, edit: (json: Record<string, any>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  edit(json);
  writeFileSync(file, JSON.stringify(json, null, 2));
}

const rules = (findings: Finding[]) => findings.map((f) => f.rule);

beforeAll(() => {
  if (!existsSync(path.join(DIST, 'plugin.json'))) {
    throw new Error('dist/ is missing: run `npm run build` in grafana-plugin/ before these tests (test:ci does)');
  }
});

afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

// [rule, how the copy is broken]: each must be reported.
const BROKEN_DIST: Array<[string, (dir: string) => void]> = [
  ['metadatavalid/missing-metadata', (d) => unlinkSync(path.join(d, 'plugin.json'))],
  ['metadatavalid/invalid-metadata', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.info.updated = '%TODAY%'))],
  ['typesuffix/type-suffix', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.type = 'panel'))],
  ['pluginname/humane-name', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.name = j.id))],
  ['discoverability/empty-description', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.info.description = ''))],
  ['discoverability/empty-keywords', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.info.keywords = []))],
  ['version/wrong-plugin-version', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.info.version = '%VERSION%'))],
  ['grafanadependency/invalid-grafana-dependency', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.dependencies.grafanaDependency = '>=twelve'))],
  ['restrictivedep/depends-on-patch-releases', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.dependencies.grafanaDependency = '12.4.x'))],
  ['restrictivedep/depends-on-single-release', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.dependencies.grafanaDependency = '12.4.0'))],
  ['logos/logos', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.info.logos.small = ' '))],
  ['metadatapaths/path-not-exists', (d) => unlinkSync(path.join(d, 'img', 'logo.svg'))],
  ['metadatapaths/path-relative-to-metadata', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.info.logos.large = './img/logo.svg'))],
  ['metadatapaths/invalid-relative-path', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.info.screenshots[0].path = 'https://example.com/shot.png'))],
  ['screenshots/screenshots', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.info.screenshots = []))],
  ['screenshots/screenshots-image-type', (d) => writeFileSync(path.join(d, 'img', 'screenshots', 'overview.png'), 'not a png')],
  ['brokenlinks/broken-link', (d) => editJson(path.join(d, 'plugin.json'), (j) => (j.info.author.url = 'github.com/pipewarden'))],
  ['brokenlinks/relative-link', (d) => writeFileSync(path.join(d, 'README.md'), '# pipewarden\n\nSee [the project](../README.md).\n')],
  ['readme/missing-readme', (d) => unlinkSync(path.join(d, 'README.md'))],
  ['readme/readme-comment', (d) => writeFileSync(path.join(d, 'README.md'), '# pipewarden\n<!-- TODO -->\n')],
  ['templatereadme/template-readme', (d) => writeFileSync(path.join(d, 'README.md'), '# Grafana App Plugin Template\n')],
  ['license/license-not-provided', (d) => unlinkSync(path.join(d, 'LICENSE'))],
  ['license/license-not-valid', (d) => writeFileSync(path.join(d, 'LICENSE'), 'All rights reserved.\n')],
  ['license/license-with-generic-text', (d) => writeFileSync(path.join(d, 'LICENSE'), `${readFileSync(path.join(d, 'LICENSE'), 'utf8')}\nCopyright {yyyy} {name of copyright owner}\n`)],
  ['changelog/missing-changelog', (d) => writeFileSync(path.join(d, 'CHANGELOG.md'), '  \n')],
  ['modulejs/missing-module-js', (d) => unlinkSync(path.join(d, 'module.js'))],
  ['jssourcemap/js-map-not-found', (d) => unlinkSync(path.join(d, 'module.js.map'))],
  ['trackingscripts/tracking-scripts', (d) => writeFileSync(path.join(d, 'module.js'), `${readFileSync(path.join(d, 'module.js'), 'utf8')}\n//https://www.google-analytics.com/analytics.js\n`)],
  ['unsafesvg/unsafe-svg-file', (d) => writeFileSync(path.join(d, 'img', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>')],
  [
    'includesnested/nested-plugins-not-included',
    (d) => {
      mkdirSync(path.join(d, 'panel'));
      writeFileSync(path.join(d, 'panel', 'plugin.json'), '{"type":"panel","id":"pipewarden-extra-panel","name":"Extra"}');
    },
  ],
];

describe('each rule fails on a broken copy of dist/', () => {
  it.each(BROKEN_DIST)('%s', (rule, breakIt) => {
    const dir = distCopy();
    breakIt(dir);
    expect(rules(checkPluginDir(dir))).toContain(rule);
  });
});

describe('each source rule fails on a broken copy of the source', () => {
  it('buildtools: a webpack config that does not come from @grafana/create-plugin', () => {
    const src = sourceCopy();
    const file = path.join(src, '.config', 'webpack', 'webpack.config.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/@grafana\/create-plugin/g, 'a hand-written build'));
    expect(rules(checkPluginDir(DIST, { sourceDir: src }))).toContain('buildtools/non-standard-frontend-build-tooling');
  });

  it('packagejson: package.json and plugin.json versions differ', () => {
    const src = sourceCopy();
    editJson(path.join(src, 'package.json'), (j) => (j.version = '9.9.9'));
    expect(rules(checkPluginDir(DIST, { sourceDir: src }))).toContain('packagejson/packagecode-version-mismatch');
  });

  it('jssourcemap: the source map does not match the source (an edit after the build)', () => {
    const src = sourceCopy();
    writeFileSync(path.join(src, 'src', 'constants.ts'), `${readFileSync(path.join(src, 'src', 'constants.ts'), 'utf8')}\n// edited\n`);
    const findings = checkPluginDir(DIST, { sourceDir: src });
    expect(findings.filter((f) => f.rule === 'jssourcemap/js-map-invalid').map((f) => f.message)).toEqual([expect.stringContaining('src/constants.ts')]);
  });
});

describe('signature (offline half)', () => {
  /** A clear-signed manifest of the copy as it is now (the PGP signature itself is not checked offline). */
  function sign(dir: string, edit: (m: Record<string, unknown>) => void = () => undefined): void {
    const files: Record<string, string> = {};
    const walkFiles = (rel: string): void => {
      for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
        const p = path.posix.join(rel, e.name);
        if (e.isDirectory()) walkFiles(p);
        else files[p] = createHash('sha256').update(readFileSync(path.join(dir, p))).digest('hex');
      }
    };
    walkFiles('');
    const json = JSON.parse(readFileSync(path.join(dir, 'plugin.json'), 'utf8'));
    const manifest: Record<string, unknown> = { manifestVersion: '2.0.0', signatureType: 'community', signedByOrg: 'pipewarden', plugin: json.id, version: json.info.version, time: 0, keyId: 'test', files };
    edit(manifest);
    writeFileSync(path.join(dir, 'MANIFEST.txt'), `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${JSON.stringify(manifest, null, 2)}\n-----BEGIN PGP SIGNATURE-----\n\nwsFcBAEBCAAQBQJ\n-----END PGP SIGNATURE-----\n`);
  }
  const signatureRules = (dir: string) => rules(checkPluginDir(dir)).filter((r) => r.startsWith('signature/'));

  it('an unsigned build is reported; a manifest matching every file is not', () => {
    const dir = distCopy();
    expect(signatureRules(dir)).toEqual(['signature/unsigned-plugin']);
    sign(dir);
    expect(signatureRules(dir)).toEqual([]);
  });

  it('a file changed after signing, another version, a private signature, a garbled manifest', () => {
    const changed = distCopy();
    sign(changed);
    writeFileSync(path.join(changed, 'module.js'), `${readFileSync(path.join(changed, 'module.js'), 'utf8')}\n`);
    expect(checkPluginDir(changed).filter((f) => f.rule.startsWith('signature/')).map((f) => f.message)).toEqual([expect.stringContaining('module.js differs from its signed hash')]);
    const other = distCopy();
    sign(other, (m) => (m.version = '0.0.1'));
    expect(signatureRules(other)).toEqual(['signature/modified-signature']);
    const priv = distCopy();
    sign(priv, (m) => (m.signatureType = 'private'));
    expect(signatureRules(priv)).toEqual(['signature/private-signature']);
    const garbled = distCopy();
    writeFileSync(path.join(garbled, 'MANIFEST.txt'), 'not a manifest at all');
    expect(signatureRules(garbled)).toEqual(['signature/invalid-signature']);
  });
});

describe('the dashboards have one owner', () => {
  it('an included dashboard with a file-provisioned uid, and without a revision, is reported', () => {
    const dir = distCopy();
    mkdirSync(path.join(dir, 'dashboards'));
    cpSync(path.join(DASHBOARDS, 'pipeline.json'), path.join(dir, 'dashboards', 'pipeline.json'));
    editJson(path.join(dir, 'dashboards', 'pipeline.json'), (j) => delete j.revision);
    editJson(path.join(dir, 'plugin.json'), (j) => j.includes.push({ type: 'dashboard', name: 'Pipeline', path: 'dashboards/pipeline.json' }));
    expect(rules(checkDashboardOwner(dir, DASHBOARDS))).toEqual(['pipewarden/dashboard-one-owner', 'pipewarden/dashboard-revision']);
  });
});

describe('each archive rule fails on a badly laid out zip', () => {
  function zipOf(layout: (stage: string) => void): string {
    const stage = temp();
    layout(stage);
    const zip = path.join(temp(), 'plugin.zip');
    execFileSync('zip', ['-qr', zip, '.'], { cwd: stage });
    const extracted = extractZip(zip);
    temps.push(extracted);
    return extracted;
  }

  it.each<[string, (stage: string) => void]>([
    ['archive/more-than-one-dir', (s) => (cpSync(DIST, path.join(s, 'pipewarden-pipeline-app'), { recursive: true }), writeFileSync(path.join(s, 'README.md'), 'x'))],
    ['archive/no-root-dir', (s) => writeFileSync(path.join(s, 'plugin.json'), '{}')],
    ['archive/dist', (s) => cpSync(DIST, path.join(s, 'pipewarden-pipeline-app', 'dist'), { recursive: true })],
    ['archivename/no-ident-root-dir', (s) => cpSync(DIST, path.join(s, 'dist'), { recursive: true })],
  ])('%s', (rule, layout) => {
    expect(rules(checkArchiveRoot(zipOf(layout)).findings)).toContain(rule);
  });
});
