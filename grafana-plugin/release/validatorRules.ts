// The offline rules of Grafana's plugin validator (grafana/plugin-validator,
// pkg/analysis/passes/*), applied to a built plugin folder (dist/ or the packaged zip's top
// folder) and, for the rules that read the source, to grafana-plugin/. The validator itself is
// a Go binary downloaded at install time, which this project's machines cannot fetch. Each
// rule keeps the analyzer's name so a finding can be looked up there. Rules that need the
// network (published version, broken links by HTTP status, virus scan, osv-scanner, LLM
// review) are left to the real validator; `links-absolute` is brokenlinks' offline half.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';

export type Severity = 'error' | 'warning';

export interface Finding {
  /** The analyzer and rule, e.g. "archive/more-than-one-dir". */
  rule: string;
  severity: Severity;
  message: string;
}

interface PluginJson {
  id?: string;
  type?: string;
  name?: string;
  info?: {
    description?: string;
    keywords?: string[];
    author?: { name?: string; url?: string };
    logos?: { small?: string; large?: string };
    screenshots?: Array<{ name?: string; path?: string }>;
    links?: Array<{ name?: string; url?: string }>;
    version?: string;
    updated?: string;
  };
  includes?: Array<{ type?: string; path?: string; uid?: string }>;
  dependencies?: { grafanaDependency?: string };
}

const PLUGIN_TYPES = ['app', 'datasource', 'panel', 'renderer', 'secretsmanager'];
const IMAGE_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml' };
// license: the SPDX families the validator accepts, recognised by their text.
const LICENSE_TEXTS: Array<[string, RegExp]> = [
  ['Apache-2.0', /Apache License\s+Version 2\.0/],
  ['MIT', /Permission is hereby granted, free of charge/],
  ['BSD', /Redistribution and use in source and binary forms/],
  ['AGPL-3.0', /GNU AFFERO GENERAL PUBLIC LICENSE\s+Version 3/],
  ['GPL-3.0', /GNU GENERAL PUBLIC LICENSE\s+Version 3/],
  ['LGPL-3.0', /GNU LESSER GENERAL PUBLIC LICENSE\s+Version 3/],
];
// trackingscripts: a subset of the validator's list of tracking servers (its list.txt).
const TRACKING_SERVERS = ['google-analytics.com', 'googletagmanager.com', 'cdn.segment.com', 'api.segment.io', 'mixpanel.com', 'hotjar.com', 'amplitude.com', 'fullstory.com', 'heapanalytics.com'];

/** Files below `dir` (relative paths), for the rules that look at every file of a kind. */
function walk(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = path.posix.join(rel, e.name);
    return e.isDirectory() ? walk(dir, p) : [p];
  });
}

/** The type a file's first bytes show (what the screenshots analyzer checks, not the extension). */
function sniffImage(file: string): string | undefined {
  const head = readFileSync(file).subarray(0, 512);
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (head.toString('utf8').includes('<svg')) return 'image/svg+xml';
  return undefined;
}

/** unsafesvg: the validator allows only a safe list of SVG elements and attributes. */
function unsafeSvg(text: string): string | undefined {
  if (/<script[\s>]/i.test(text)) return 'a <script> element';
  if (/<foreignObject[\s>]/i.test(text)) return 'a <foreignObject> element';
  if (/\son[a-z]+\s*=/i.test(text)) return 'an event handler attribute (on…=)';
  if (/(?:xlink:)?href\s*=\s*["']\s*(?:javascript|data|https?):/i.test(text)) return 'a link to an external or script URL';
  return undefined;
}

function isAbsoluteHttpUrl(u: string | undefined): boolean {
  return typeof u === 'string' && /^https?:\/\/[^\s/]+/.test(u);
}

export interface PluginDirOptions {
  /** grafana-plugin/ (package.json, src/, .config/): enables the rules that read the source. */
  sourceDir?: string;
}

/** Every offline rule over one built plugin folder (the folder holding plugin.json). */
export function checkPluginDir(dir: string, opts: PluginDirOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const report = (rule: string, message: string, severity: Severity = 'error') => findings.push({ rule, severity, message });
  const file = (p: string) => path.join(dir, p);

  // metadata, metadatavalid: plugin.json present and well formed.
  if (!existsSync(file('plugin.json'))) {
    report('metadatavalid/missing-metadata', 'plugin.json not found');
    return findings;
  }
  let meta: PluginJson;
  try {
    meta = JSON.parse(readFileSync(file('plugin.json'), 'utf8')) as PluginJson;
  } catch (e) {
    report('metadatavalid/invalid-metadata', `plugin.json is not JSON: ${(e as Error).message}`);
    return findings;
  }
  const info = meta.info ?? {};
  if (!meta.type || !PLUGIN_TYPES.includes(meta.type)) report('metadatavalid/invalid-metadata', `plugin.json: type "${meta.type}" is not one of ${PLUGIN_TYPES.join(', ')}`);
  if (!meta.id || !/^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource|secretsmanager)$/.test(meta.id)) report('metadatavalid/invalid-metadata', `plugin.json: id "${meta.id}" is not <org>-<name>-<type>`);
  if (!meta.name) report('metadatavalid/invalid-metadata', 'plugin.json: name is empty');
  if (!info.updated || !/^\d{4}-\d{2}-\d{2}$/.test(info.updated)) report('metadatavalid/invalid-metadata', `plugin.json: info.updated "${info.updated}" is not a date (YYYY-MM-DD; the build fills %TODAY%)`);
  if (!info.author?.name) report('metadatavalid/invalid-metadata', 'plugin.json: info.author.name is empty');

  // typesuffix, pluginname, discoverability
  if (meta.id && meta.type && meta.id.split('-').pop() !== meta.type) report('typesuffix/type-suffix', `plugin.json: id "${meta.id}" must end with its type "-${meta.type}"`);
  if (meta.id && meta.name && meta.id === meta.name) report('pluginname/humane-name', 'plugin.json: name must be a human-friendly name, not the id');
  if (!info.description) report('discoverability/empty-description', 'plugin.json: info.description is empty', 'warning');
  if (!info.keywords?.length) report('discoverability/empty-keywords', 'plugin.json: info.keywords is empty', 'warning');

  // version, grafanadependency, restrictivedep
  if (!info.version || !semver.valid(info.version)) report('version/wrong-plugin-version', `plugin.json: info.version "${info.version}" is not a semantic version (the build fills %VERSION%)`);
  const dep = meta.dependencies?.grafanaDependency ?? '';
  if (!dep || !semver.validRange(dep)) report('grafanadependency/invalid-grafana-dependency', `plugin.json: dependencies.grafanaDependency "${dep}" is not a version constraint`);
  if (/^\d+\.\d+\.x$/.test(dep)) report('restrictivedep/depends-on-patch-releases', `plugin.json: grafanaDependency "${dep}" targets only patch releases`, 'warning');
  if (/^\d+\.\d+\.\d+$/.test(dep)) report('restrictivedep/depends-on-single-release', `plugin.json: grafanaDependency "${dep}" targets a single Grafana release`, 'warning');

  // logos, screenshots, metadatapaths
  const paths: Array<[string, string | undefined]> = [
    ['small logo', info.logos?.small],
    ['large logo', info.logos?.large],
    ...(info.screenshots ?? []).map((s): [string, string | undefined] => [`screenshot "${s.name}"`, s.path]),
  ];
  if (!info.logos?.small?.trim()) report('logos/logos', 'plugin.json: invalid empty small logo path');
  if (!info.logos?.large?.trim()) report('logos/logos', 'plugin.json: invalid empty large logo path');
  if (!info.screenshots?.length) report('screenshots/screenshots', 'plugin.json: should include screenshots for the Plugin catalog', 'warning');
  for (const [kind, p] of paths) {
    if (!p?.trim()) {
      if (kind.startsWith('screenshot')) report('screenshots/screenshots', `plugin.json: invalid empty ${kind} path`, 'warning');
      continue;
    }
    if (/^[a-z]+:/i.test(p)) {
      report('metadatapaths/invalid-relative-path', `plugin.json: ${kind} path must be relative to plugin.json, not a URL: ${p}`);
    } else if (p.startsWith('.') || p.startsWith('/')) {
      report('metadatapaths/path-relative-to-metadata', `plugin.json: ${kind} path must be relative to plugin.json without ./ or /: ${p}`);
    } else if (!existsSync(file(p))) {
      report('metadatapaths/path-not-exists', `plugin.json: ${kind} ${p} does not exist`);
    } else if (kind.startsWith('screenshot')) {
      const expected = IMAGE_TYPES[path.extname(p).toLowerCase()];
      const actual = sniffImage(file(p));
      if (!actual || actual !== expected) report('screenshots/screenshots-image-type', `plugin.json: ${kind} ${p} is ${actual ?? 'not an image'}, its name says ${expected ?? 'an unsupported type'} (png, jpeg, gif, svg)`);
    }
  }

  // brokenlinks (offline half): every link absolute, none relative to the repository.
  if (info.author?.url !== undefined && !isAbsoluteHttpUrl(info.author.url)) report('brokenlinks/broken-link', `plugin.json: info.author.url "${info.author.url}" is not an absolute http(s) URL`);
  for (const l of info.links ?? []) {
    if (!isAbsoluteHttpUrl(l.url)) report('brokenlinks/broken-link', `plugin.json: info.links "${l.name}" has no absolute http(s) URL: ${l.url}`);
  }

  // readme, templatereadme, brokenlinks (README links)
  const readme = existsSync(file('README.md')) ? readFileSync(file('README.md'), 'utf8') : '';
  if (!readme.trim()) {
    report('readme/missing-readme', 'README.md is missing or empty: Grafana shows it in the plugin catalog');
  } else {
    if (/<!--(.*?)-->/s.test(readme)) report('readme/readme-comment', 'README.md contains comment(s)', 'warning');
    if (/Grafana (Panel|Data Source|Datasource|App|Data Source Backend) Plugin Template/i.test(readme)) report('templatereadme/template-readme', 'README.md: uses README from template', 'warning');
    for (const m of readme.matchAll(/\[.+?\]\((.+?)\)/g)) {
      const link = m[1].trim().split(/\s+/)[0];
      if (link.startsWith('#') || link.startsWith('mailto:') || isAbsoluteHttpUrl(link)) continue;
      report('brokenlinks/relative-link', `README.md: convert relative link to absolute: ${link}`, 'warning');
    }
  }

  // license, changelog
  const license = existsSync(file('LICENSE')) ? readFileSync(file('LICENSE'), 'utf8') : '';
  if (!license.trim()) {
    report('license/license-not-provided', 'LICENSE file not found');
  } else {
    if (!LICENSE_TEXTS.some(([, re]) => re.test(license))) report('license/license-not-valid', `LICENSE is none of the accepted licenses (${LICENSE_TEXTS.map(([n]) => n).join(', ')})`);
    if (license.includes('{name of copyright owner}') || license.includes('{yyyy}')) report('license/license-with-generic-text', 'LICENSE still has the template placeholders {yyyy} / {name of copyright owner}', 'warning');
  }
  if (!existsSync(file('CHANGELOG.md')) || !readFileSync(file('CHANGELOG.md'), 'utf8').trim()) report('changelog/missing-changelog', 'CHANGELOG.md is missing or empty', 'warning');

  // modulejs, jssourcemap, trackingscripts, unsafesvg, nestedmetadata
  const files = walk(dir);
  const modules = files.filter((f) => path.posix.basename(f) === 'module.js');
  if (modules.length === 0) report('modulejs/missing-module-js', 'missing module.js');
  for (const m of modules) {
    if (!files.includes(`${m}.map`)) report('jssourcemap/js-map-not-found', `missing ${m}.map: include the generated source maps`);
    const js = readFileSync(file(m), 'utf8');
    for (const server of TRACKING_SERVERS) {
      if (js.includes(server)) report('trackingscripts/tracking-scripts', `${m} contains a tracking script (${server})`);
    }
  }
  for (const svg of files.filter((f) => f.endsWith('.svg'))) {
    const why = unsafeSvg(readFileSync(file(svg), 'utf8'));
    if (why) report('unsafesvg/unsafe-svg-file', `SVG file ${svg} is unsafe: ${why}`);
  }
  const nested = files.filter((f) => f.endsWith('/plugin.json'));
  for (const n of nested) {
    if (!(meta.includes ?? []).some((i) => i.path === n)) report('includesnested/nested-plugins-not-included', `${n} is a nested plugin that plugin.json does not include`);
  }

  findings.push(...checkSignature(dir, meta));
  if (opts.sourceDir) {
    findings.push(...checkSource(dir, opts.sourceDir, meta, modules));
  }
  return findings;
}

/** The signed manifest's body (a PGP clear-signed JSON document), or undefined when it is not one. */
function manifestBody(text: string): { plugin?: string; version?: string; files?: Record<string, string>; signatureType?: string } | undefined {
  const m = /^-----BEGIN PGP SIGNED MESSAGE-----\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n-----BEGIN PGP SIGNATURE-----/.exec(text);
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]) as ReturnType<typeof manifestBody>;
  } catch {
    return undefined;
  }
}

/**
 * signature, offline half: MANIFEST.txt present (an unsigned plugin is reported), naming this
 * plugin and version, every file it lists with that sha256, and not a private signature.
 * Checking the PGP signature itself needs grafana.com's public key: the real validator does it.
 */
function checkSignature(dir: string, meta: PluginJson): Finding[] {
  const file = path.join(dir, 'MANIFEST.txt');
  if (!existsSync(file)) {
    return [{ rule: 'signature/unsigned-plugin', severity: 'error', message: 'unsigned plugin: no MANIFEST.txt (sign with `npx @grafana/sign-plugin`, which needs a Grafana.com access policy token)' }];
  }
  const body = manifestBody(readFileSync(file, 'utf8'));
  if (!body) return [{ rule: 'signature/invalid-signature', severity: 'error', message: 'MANIFEST.txt is not a clear-signed JSON manifest' }];
  const findings: Finding[] = [];
  if (body.plugin !== meta.id || body.version !== meta.info?.version) {
    findings.push({ rule: 'signature/modified-signature', severity: 'error', message: `MANIFEST.txt signs ${body.plugin} ${body.version}, plugin.json is ${meta.id} ${meta.info?.version}` });
  }
  for (const [rel, hash] of Object.entries(body.files ?? {})) {
    const f = path.join(dir, rel);
    const actual = existsSync(f) ? createHash('sha256').update(readFileSync(f)).digest('hex') : undefined;
    if (actual !== hash) findings.push({ rule: 'signature/modified-signature', severity: 'error', message: `plugin has been modified since it was signed: ${rel} ${actual ? 'differs from its signed hash' : 'is missing'}` });
  }
  if (body.signatureType === 'private') findings.push({ rule: 'signature/private-signature', severity: 'error', message: 'MANIFEST.txt: should be signed under community or commercial signature level (a private signature is for one Grafana URL)' });
  return findings;
}

/** The rules that compare the build with the source it came from. */
function checkSource(dir: string, sourceDir: string, meta: PluginJson, modules: string[]): Finding[] {
  const findings: Finding[] = [];
  const report = (rule: string, message: string, severity: Severity = 'error') => findings.push({ rule, severity, message });

  // buildtools: create-plugin's frontend tooling, recognised by its webpack config.
  const webpack = path.join(sourceDir, '.config', 'webpack', 'webpack.config.ts');
  if (!existsSync(webpack) || !readFileSync(webpack, 'utf8').includes('@grafana/create-plugin')) {
    report('buildtools/non-standard-frontend-build-tooling', 'non-standard frontend build tooling: .config/webpack/webpack.config.ts does not name @grafana/create-plugin');
  }
  // packagejson: the source's version is the plugin's.
  try {
    const pkg = JSON.parse(readFileSync(path.join(sourceDir, 'package.json'), 'utf8')) as { version?: string };
    if (pkg.version !== meta.info?.version) report('packagejson/packagecode-version-mismatch', `The version in package.json (${pkg.version}) doesn't match the version in plugin.json (${meta.info?.version})`);
  } catch {
    report('packagejson/packagejson-not-found', `Could not find or parse package.json in ${sourceDir}`);
  }
  // jssourcemap: the maps' sources are the source code (the validator diffs them).
  for (const m of modules) {
    const mapFile = path.join(dir, `${m}.map`);
    if (!existsSync(mapFile)) continue;
    const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; sourcesContent?: string[] };
    const prefix = `webpack://${meta.id}/./`;
    const own = map.sources.map((s, i) => [s, map.sourcesContent?.[i]] as const).filter(([s]) => s.startsWith(prefix) && !s.includes('node_modules'));
    if (own.length === 0) report('jssourcemap/js-map-invalid', `${m}.map names none of the plugin's own sources (${prefix}…)`);
    for (const [s, content] of own) {
      const src = path.join(sourceDir, 'src', s.slice(prefix.length));
      if (!existsSync(src) || !statSync(src).isFile() || readFileSync(src, 'utf8') !== content) {
        report('jssourcemap/js-map-invalid', `${m}.map: ${s} differs from src/${s.slice(prefix.length)} (rebuild after changing the source)`);
      }
    }
  }
  return findings;
}

/** pipewarden's own rule, from issue 19: dashboards have one owner (see .config/webpack/pluginJson.ts). */
export function checkDashboardOwner(dir: string, provisionedDashboards: string): Finding[] {
  const meta = JSON.parse(readFileSync(path.join(dir, 'plugin.json'), 'utf8')) as PluginJson;
  const provisioned = existsSync(provisionedDashboards)
    ? readdirSync(provisionedDashboards)
        .filter((f) => f.endsWith('.json'))
        .map((f) => (JSON.parse(readFileSync(path.join(provisionedDashboards, f), 'utf8')) as { uid?: string }).uid)
    : [];
  return (meta.includes ?? [])
    .filter((i) => i.type === 'dashboard')
    .flatMap((i) => {
      const json = i.path && existsSync(path.join(dir, i.path)) ? (JSON.parse(readFileSync(path.join(dir, i.path), 'utf8')) as { uid?: string; revision?: number }) : {};
      const out: Finding[] = [];
      if (json.uid && provisioned.includes(json.uid)) {
        out.push({ rule: 'pipewarden/dashboard-one-owner', severity: 'error', message: `${i.path} (uid ${json.uid}) is both included by the app and file-provisioned: Grafana's app dashboard updater overwrites and deletes it` });
      }
      if (typeof json.revision !== 'number') out.push({ rule: 'pipewarden/dashboard-revision', severity: 'error', message: `${i.path} has no revision: the app's dashboard updater cannot tell a newer one` });
      return out;
    });
}

/** archive, archivename: the zip holds one folder named after the plugin id, not dist/. */
export function checkArchiveRoot(extracted: string): { findings: Finding[]; pluginDir?: string } {
  const entries = readdirSync(extracted, { withFileTypes: true });
  if (entries.length === 0) return { findings: [{ rule: 'archive/empty-archive', severity: 'error', message: 'the archive is empty' }] };
  if (entries.length !== 1) return { findings: [{ rule: 'archive/more-than-one-dir', severity: 'error', message: `the archive holds ${entries.length} entries at its top; it should hold one folder named after the plugin id` }] };
  if (!entries[0].isDirectory()) return { findings: [{ rule: 'archive/no-root-dir', severity: 'error', message: 'the archive does not contain a root directory' }] };
  const root = path.join(extracted, entries[0].name);
  const findings: Finding[] = [];
  if (existsSync(path.join(root, 'dist'))) findings.push({ rule: 'archive/dist', severity: 'error', message: 'dist should be renamed to plugin id and moved to root' });
  const pluginJson = path.join(root, 'plugin.json');
  const id = existsSync(pluginJson) ? (JSON.parse(readFileSync(pluginJson, 'utf8')) as PluginJson).id : undefined;
  if (id && entries[0].name !== id) findings.push({ rule: 'archivename/no-ident-root-dir', severity: 'error', message: `the archive's top folder is "${entries[0].name}", the plugin id is "${id}"` });
  return { findings, pluginDir: root };
}
