// Bundles e2e/host/shared.tsx (Grafana's shared modules + the host page logic) from
// grafana-plugin/node_modules, so the host hands the plugin the very versions it was
// built against. Cached by the lock file and the source, since @grafana/ui is large.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');

export async function buildHostBundle(): Promise<string> {
  const entry = path.join(__dirname, 'host', 'shared.tsx');
  const hash = createHash('sha256')
    .update(readFileSync(path.join(ROOT, 'package-lock.json')))
    .update(readFileSync(entry))
    .update(readFileSync(__filename))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(__dirname, '.cache');
  const out = path.join(dir, `host-${hash}.js`);
  if (existsSync(out)) {
    return out;
  }
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir).filter((f) => /^host-.*\.js$/.test(f))) {
    rmSync(path.join(dir, old));
  }
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    logLevel: 'error',
    nodePaths: [path.join(ROOT, 'node_modules')],
    // What Grafana shares as 'react-router'; only @grafana/ui depends on it, so it is nested there.
    alias: { 'react-router-dom-v5-compat': path.join(ROOT, 'node_modules', '@grafana', 'ui', 'node_modules', 'react-router-dom-v5-compat') },
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
    // Styles and fonts of components the plugin does not use (code editors, maps).
    loader: { '.css': 'empty', '.woff': 'empty', '.woff2': 'empty', '.ttf': 'empty', '.svg': 'empty' },
  });
  return out;
}
