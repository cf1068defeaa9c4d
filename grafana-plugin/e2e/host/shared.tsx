// The browser side of the e2e host: a stand-in for the parts of Grafana that load and run
// an app plugin. It provides Grafana's shared modules (those of create-plugin's externals,
// .config/bundler/externals.ts, that the app uses), bundled from one Grafana line's packages
// (e2e/hostBundle.ts), loads the BUILT dist/module.js through an AMD `define`
// the way Grafana's SystemJS does, gives @grafana/runtime a BackendSrv over window.fetch,
// and mounts the app's root page under /a/<id>/* and its config page under /plugins/<id>.
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import type { AppPlugin, AppPluginMeta, KeyValue } from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaRuntimeUnstable from '@grafana/runtime/unstable';
import type { BackendSrv, BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as i18next from 'i18next';
import * as lodash from 'lodash';
import * as React from 'react';
import * as jsxDevRuntime from 'react/jsx-dev-runtime';
import * as jsxRuntime from 'react/jsx-runtime';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as ReactRouterCompat from 'react-router-dom-v5-compat';
import { BrowserRouter, Route, Routes } from 'react-router-dom';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';

import { installSceneRuntime } from './prometheus';

const SHARED: Record<string, unknown> = {
  react: React,
  'react/jsx-runtime': jsxRuntime,
  'react/jsx-dev-runtime': jsxDevRuntime,
  'react-dom': ReactDOM,
  // Grafana exposes react-router-dom-v5-compat (which re-exports react-router v6) under this
  // name; the plugin bundles react-router-dom v6 on top. Same here, from @grafana/ui's copy.
  'react-router': ReactRouterCompat,
  rxjs,
  'rxjs/operators': rxjsOperators,
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/runtime/unstable': grafanaRuntimeUnstable,
  i18next,
  lodash,
};

type AmdDefine = ((deps: string[], factory: (...mods: unknown[]) => unknown) => void) & { amd?: object };

/** Loads an AMD module like Grafana does, failing loudly on a dependency Grafana would not provide. */
function loadAmdModule(url: string): Promise<{ plugin: AppPlugin }> {
  return new Promise((resolve, reject) => {
    const define: AmdDefine = (deps, factory) => {
      const missing = deps.filter((d) => !(d in SHARED));
      if (missing.length > 0) {
        reject(new Error(`${url} asks for ${missing.join(', ')}, which Grafana does not provide to plugins: bundle it (it is not in .config/bundler/externals.ts)`));
        return;
      }
      try {
        resolve(factory(...deps.map((d) => SHARED[d])) as { plugin: AppPlugin });
      } catch (e) {
        reject(e);
      }
    };
    define.amd = {};
    (window as unknown as { define: AmdDefine }).define = define;
    const script = document.createElement('script');
    script.src = url;
    script.onerror = () => reject(new Error(`cannot load ${url}`));
    document.head.appendChild(script);
  });
}

/** Enough of Grafana's BackendSrv for plugins: fetch() as an Observable, errors as FetchError. */
function hostBackendSrv(): BackendSrv {
  const fetchObs = <T,>(options: BackendSrvRequest): rxjs.Observable<FetchResponse<T>> =>
    new rxjs.Observable<FetchResponse<T>>((sub) => {
      const ctrl = new AbortController();
      const url = new URL(options.url, document.baseURI);
      for (const [k, v] of Object.entries(options.params ?? {})) {
        url.searchParams.set(k, String(v));
      }
      const method = options.method ?? 'GET';
      fetch(url, {
        method,
        signal: ctrl.signal,
        credentials: 'same-origin',
        headers: options.data !== undefined ? { 'Content-Type': 'application/json' } : undefined,
        body: options.data !== undefined ? JSON.stringify(options.data) : undefined,
      })
        .then(async (res) => {
          const text = await res.text();
          let data: unknown = text;
          try {
            data = text ? JSON.parse(text) : '';
          } catch {
            // not JSON: keep the text, as Grafana does
          }
          if (!res.ok) {
            sub.error({ status: res.status, statusText: res.statusText, data, config: options });
            return;
          }
          sub.next({ data: data as T, status: res.status, statusText: res.statusText, ok: true, headers: res.headers, redirected: res.redirected, type: res.type, url: res.url, config: options });
          sub.complete();
        })
        .catch((e) => sub.error({ status: 0, statusText: String(e), data: '', config: options }));
      return () => ctrl.abort();
    });
  const promise = <T,>(options: BackendSrvRequest) => rxjs.lastValueFrom(fetchObs<T>(options)).then((r) => r.data);
  return {
    fetch: fetchObs,
    get: (url: string, params?: KeyValue) => promise({ url, params }),
    post: (url: string, data?: unknown) => promise({ url, method: 'POST', data }),
    put: (url: string, data?: unknown) => promise({ url, method: 'PUT', data }),
    patch: (url: string, data?: unknown) => promise({ url, method: 'PATCH', data }),
    delete: (url: string, data?: unknown) => promise({ url, method: 'DELETE', data }),
    request: (options: BackendSrvRequest) => promise(options),
    datasourceRequest: (options: BackendSrvRequest) => rxjs.lastValueFrom(fetchObs(options)),
    chunked: () => {
      throw new Error('not in the e2e host');
    },
  } as unknown as BackendSrv;
}

/** Grafana's theme for the signed-in user: bootData.user.lightTheme, as Grafana decides it. */
function userTheme() {
  const light = Boolean((grafanaRuntime.config.bootData.user as { lightTheme?: boolean }).lightTheme);
  return grafanaData.createTheme({ colors: { mode: light ? 'light' : 'dark' } });
}

function Shell({ meta, plugin }: { meta: AppPluginMeta; plugin: AppPlugin }) {
  const theme = userTheme();
  const Root = plugin.root!;
  const ConfigBody = plugin.configPages?.[0]?.body;
  const pages = (meta.includes ?? []).filter((i) => i.type === 'page' && i.addToNav);
  const current = pages.find((p) => p.path && window.location.pathname.startsWith(p.path));
  const role = grafanaRuntime.config.bootData.user.orgRole;
  return (
    <grafanaData.ThemeContext.Provider value={theme}>
    {/* Grafana's location service (its history), which scenes use for URL sync. */}
    <grafanaRuntime.LocationServiceProvider service={grafanaRuntime.locationService}>
    <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      {/* Grafana's own global styles (body, links, headings), as in Grafana's app shell. */}
      <grafanaUi.GlobalStyles />
      <header style={{ display: 'flex', gap: 16, alignItems: 'center', padding: '8px 16px', borderBottom: `1px solid ${theme.colors.border.weak}`, background: theme.colors.background.primary }}>
        <img src={`public/plugins/${meta.id}/${meta.info.logos.small}`} width={24} height={24} alt="" />
        <strong>{meta.name}</strong>
        <nav style={{ display: 'flex', gap: 12 }}>
          {pages.map((p) => (
            <a key={p.path} href={p.path} style={{ color: p === current ? theme.colors.text.primary : theme.colors.text.link, fontWeight: p === current ? 600 : 400 }}>
              {p.name}
            </a>
          ))}
        </nav>
        <span style={{ marginLeft: 'auto', color: theme.colors.text.secondary }}>e2e host standing in for Grafana · signed in as {role}</span>
      </header>
      <main style={{ padding: '16px 24px' }}>
        <h1 style={{ fontSize: theme.typography.h2.fontSize }}>{current?.name ?? meta.name}</h1>
        <Routes>
          <Route path={`/a/${meta.id}/*`} element={<Root meta={meta} basename={`/a/${meta.id}`} path={window.location.pathname} query={{}} onNavChanged={() => undefined} />} />
          {ConfigBody && <Route path={`/plugins/${meta.id}`} element={<ConfigBody plugin={plugin} query={{}} />} />}
        </Routes>
      </main>
    </BrowserRouter>
    </grafanaRuntime.LocationServiceProvider>
    </grafanaData.ThemeContext.Provider>
  );
}

async function start(pluginId: string): Promise<void> {
  grafanaRuntime.setBackendSrv(hostBackendSrv());
  // With the stack's Prometheus behind the host, the Overview's scene runs as in Grafana.
  if (Object.keys(grafanaRuntime.config.datasources).length > 0) {
    installSceneRuntime();
  }
  const theme = userTheme();
  Object.assign(document.body.style, { margin: '0', background: theme.colors.background.canvas, color: theme.colors.text.primary, fontFamily: theme.typography.fontFamily, fontSize: '14px' });
  const meta = (await rxjs.lastValueFrom(grafanaRuntime.getBackendSrv().fetch<AppPluginMeta>({ url: `/api/plugins/${pluginId}/settings` }))).data;
  const { plugin } = await loadAmdModule(`public/plugins/${pluginId}/module.js`);
  plugin.meta = meta;
  createRoot(document.getElementById('root')!).render(<Shell meta={meta} plugin={plugin} />);
  // What the page really runs, for the e2e to compare with the leg's pins.
  (window as unknown as { __hostReact: string }).__hostReact = `react ${React.version}, react-dom ${ReactDOM.version}`;
  (window as unknown as { __hostReady: boolean }).__hostReady = true;
}

(window as unknown as { startHost: typeof start }).startHost = (id) =>
  start(id).catch((e: Error) => {
    document.body.textContent = `e2e host failed: ${e.message}`;
    (window as unknown as { __hostError: string }).__hostError = e.message;
  });
