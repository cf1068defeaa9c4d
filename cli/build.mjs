#!/usr/bin/env node
// Build the shipped CLI: every workspace and every third-party module bundled by esbuild
// into two files, dist/pipewarden.cjs (the start-up path: commander and the command
// definitions) and dist/lib.cjs (everything cli/src/lazy.ts loads when a command runs), plus
// dist/s3rver.cjs, the S3 server `pipewarden up` spawns.
// Why esbuild and bundles (measured on this 2-core machine, bench/startup.ts): tsx compiles
// the TypeScript at start (0.9 s for --help before the CLI loaded its modules lazily); a
// bundle builds in about a second and needs no dependency installed next to it, so
// `npm install -g pipewarden-*.tgz` works without a registry. tsc would have emitted one file
// per module and still needed node_modules at run time. The split keeps `--help` from
// compiling the 3.8 MB of the services.
//
// The bundles live in <package>/dist/, beside the folders that travel with them (core/spec,
// loader/src/engine/spark/job, provisioning). Code that finds those through `__dirname` keeps working:
// each of our modules sees the folder it has in the repository, under the package root.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { require as tsxRequire } from 'tsx/cjs/api';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist');

// What `pipewarden --version` and /status report, read by core's own code (a clone's answer).
const { buildInfo } = tsxRequire('../core/src/version.ts', import.meta.url);
const build = buildInfo();

/** Our modules' `__dirname`, `require.main === module` and the s3rver path, made true in the bundle. */
const packageLayout = {
  name: 'package-layout',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const dir = relative(ROOT, dirname(args.path));
      const source = readFileSync(args.path, 'utf8')
        .replace(/\b__dirname\b/g, () => `require("node:path").join(__pipewarden_root, ${JSON.stringify(dir)})`)
        // Only the bundle's entry is the main module; a script's `if (require.main === module)` must not run.
        .replace(/require\.main === module/g, 'false')
        .replace(/require\.resolve\('\.\.\/\.\.\/bin\/s3rver\.cjs'\)/g, 'require("node:path").join(__pipewarden_root, "dist", "s3rver.cjs")');
      return { contents: source, loader: 'ts' };
    });
  },
};

// The modules cli/src/lazy.ts requires: they go to dist/lib.cjs, loaded on first use.
const LAZY = join(ROOT, 'cli', 'src', 'lazy.ts');
const lazyIds = [...readFileSync(LAZY, 'utf8').matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]);
const LIB_PATH = 'require("node:path").join(__pipewarden_root, "dist", "lib.cjs")';

/** In the start-up bundle, lazy.ts's requires go to dist/lib.cjs instead of being bundled. */
const toLib = {
  name: 'to-lib',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => (args.importer === LAZY && lazyIds.includes(args.path) ? { path: args.path, namespace: 'pipewarden-lib' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'pipewarden-lib' }, (args) => ({ contents: `module.exports = require(${LIB_PATH})(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

const ROOT_VAR = 'var __pipewarden_root = require("node:path").resolve(__dirname, "..");';
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none', // the licenses go to dist/THIRD-PARTY-NOTICES.txt instead (below)
  metafile: true,
  logLevel: 'warning',
};

const results = [];
results.push(await esbuild.build({
  ...common,
  entryPoints: [join(ROOT, 'cli', 'src', 'main.ts')],
  outfile: join(OUT, 'pipewarden.cjs'),
  plugins: [toLib, packageLayout],
  define: { __PIPEWARDEN_BUILD__: JSON.stringify(build) },
  banner: {
    js: [
      '#!/usr/bin/env -S node --max-semi-space-size=4', // as cli/bin/pipewarden.cjs, which says why
      '{',
      readFileSync(join(ROOT, 'cli', 'bin', 'quiet-warnings.cjs'), 'utf8'),
      '}',
      ROOT_VAR,
    ].join('\n'),
  },
}));
results.push(await esbuild.build({
  ...common,
  stdin: {
    // One function per module, so that a command initializes only what it uses.
    contents: `const modules = {${lazyIds.map((id) => `${JSON.stringify(id)}: () => require(${JSON.stringify(id)})`).join(', ')}};\nmodule.exports = (id) => modules[id]();`,
    resolveDir: dirname(LAZY),
    sourcefile: 'lib.js',
    loader: 'js',
  },
  outfile: join(OUT, 'lib.cjs'),
  plugins: [packageLayout],
  define: { __PIPEWARDEN_BUILD__: JSON.stringify(build) },
  banner: { js: ROOT_VAR },
}));
results.push(await esbuild.build({ ...common, entryPoints: [join(ROOT, 'scripts', 'bin', 's3rver.cjs')], outfile: join(OUT, 's3rver.cjs') }));

/**
 * The bundles carry third-party code, whose licenses (MIT, ISC, Apache-2.0, BSD…) ask that
 * their notices travel with it: one file naming every bundled package, its version and
 * license, with its license text. Packages come from the bundles' inputs (esbuild's metafile).
 */
function thirdPartyNotices() {
  const packages = new Map();
  for (const r of results) {
    for (const input of Object.keys(r.metafile.inputs)) {
      const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.slice(input.lastIndexOf('node_modules/')));
      if (!m) continue;
      const dir = join(ROOT, input.slice(0, input.lastIndexOf('node_modules/')), 'node_modules', m[1]);
      if (packages.has(dir) || !existsSync(join(dir, 'package.json'))) continue;
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const licenseFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying|notice)(\.|$)/i.test(f));
      packages.set(dir, { name: pkg.name, version: pkg.version, license: typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'see the package'), text: licenseFile ? readFileSync(join(dir, licenseFile), 'utf8').trim() : undefined });
    }
  }
  const list = [...packages.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  const head = `pipewarden ${build.version} bundles the following third-party packages into dist/*.cjs.\n`;
  return head + list.map((p) => `\n${'='.repeat(72)}\n${p.name} ${p.version} (${p.license})\n${'='.repeat(72)}\n${p.text ?? `(no license file in the package; its package.json says ${p.license})`}\n`).join('');
}
writeFileSync(join(OUT, 'THIRD-PARTY-NOTICES.txt'), thirdPartyNotices());
process.stdout.write(`built dist/pipewarden.cjs ${build.version} (${build.revision})\n`);
