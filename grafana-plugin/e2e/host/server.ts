// The server side of the e2e host: the few Grafana endpoints an app plugin uses.
//  - serves the host page, the host bundle and the BUILT plugin under public/plugins/<id>/
//  - GET/POST /api/plugins/<id>/settings: the app's settings; secureJsonData stays here and
//    only secureJsonFields goes back to the browser, as in Grafana
//  - /api/plugin-proxy/<id>/...: the plugin's routes from dist/plugin.json, applied as
//    Grafana's pluginproxy does: first route whose method and path match; with app RBAC
//    (Grafana ≥ 11.6) the route's reqAction checked against the user's permissions, without
//    it (`rbac = false`, an older Grafana) its reqRole against the org role; url and headers
//    templated from jsonData/secureJsonData; X-Grafana-User set to the login, as
//    `[dataproxy] send_user_header = true` does; 502 with an empty body when the target does
//    not answer.
//  - the boot data: the user's org role, theme, and (with RBAC) the permissions the plugin's
//    `roles` grant to that role plus any granted by hand, as Grafana computes them.
import { readFileSync, existsSync, statSync } from 'node:fs';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import type { Leg } from '../legs';
import { PROMETHEUS_NAME, PROMETHEUS_PROXY, prometheusSettings } from './prometheusSettings';

export type OrgRole = 'Viewer' | 'Editor' | 'Admin';
const ROLE_RANK: Record<OrgRole, number> = { Viewer: 1, Editor: 2, Admin: 3 };
/** Grafana's own actions the app looks at, by the basic role that has them. */
const GRAFANA_ACTIONS: Record<OrgRole, string[]> = { Viewer: [], Editor: [], Admin: ['plugins:write'] };

export interface Route {
  path: string;
  method?: string;
  reqRole?: OrgRole;
  reqAction?: string;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

interface PluginJson {
  id: string;
  name: string;
  type: string;
  info: Record<string, unknown>;
  includes?: unknown[];
  routes?: Route[];
  roles?: Array<{ role: { name: string; permissions: Array<{ action: string }> }; grants: string[] }>;
}

export interface Settings {
  enabled: boolean;
  pinned: boolean;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.json': 'application/json', '.svg': 'image/svg+xml', '.md': 'text/markdown', '.map': 'application/json' };

function interpolate(template: string, s: Settings): string {
  return template
    .replace(/\{\{\s*\.JsonData\.(\w+)\s*\}\}/g, (_m, k: string) => String(s.jsonData[k] ?? ''))
    .replace(/\{\{\s*\.SecureJsonData\.(\w+)\s*\}\}/g, (_m, k: string) => s.secureJsonData[k] ?? '');
}

/** Grafana's web tree: "a/b" matches exactly, "a/*" matches "a/<anything>" and captures it. */
function matchRoute(pattern: string, proxyPath: string): { proxyPath: string } | undefined {
  if (pattern.endsWith('/*')) {
    const prefix = pattern.slice(0, -1);
    return proxyPath.startsWith(prefix) && proxyPath.length > prefix.length ? { proxyPath: proxyPath.slice(prefix.length) } : undefined;
  }
  return pattern === proxyPath ? { proxyPath: '' } : undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export class GrafanaHost {
  role: OrgRole = 'Admin';
  /** Grafana with app RBAC (≥ 11.6): permissions in the boot data, reqAction enforced. */
  rbac = true;
  /** Actions an admin granted the user by hand (e.g. the Reconciler role to an on-call Editor). */
  granted: string[] = [];
  lightTheme = false;
  /** The stack's Prometheus: when set, Grafana has the provisioned data source (boot data, data source proxy). */
  prometheusUrl?: string;
  readonly login = 'e2e-operator';
  settings: Settings = { enabled: false, pinned: false, jsonData: {}, secureJsonData: {} };
  /** Every proxied request as the target saw it (method, url, whether it carried a bearer token). */
  readonly proxied: Array<{ method: string; target: string; route: string; authorized: boolean; user?: string; status: number }> = [];
  /** Bodies sent to the browser that contained a secret: must stay empty. */
  readonly leaks: string[] = [];
  private server?: http.Server;
  private readonly pluginJson: PluginJson;

  constructor(
    private readonly distDir: string,
    private readonly hostBundle: string,
    private readonly leg: Leg
  ) {
    this.pluginJson = JSON.parse(readFileSync(path.join(distDir, 'plugin.json'), 'utf8')) as PluginJson;
  }

  get pluginId(): string {
    return this.pluginJson.id;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: Error) => json(res, 500, { message: `e2e host: ${e.message}` }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private send(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string): void {
    const text = body.toString();
    for (const secret of Object.values(this.settings.secureJsonData)) {
      if (secret && text.includes(secret)) {
        this.leaks.push(text.slice(0, 200));
      }
    }
    res.writeHead(status, headers);
    res.end(body);
  }

  /** The user's permissions, as Grafana computes them from the plugin's roles and grants. */
  permissions(): Record<string, boolean> {
    const basic = Object.keys(ROLE_RANK).filter((r) => ROLE_RANK[r as OrgRole] <= ROLE_RANK[this.role]);
    const actions = (this.pluginJson.roles ?? []).filter((r) => r.grants.some((g) => basic.includes(g))).flatMap((r) => r.role.permissions.map((p) => p.action));
    return Object.fromEntries([...GRAFANA_ACTIONS[this.role], ...actions, ...this.granted].map((a) => [a, true]));
  }

  private mayUse(route: Route): boolean {
    if (this.rbac && route.reqAction) {
      return Boolean(this.permissions()[route.reqAction]);
    }
    return !route.reqRole || ROLE_RANK[this.role] >= ROLE_RANK[route.reqRole];
  }

  private meta() {
    const { enabled, pinned, jsonData, secureJsonData } = this.settings;
    const secureJsonFields = Object.fromEntries(Object.entries(secureJsonData).map(([k, v]) => [k, v !== '']));
    const p = this.pluginJson;
    return { id: p.id, name: p.name, type: p.type, info: p.info, includes: p.includes, module: `public/plugins/${p.id}/module.js`, baseUrl: `public/plugins/${p.id}`, enabled, pinned, jsonData, secureJsonFields };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://host');
    const id = this.pluginId;
    const p = url.pathname;

    if (p === `/api/plugins/${id}/settings`) {
      if (req.method === 'POST') {
        if (this.role !== 'Admin') {
          return json(res, 403, { message: 'Permission denied' });
        }
        const body = JSON.parse((await readBody(req)).toString() || '{}') as Partial<Settings>;
        this.settings = {
          enabled: body.enabled ?? this.settings.enabled,
          pinned: body.pinned ?? this.settings.pinned,
          jsonData: body.jsonData ?? this.settings.jsonData,
          secureJsonData: { ...this.settings.secureJsonData, ...(body.secureJsonData ?? {}) },
        };
        return json(res, 200, { message: 'Plugin settings updated' });
      }
      return this.send(res, 200, { 'Content-Type': 'application/json' }, JSON.stringify(this.meta()));
    }
    if (this.prometheusUrl && p.startsWith(`${PROMETHEUS_PROXY}/`)) {
      return this.proxyPrometheus(res, p.slice(PROMETHEUS_PROXY.length) + url.search);
    }
    const proxyPrefix = `/api/plugin-proxy/${id}/`;
    if (p.startsWith(proxyPrefix)) {
      return this.proxy(req, res, p.slice(proxyPrefix.length), url.search);
    }
    const publicPrefix = `/public/plugins/${id}/`;
    if (p.startsWith(publicPrefix)) {
      return this.serveFile(res, this.distDir, p.slice(publicPrefix.length));
    }
    const iconPrefix = '/public/build/img/icons/';
    if (p.startsWith(iconPrefix)) {
      // Grafana serves @grafana/ui's icon SVGs here; Icon fetches them at run time.
      return this.serveFile(res, path.join(this.leg.grafanaUiDir, 'dist', 'public', 'img', 'icons'), p.slice(iconPrefix.length));
    }
    if (p === '/public/build/host.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      return void res.end(readFileSync(this.hostBundle));
    }
    if (p === '/' || p.startsWith('/a/') || p.startsWith('/plugins/')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return void res.end(this.indexHtml());
    }
    json(res, 404, { message: 'Not found' });
  }

  private serveFile(res: ServerResponse, root: string, rel: string): void {
    const file = path.resolve(root, rel);
    if (!file.startsWith(path.resolve(root) + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      return json(res, 404, { message: 'Not found' });
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  }

  private indexHtml(): string {
    // grafanaBootData must exist before @grafana/runtime is first evaluated (in host.js).
    const boot = {
      settings: {
        appSubUrl: '',
        buildInfo: { version: this.leg.grafanaPackages, edition: 'e2e host' },
        featureToggles: {},
        datasources: this.prometheusUrl ? { [PROMETHEUS_NAME]: prometheusSettings() } : {},
      },
      user: {
        orgRole: this.role,
        isSignedIn: true,
        login: this.login,
        theme: this.lightTheme ? 'light' : 'dark',
        lightTheme: this.lightTheme,
        ...(this.rbac ? { permissions: this.permissions() } : {}),
      },
      navTree: [],
    };
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><base href="/"><title>pipewarden · e2e host</title>
<script>window.grafanaBootData = ${JSON.stringify(boot)};</script>
<script src="/public/build/host.js"></script>
</head><body><div id="root"></div><script>window.startHost(${JSON.stringify(this.pluginId)});</script></body></html>`;
  }

  /** Grafana's data source proxy, for the Prometheus API's GET requests. */
  private async proxyPrometheus(res: ServerResponse, pathAndQuery: string): Promise<void> {
    const up = await fetch(`${this.prometheusUrl}${pathAndQuery}`);
    this.send(res, up.status, { 'Content-Type': up.headers.get('content-type') ?? 'application/json' }, Buffer.from(await up.arrayBuffer()));
  }

  private async proxy(req: IncomingMessage, res: ServerResponse, proxyPath: string, search: string): Promise<void> {
    const method = req.method ?? 'GET';
    let matched: { route: Route; proxyPath: string } | undefined;
    for (const route of this.pluginJson.routes ?? []) {
      if (route.method && route.method !== '*' && route.method !== method) {
        continue;
      }
      const m = matchRoute(route.path, proxyPath);
      if (!m) {
        continue;
      }
      if (!this.mayUse(route)) {
        return json(res, 403, { message: 'plugin proxy route access denied' });
      }
      matched = { route, proxyPath: m.proxyPath };
      break;
    }
    if (!matched) {
      return json(res, 404, { message: 'plugin route match not found' });
    }
    const base = interpolate(matched.route.url, this.settings);
    let target: URL;
    try {
      target = new URL(base);
    } catch {
      return json(res, 500, { message: 'Could not parse url' });
    }
    target.pathname = path.posix.join(target.pathname, matched.proxyPath);
    target.search = search;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (req.headers['content-type']) {
      headers['content-type'] = req.headers['content-type'];
    }
    headers['x-grafana-user'] = this.login;
    for (const h of matched.route.headers ?? []) {
      headers[h.name.toLowerCase()] = interpolate(h.content, this.settings);
    }
    const body = method === 'GET' ? undefined : await readBody(req);
    const record = { method, target: target.toString(), route: matched.route.path, authorized: /^Bearer \S+/.test(headers.authorization ?? ''), user: headers['x-grafana-user'], status: 0 };
    this.proxied.push(record);
    await new Promise<void>((resolve) => {
      const upstream = http.request(target, { method, headers }, (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          record.status = up.statusCode ?? 0;
          this.send(res, up.statusCode ?? 502, { 'Content-Type': String(up.headers['content-type'] ?? 'application/json') }, Buffer.concat(chunks));
          resolve();
        });
      });
      upstream.setTimeout(30_000, () => upstream.destroy(new Error('timeout')));
      upstream.on('error', (e: Error) => {
        // Grafana's reverse proxy: 504 on a timeout, 502 with an empty body otherwise.
        record.status = e.message === 'timeout' ? 504 : 502;
        res.writeHead(record.status);
        res.end();
        resolve();
      });
      upstream.end(body);
    });
  }
}
