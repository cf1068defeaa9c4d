// The Alertmanager configuration as the tests use it: provisioning/alertmanager/alertmanager.yml
// rendered by its own renderer (render.cjs), optionally with short timings for tests, and a
// small HTTP sink standing in for PagerDuty, the generic webhook and the reconciler.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ALERTMANAGER_TEMPLATE, PROVISIONING } from './rules';

type RenderFn = (text: string, env: Record<string, string | undefined>) => string;
// render.cjs is plain CommonJS so that it runs in any Node image without a build step.
const { renderTemplate } = require(join(PROVISIONING, 'alertmanager', 'render.cjs')) as { renderTemplate: RenderFn };

/** A complete set of the template's variables with harmless values (nothing leaves 127.0.0.1). */
export function exampleEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PIPEWARDEN_SMTP_SMARTHOST: '127.0.0.1:1',
    PIPEWARDEN_SMTP_FROM: 'pipewarden@example.org',
    PIPEWARDEN_ALERT_EMAIL_TO: 'oncall@example.org',
    PIPEWARDEN_SMTP_REQUIRE_TLS: 'false',
    PIPEWARDEN_ALERT_WEBHOOK_URL: 'http://127.0.0.1:1/webhook',
    PIPEWARDEN_PAGERDUTY_URL: 'http://127.0.0.1:1/pagerduty',
    PIPEWARDEN_RECONCILER_URL: 'http://127.0.0.1:1',
    PIPEWARDEN_TOKEN_FILE: '/nonexistent/token',
    PIPEWARDEN_PAGERDUTY_ROUTING_KEY_FILE: '/nonexistent/pagerduty',
    PIPEWARDEN_SMTP_PASSWORD_FILE: '/nonexistent/smtp',
    ...overrides,
  };
}

export function renderAlertmanagerConfig(env: Record<string, string | undefined>): string {
  return renderTemplate(readFileSync(ALERTMANAGER_TEMPLATE, 'utf8'), env);
}

interface Route {
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
}

/**
 * The same routing, receivers and inhibition with timings for tests: notifications after
 * 1 s instead of 5–30 s, regrouping every 2 s instead of 1–5 min.
 */
export function withShortTimings(yamlText: string): string {
  const doc = parse(yamlText) as { route: Route };
  const walk = (r: Route, root: boolean) => {
    if (root || r.group_wait) r.group_wait = '1s';
    if (root || r.group_interval) r.group_interval = '2s';
    for (const c of r.routes ?? []) walk(c, false);
  };
  walk(doc.route, true);
  return stringify(doc);
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** An HTTP server recording every request (answers 200 {}), for receivers to call. */
export async function startSink(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
