// Fails the build when dist/module.js would carry its own copy of a module Grafana provides to
// plugins (React and its JSX runtimes, react-dom, react-router, @grafana/*, rxjs, emotion...).
// Such a copy is not merely bigger: it runs against Grafana's instances of the rest, so a bundled
// React 18 JSX runtime throws while the module loads in a Grafana with React 19 (issue 14).
// "Provided by Grafana" is create-plugin's externals list (.config/bundler/externals.ts), so the
// check and the externals cannot disagree, and, independently of that list, the packages
// whose instance must be Grafana's (MUST_BE_GRAFANAS): an external dropped from the list, or
// a @grafana package Grafana starts to share, then fails the build instead of being bundled
// quietly. It covers both ways a copy gets in:
//  - a module of such a package in the module graph (a missing external),
//  - React's internals inside another package's prebuilt file (a library that bundled React).
import type { Compiler, Configuration, Module } from 'webpack';

const NAME = 'SharedModulesCheck';

/** Names that only React's own implementation (react, react-dom, the JSX runtimes) contains. */
export const REACT_INTERNALS = [
  'ReactCurrentOwner',
  '__SECRET_INTERNALS_DO_NOT_USE_OR_YOU_WILL_BE_FIRED',
  '__CLIENT_INTERNALS_DO_NOT_USE_OR_WARN_USERS_THEY_CANNOT_UPGRADE',
];

/** The npm package a file belongs to ('react' for .../node_modules/react/cjs/x.js), or undefined outside node_modules. */
export function packageOf(resource: string): string | undefined {
  const parts = resource.split(/[\\/]/);
  const i = parts.lastIndexOf('node_modules');
  if (i < 0 || i + 1 >= parts.length) {
    return undefined;
  }
  return parts[i + 1].startsWith('@') ? `${parts[i + 1]}/${parts[i + 2]}` : parts[i + 1];
}

/** Whether the externals (strings and regular expressions; functions are ignored) cover a package. */
export function providedByGrafana(pkg: string, externals: Configuration['externals']): boolean {
  const items = Array.isArray(externals) ? externals : [externals];
  return items.some((item) => (typeof item === 'string' ? item === pkg || item.startsWith(`${pkg}/`) : item instanceof RegExp ? item.test(pkg) : false));
}

/**
 * Packages a plugin must take from Grafana whatever the externals say: one React (and its
 * renderer and router) per page, one rxjs for Grafana's observables, one emotion cache for
 * the theme, and every @grafana package but those Grafana does not share (ALLOWED_GRAFANA_PACKAGES).
 */
const MUST_BE_GRAFANAS = [/^react$/, /^react-dom$/, /^react-router$/, /^rxjs$/, /^@emotion\//, /^@grafana\//];

/**
 * @grafana packages an app bundles, because Grafana does not hand them to plugins (they are
 * not among create-plugin's externals): Scenes and its React bindings (each app brings its own
 * Scenes, as Grafana's Scenes docs say) with plugin-compat (Scenes' shims over host APIs that
 * differ between Grafana versions, made to be bundled), i18n (create-plugin bundles it), and
 * the data-only schema and e2e-selectors packages (types and constants, no state to share).
 */
export const ALLOWED_GRAFANA_PACKAGES = ['@grafana/scenes', '@grafana/scenes-react', '@grafana/plugin-compat', '@grafana/i18n', '@grafana/schema', '@grafana/e2e-selectors'];

/** Whether a package's instance must be Grafana's, independently of the externals list. */
export function mustBeGrafanas(pkg: string): boolean {
  return MUST_BE_GRAFANAS.some((re) => re.test(pkg)) && !ALLOWED_GRAFANA_PACKAGES.includes(pkg);
}

/** Bundled files of packages Grafana provides (by the externals, or by MUST_BE_GRAFANAS), as "package (file)" lines. */
export function bundledSharedModules(resources: string[], externals: Configuration['externals']): string[] {
  const found = new Map<string, string>();
  for (const resource of resources) {
    const pkg = packageOf(resource);
    if (pkg && !found.has(pkg) && (providedByGrafana(pkg, externals) || mustBeGrafanas(pkg))) {
      found.set(pkg, resource.slice(resource.lastIndexOf('node_modules')));
    }
  }
  return [...found].map(([pkg, file]) => `${pkg} (${file})`);
}

function resourceOf(m: Module): string | undefined {
  const resource = (m as Module & { resource?: unknown }).resource;
  return typeof resource === 'string' ? resource : undefined;
}

export class SharedModulesCheckPlugin {
  apply(compiler: Compiler): void {
    const externals = compiler.options.externals;
    compiler.hooks.thisCompilation.tap(NAME, (compilation) => {
      const fail = (message: string) => compilation.errors.push(new compiler.webpack.WebpackError(message));
      compilation.hooks.finishModules.tap(NAME, (modules) => {
        const resources = [...modules].map(resourceOf).filter((r): r is string => r !== undefined);
        const bundled = bundledSharedModules(resources, externals);
        if (bundled.length > 0) {
          fail(
            `the bundle would contain its own copy of modules Grafana provides: ${bundled.join(', ')}. ` +
              'Grafana shares these with plugins at run time; a bundled copy breaks on a Grafana with other versions ' +
              '(e.g. React 19 from Grafana 13.2). Import them only through names the externals cover (.config/bundler/externals.ts).'
          );
        }
      });
      compilation.hooks.processAssets.tap({ name: NAME, stage: compiler.webpack.Compilation.PROCESS_ASSETS_STAGE_ANALYSE }, (assets) => {
        for (const [file, source] of Object.entries(assets)) {
          if (!file.endsWith('.js')) {
            continue;
          }
          const text = source.source().toString();
          const hits = REACT_INTERNALS.filter((name) => text.includes(name));
          if (hits.length > 0) {
            fail(`${file} contains React's internals (${hits.join(', ')}): a copy of React is in the bundle, from a missing external or a library that inlined React. Grafana provides React.`);
          }
        }
      });
    });
  }
}
