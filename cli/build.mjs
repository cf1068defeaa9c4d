#!/usr/bin/env node
// Build the shipped CLI: every workspace and every third-party module bundled by esbuild
// into dist/pipewarden.cjs (plus dist/s3rver.cjs, the S3 server `pipewarden up` spawns).
// Why esbuild and one bundle (measured on this 2-core machine, `pipewarden --help`):
// tsx compiles the TypeScript at every start (about 0.9 s); a bundle starts in a fraction of
// that, builds in about a second, and needs no dependency installed next to it, so
// `npm install -g pipewarden-*.tgz` works without a registry. tsc would have emitted one
// file per module and still needed node_modules at run time.
//
// The bundle lives in <package>/dist/, beside the folders that travel with it (core/spec,
// loader/spark, provisioning). Code that finds those through `__dirname` keeps working:
// each of our modules sees the folder it has in the repository, under the package root.
import { readFileSync } from 'node:fs';
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
        .replace(/require\.resolve\('s3rver\/bin\/s3rver\.js'\)/g, 'require("node:path").join(__pipewarden_root, "dist", "s3rver.cjs")');
      return { contents: source, loader: 'ts' };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};

await esbuild.build({
  ...common,
  entryPoints: [join(ROOT, 'cli', 'src', 'main.ts')],
  outfile: join(OUT, 'pipewarden.cjs'),
  plugins: [packageLayout],
  define: { __PIPEWARDEN_BUILD__: JSON.stringify(build) },
  banner: {
    js: [
      '#!/usr/bin/env -S node --max-semi-space-size=4', // as cli/bin/pipewarden.cjs, which says why
      '{',
      readFileSync(join(ROOT, 'cli', 'bin', 'quiet-warnings.cjs'), 'utf8'),
      '}',
      'var __pipewarden_root = require("node:path").resolve(__dirname, "..");',
    ].join('\n'),
  },
});
await esbuild.build({ ...common, entryPoints: [join(ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js')], outfile: join(OUT, 's3rver.cjs') });
process.stdout.write(`built dist/pipewarden.cjs ${build.version} (${build.revision})\n`);
