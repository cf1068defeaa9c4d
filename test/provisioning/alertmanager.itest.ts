// Alertmanager: the template renders (and refuses to render half-configured), amtool
// accepts the result, alerts route to the right receivers, and on a real Alertmanager one
// MySQL outage pages once: its symptoms are inhibited until MySQL is back, then the batches
// still in doubt reach the reconciler (with its bearer token) and the humans.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AlertmanagerServer, freePort, sleep } from '@pipewarden/stack';
import { exampleEnv, renderAlertmanagerConfig, startSink, withShortTimings, type Received } from './alertmanager-config';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pw-am-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function amtool(args: string[]): { code: number; out: string } {
  const r = spawnSync('amtool', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function writeRendered(env = exampleEnv()): string {
  const file = join(mkdtempSync(join(work, 'cfg-')), 'alertmanager.yml');
  writeFileSync(file, renderAlertmanagerConfig(env));
  return file;
}

describe('rendering the template', () => {
  test('amtool check-config accepts the rendered configuration', () => {
    const r = amtool(['check-config', writeRendered()]);
    expect(r.out).toContain('SUCCESS');
    expect(r.out).toMatch(/4 receivers/);
    expect(r.out).toMatch(/3 inhibit rules/);
    expect(r.code).toBe(0);
  });

  test('only the required variables are needed; defaults fill the rest', () => {
    const minimal = {
      PIPEWARDEN_SMTP_SMARTHOST: 'smtp.example.org:587',
      PIPEWARDEN_SMTP_FROM: 'pipewarden@example.org',
      PIPEWARDEN_ALERT_EMAIL_TO: 'oncall@example.org',
      PIPEWARDEN_ALERT_WEBHOOK_URL: 'https://chat.example.org/hook',
    };
    const file = writeRendered(minimal);
    expect(amtool(['check-config', file]).code).toBe(0);
    const doc = parse(renderAlertmanagerConfig(minimal)) as { global: Record<string, unknown>; receivers: { name: string; webhook_configs?: { url: string; http_config?: { authorization: { credentials_file: string } } }[] }[] };
    expect(doc.global.smtp_require_tls).toBe(true);
    expect(doc.global.smtp_auth_password_file).toBe('/run/secrets/smtp_password');
    const rec = doc.receivers.find((r) => r.name === 'pipewarden-reconciler')!.webhook_configs![0];
    expect(rec.url).toBe('http://reconciler:9843/alertmanager');
    expect(rec.http_config!.authorization.credentials_file).toBe('/run/secrets/pipewarden_token');
  });

  test('a missing required variable stops the rendering and every missing name is reported', () => {
    expect(() => renderAlertmanagerConfig({ PIPEWARDEN_SMTP_FROM: 'a@example.org' })).toThrow(
      /missing: PIPEWARDEN_SMTP_SMARTHOST, PIPEWARDEN_ALERT_EMAIL_TO, PIPEWARDEN_ALERT_WEBHOOK_URL/,
    );
  });

  test('values cannot change the structure of the file', () => {
    const env = exampleEnv({ PIPEWARDEN_ALERT_EMAIL_TO: 'a@example.org"\nglobal: {}\nx: "' });
    const doc = parse(renderAlertmanagerConfig(env)) as { receivers: { name: string; email_configs?: { to: string }[] }[]; x?: unknown };
    expect(doc.receivers.find((r) => r.name === 'email')!.email_configs![0].to).toBe('a@example.org"\nglobal: {}\nx: "');
    expect(doc.x).toBeUndefined();
    expect(() => renderAlertmanagerConfig(exampleEnv({ PIPEWARDEN_SMTP_REQUIRE_TLS: 'true\nroute: {}' }))).toThrow(/not a plain value.*PIPEWARDEN_SMTP_REQUIRE_TLS/);
  });

  test('the CLI writes the file, or nothing and exit code 1', () => {
    const out = join(work, 'cli.yml');
    const script = join(__dirname, '..', '..', 'provisioning', 'alertmanager', 'render.cjs');
    const template = join(__dirname, '..', '..', 'provisioning', 'alertmanager', 'alertmanager.yml');
    const bad = spawnSync(process.execPath, [script, template, out], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('missing: PIPEWARDEN_SMTP_SMARTHOST');
    const good = spawnSync(process.execPath, [script, template, out], { encoding: 'utf8', env: { PATH: process.env.PATH, ...exampleEnv() } });
    expect(good.status).toBe(0);
    expect(amtool(['check-config', out]).code).toBe(0);
  });
});

describe('routing (amtool config routes test)', () => {
  test.each([
    ['PipewardenMySQLDown', 'critical', 'pipewarden-reconciler,pager,webhook,email'],
    ['PipewardenBatchesInDoubt', 'critical', 'pipewarden-reconciler,pager,webhook,email'],
    ['PipewardenReconcileFailed', 'critical', 'pager,webhook,email'],
    ['PipewardenRedisDown', 'critical', 'pager,webhook,email'],
    ['PipewardenLoaderStalled', 'warning', 'webhook,email'],
    ['PipewardenWalDiskFullIn4h', 'warning', 'webhook,email'],
  ])('%s (%s) → %s', (alertname, severity, receivers) => {
    const r = amtool(['config', 'routes', 'test', `--config.file=${writeRendered()}`, `--verify.receivers=${receivers}`, `alertname=${alertname}`, `severity=${severity}`, 'deployment=pipewarden', 'pipeline=default']);
    expect(r.out.split('\n')[0]).toBe(receivers);
    expect(r.code).toBe(0);
  });
});

describe('a real Alertmanager', () => {
  let am: AlertmanagerServer;
  let sink: Awaited<ReturnType<typeof startSink>>;
  const token = 'test-token-0123456789abcdef';

  beforeAll(async () => {
    sink = await startSink();
    const tokenFile = join(work, 'token');
    writeFileSync(tokenFile, `${token}\n`);
    const keyFile = join(work, 'pagerduty');
    writeFileSync(keyFile, 'R0UT1NGKEY0000000000000000000000\n');
    const config = withShortTimings(
      renderAlertmanagerConfig(
        exampleEnv({
          PIPEWARDEN_PAGERDUTY_URL: `${sink.url}/pagerduty`,
          PIPEWARDEN_ALERT_WEBHOOK_URL: `${sink.url}/webhook`,
          PIPEWARDEN_RECONCILER_URL: sink.url,
          PIPEWARDEN_TOKEN_FILE: tokenFile,
          PIPEWARDEN_PAGERDUTY_ROUTING_KEY_FILE: keyFile,
        }),
      ),
    );
    am = new AlertmanagerServer({ dir: join(work, 'am'), port: await freePort(), config });
    await am.start();
  }, 60_000);

  afterAll(async () => {
    await am?.stop();
    await sink?.close();
  });

  async function post(alerts: { labels: Record<string, string>; endsAt?: string }[]): Promise<void> {
    const res = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts.map((a) => ({ ...a, annotations: { summary: a.labels.alertname, runbook_url: `docs/runbooks.md#${a.labels.alertname.toLowerCase()}` } }))),
    });
    expect(res.status).toBe(200);
  }

  const alertNamesIn = (r: Received): string[] => {
    const b = r.body as { alerts?: { labels: { alertname: string } }[]; payload?: { summary: string }; event_action?: string };
    if (b.alerts) return b.alerts.map((a) => a.labels.alertname);
    return [];
  };
  const to = (path: string) => sink.received.filter((r) => r.path === path);

  async function until(cond: () => boolean, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out; received: ${JSON.stringify(sink.received.map((r) => [r.path, alertNamesIn(r)]))}`);
      await sleep(100);
    }
  }

  test('one MySQL outage: one page, symptoms inhibited, then recovery for the batches still in doubt', async () => {
    // Labels as Prometheus sends them: the outage alert is service-level (only the external
    // label `deployment`), its symptoms are per pipeline (`pipeline` from their series).
    const deployment = 'pipewarden';
    const pipeline = 'default';
    const mysqlDown = { alertname: 'PipewardenMySQLDown', severity: 'critical', component: 'mysql', deployment };
    const symptoms = [
      { alertname: 'PipewardenBatchesInDoubt', severity: 'critical', component: 'pipeline', deployment, pipeline },
      { alertname: 'PipewardenReconcileFailed', severity: 'critical', component: 'reconciler', deployment, pipeline },
      { alertname: 'PipewardenLoaderStalled', severity: 'warning', component: 'loader', deployment, pipeline },
    ];
    await post([{ labels: mysqlDown }, ...symptoms.map((labels) => ({ labels }))]);

    // The cause reaches the pager, the webhook and the reconciler (with the token from its file).
    await until(() => to('/pagerduty').length >= 1 && to('/alertmanager').length >= 1 && to('/webhook').length >= 1);
    await sleep(3000); // two more group intervals: nothing else may arrive
    expect(to('/pagerduty')).toHaveLength(1);
    const page = to('/pagerduty')[0].body as { routing_key: string; event_action: string; payload: { summary: string; severity: string } };
    expect(page.routing_key).toBe('R0UT1NGKEY0000000000000000000000');
    expect(page.event_action).toBe('trigger');
    expect(page.payload.severity).toBe('critical');
    expect(to('/alertmanager').flatMap(alertNamesIn)).toEqual(['PipewardenMySQLDown']);
    expect(to('/alertmanager')[0].headers.authorization).toBe(`Bearer ${token}`);
    expect(to('/webhook').flatMap(alertNamesIn)).toEqual(['PipewardenMySQLDown']);

    // Alertmanager's own view: the symptoms are suppressed by the outage.
    const alerts = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as { labels: { alertname: string }; status: { state: string; inhibitedBy: string[] } }[];
    const state = Object.fromEntries(alerts.map((a) => [a.labels.alertname, a.status.state]));
    expect(state).toEqual({
      PipewardenMySQLDown: 'active',
      PipewardenBatchesInDoubt: 'suppressed',
      PipewardenReconcileFailed: 'suppressed',
      PipewardenLoaderStalled: 'suppressed',
    });

    // MySQL is back: the outage resolves; the batches still in doubt now go to the reconciler.
    sink.received.length = 0;
    await post([{ labels: mysqlDown, endsAt: new Date().toISOString() }, ...symptoms.slice(0, 1).map((labels) => ({ labels }))]);
    await until(() => to('/alertmanager').some((r) => alertNamesIn(r).includes('PipewardenBatchesInDoubt')));
    const reconciler = to('/alertmanager').map((r) => r.body as { status: string; alerts: { labels: { alertname: string }; status: string }[] });
    const doubt = reconciler.find((b) => b.alerts.some((a) => a.labels.alertname === 'PipewardenBatchesInDoubt'))!;
    expect(doubt.status).toBe('firing');
  }, 60_000);
});
