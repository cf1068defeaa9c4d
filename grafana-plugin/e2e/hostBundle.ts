// Bundles e2e/host/shared.tsx (Grafana's shared modules + the host page logic) from one leg's
// packages (e2e/legs.ts), so the host hands the plugin the React and @grafana/* of that Grafana
// line. Cached per leg by the lock file and the source, since @grafana/ui is large.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

import type { Leg } from './legs';

const ROOT = path.resolve(__dirname, '..');

// Modules that must exist once in the page and come from the leg: React (and its runtimes),
// react-dom, and Grafana's packages. Everything that imports them, wherever npm placed it
// (packages hoisted to grafana-plugin/node_modules included), gets the leg's copy; otherwise
// a hoisted library would pull the plugin's own React 18 into a React 19 page.
// react-router-dom-v5-compat is what Grafana shares as 'react-router' (a dependency of @grafana/ui).
const LEG_SINGLETONS = /^(react|react-dom|scheduler|@grafana\/[^/]+|react-router-dom-v5-compat)(\/.*)?$/;

function fromLeg(leg: Leg): Plugin {
  return {
    name: 'shared-modules-from-leg',
    setup(b) {
      b.onResolve({ filter: LEG_SINGLETONS }, (args) => {
        if (args.pluginData === 'from-leg') {
          return undefined;
        }
        // From @grafana/ui's folder the search walks up through the leg's node_modules, then
        // grafana-plugin/node_modules for what the leg shares with the plugin.
        return b.resolve(args.path, { kind: args.kind, resolveDir: leg.grafanaUiDir, pluginData: 'from-leg' });
      });
    },
  };
}

export async function buildHostBundle(leg: Leg): Promise<string> {
  const entry = path.join(__dirname, 'host', 'shared.tsx');
  const hash = createHash('sha256').update(readFileSync(path.join(ROOT, 'package-lock.json'))).update(readFileSync(__filename));
  // Every file of the host page, not only its entry.
  for (const f of readdirSync(path.dirname(entry)).sort()) {
    hash.update(f).update(readFileSync(path.join(path.dirname(entry), f)));
  }
  const key = hash.digest('hex').slice(0, 16);
  const dir = path.join(__dirname, '.cache');
  const out = path.join(dir, `host-${leg.name}-${key}.js`);
  if (existsSync(out)) {
    return out;
  }
  mkdirSync(dir, { recursive: true });
  const prefix = `host-${leg.name}-`;
  for (const old of readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.js'))) {
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
    plugins: [fromLeg(leg)],
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
    // Styles and fonts of components the plugin does not use (code editors, maps).
    loader: { '.css': 'empty', '.woff': 'empty', '.woff2': 'empty', '.ttf': 'empty', '.svg': 'empty' },
  });
  return out;
}
