// The build's check against bundled copies of Grafana's shared modules, on real webpack builds
// of a small entry that uses the automatic JSX runtime the way @tanstack/react-query does.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import webpack, { type Configuration } from 'webpack';

import { externals } from '../bundler/externals';
import { ALLOWED_GRAFANA_PACKAGES, bundledSharedModules, mustBeGrafanas, packageOf, providedByGrafana, SharedModulesCheckPlugin } from './sharedModules';

const NODE_MODULES = path.resolve(__dirname, '..', '..', 'node_modules');

function build(withExternals: Configuration['externals']): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-shared-modules-'));
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'src', 'module.js'), "import { jsx } from 'react/jsx-runtime';\nexport const plugin = () => jsx('div', { children: 'ok' });\n");
  return new Promise((resolve, reject) => {
    webpack(
      {
        mode: 'production',
        context: path.join(dir, 'src'),
        entry: './module.js',
        externals: withExternals,
        output: { path: path.join(dir, 'dist'), library: { type: 'amd' } },
        resolve: { modules: [NODE_MODULES] },
        plugins: [new SharedModulesCheckPlugin()],
      },
      (err, stats) => {
        rmSync(dir, { recursive: true, force: true });
        if (err || !stats) {
          return reject(err ?? new Error('no stats'));
        }
        resolve(stats.compilation.errors.map((e) => e.message));
      }
    );
  });
}

describe('SharedModulesCheckPlugin', () => {
  test('fails a build that bundles React 18 JSX runtime (the externals before issue 14)', async () => {
    const withoutJsxRuntimes = (externals as unknown[]).filter((e) => e !== 'react/jsx-runtime' && e !== 'react/jsx-dev-runtime') as Configuration['externals'];
    const errors = await build(withoutJsxRuntimes);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/its own copy of modules Grafana provides: react \(node_modules\/react\/jsx-runtime\.js\)/);
    expect(errors[1]).toMatch(/main\.js contains React's internals \(ReactCurrentOwner/);
  }, 60_000);

  test("passes with create-plugin's externals: the JSX runtime comes from Grafana", async () => {
    expect(await build(externals)).toEqual([]);
  }, 60_000);
});

describe('which files are copies of shared modules', () => {
  test('package names from paths, scoped or not', () => {
    expect(packageOf('/p/node_modules/react/cjs/react-jsx-runtime.production.min.js')).toBe('react');
    expect(packageOf('/p/node_modules/@tanstack/react-query/build/modern/index.js')).toBe('@tanstack/react-query');
    expect(packageOf('/p/node_modules/a/node_modules/@grafana/data/dist/index.js')).toBe('@grafana/data');
    expect(packageOf('/p/src/module.tsx')).toBeUndefined();
  });

  test("create-plugin's externals: Grafana's packages are shared, the app's own libraries are bundled", () => {
    for (const pkg of ['react', 'react-dom', 'react-router', 'rxjs', '@emotion/css', '@grafana/ui', '@grafana/data', '@grafana/runtime']) {
      expect([pkg, providedByGrafana(pkg, externals)]).toEqual([pkg, true]);
    }
    for (const pkg of ['@tanstack/react-query', 'react-router-dom', 'tslib']) {
      expect([pkg, providedByGrafana(pkg, externals)]).toEqual([pkg, false]);
    }
    const files = ['/p/node_modules/@tanstack/query-core/build/index.js', '/p/node_modules/react/index.js', '/p/node_modules/react/cjs/react.production.min.js'];
    expect(bundledSharedModules(files, externals)).toEqual(['react (node_modules/react/index.js)']);
  });

  test('a package Grafana must provide is caught even when the externals lost it', () => {
    const withoutData = (externals as unknown[]).filter((e) => !(e instanceof RegExp && e.source.includes('data'))) as Configuration['externals'];
    expect(providedByGrafana('@grafana/data', withoutData)).toBe(false);
    const files = ['/p/node_modules/@grafana/data/dist/esm/index.mjs', '/p/node_modules/@grafana/scenes/dist/index.js', '/p/node_modules/@grafana/i18n/dist/index.js', '/p/node_modules/@emotion/cache/dist/x.js'];
    expect(bundledSharedModules(files, withoutData)).toEqual(['@grafana/data (node_modules/@grafana/data/dist/esm/index.mjs)', '@emotion/cache (node_modules/@emotion/cache/dist/x.js)']);
    for (const pkg of ['@grafana/ui', '@grafana/runtime', '@grafana/data', '@grafana/some-new-shared-package', 'react-dom', 'rxjs', '@emotion/react']) {
      expect([pkg, mustBeGrafanas(pkg)]).toEqual([pkg, true]);
    }
    for (const pkg of [...ALLOWED_GRAFANA_PACKAGES, '@tanstack/react-query', 'react-router-dom', 'react-use']) {
      expect([pkg, mustBeGrafanas(pkg)]).toEqual([pkg, false]);
    }
  });
});
