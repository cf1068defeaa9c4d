// The build's check against bundled copies of Grafana's shared modules, on real webpack builds
// of a small entry that uses the automatic JSX runtime the way @tanstack/react-query does.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import webpack, { type Configuration } from 'webpack';

import { externals } from '../bundler/externals';
import { ALLOWED_GRAFANA_PACKAGES, bundledSharedModules, mustBeGrafanas, packageOf, providedByGrafana, SharedModulesCheckPlugin } from './sharedModules';

const NODE_MODULES = path.resolve(__dirname, '..', '..', 'node_modules');

const LEG_REACT_19 = path.resolve(__dirname, '..', '..', 'e2e', 'legs', 'grafana-13.2', 'node_modules');

/** A production webpack build of the entry; its errors, and its AMD output when it emitted one. */
function build(withExternals: Configuration['externals'], opts: { check?: boolean } = {}): Promise<{ errors: string[]; code?: string }> {
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
        plugins: opts.check === false ? [] : [new SharedModulesCheckPlugin()],
      },
      (err, stats) => {
        const out = path.join(dir, 'dist', 'main.js');
        const code = existsSync(out) ? readFileSync(out, 'utf8') : undefined;
        rmSync(dir, { recursive: true, force: true });
        if (err || !stats) {
          return reject(err ?? new Error('no stats'));
        }
        resolve({ errors: stats.compilation.errors.map((e) => e.message), code });
      }
    );
  });
}

/**
 * Evaluate an AMD module the way Grafana's loader does, handing it the host's modules by name:
 * here Grafana 13.2's React 19 (the e2e leg's real packages, not stand-ins).
 */
function loadAmd(code: string, host: Record<string, unknown>): { plugin: () => unknown } {
  let exported: unknown;
  const define = (deps: string[], factory: (...mods: unknown[]) => unknown) => {
    exported = factory(
      ...deps.map((d) => {
        if (!(d in host)) {
          throw new Error(`the module asks the host for ${d}`);
        }
        return host[d];
      })
    );
  };
  new Function('define', code)(Object.assign(define, { amd: true }));
  return exported as { plugin: () => unknown };
}

function react19Host(): Record<string, unknown> {
  const req = (m: string) => require(path.join(LEG_REACT_19, m));
  const react = req('react');
  expect(react.version).toMatch(/^19\./);
  return { react, 'react/jsx-runtime': req('react/jsx-runtime'), 'react/jsx-dev-runtime': req('react/jsx-dev-runtime'), module: {} };
}

describe('SharedModulesCheckPlugin', () => {
  const withoutJsxRuntimes = (externals as unknown[]).filter((e) => e !== 'react/jsx-runtime' && e !== 'react/jsx-dev-runtime') as Configuration['externals'];

  test('fails a build that bundles React 18 JSX runtime (the externals before issue 14)', async () => {
    const { errors } = await build(withoutJsxRuntimes);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/its own copy of modules Grafana provides: react \(node_modules\/react\/jsx-runtime\.js\)/);
    expect(errors[1]).toMatch(/main\.js contains React's internals \(ReactCurrentOwner/);
  }, 60_000);

  test("passes with create-plugin's externals: the JSX runtime comes from Grafana", async () => {
    expect((await build(externals)).errors).toEqual([]);
  }, 60_000);

  test("under React 19 (Grafana 13.2), the module built with the old externals throws while loading; with create-plugin's it loads and renders", async () => {
    // What issue 14 saw in Grafana 13.2, without the check that now stops such a build.
    const before = await build(withoutJsxRuntimes, { check: false });
    expect(() => loadAmd(before.code!, react19Host())).toThrow(/ReactCurrentOwner/);

    const after = await build(externals);
    const host = react19Host();
    const { renderToStaticMarkup } = require(path.join(LEG_REACT_19, 'react-dom', 'server'));
    expect(renderToStaticMarkup(loadAmd(after.code!, host).plugin())).toBe('<div>ok</div>');
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
