// End-to-end test of the BUILT plugin in real Chromium against a REAL reconciler over real
// MariaDB and Redis holding batches in doubt, once per supported Grafana line (a leg, see
// e2e/legs.ts: each serves that line's React and @grafana/* as Grafana's shared modules).
// Run by `npm run test:e2e` (after `npm run build`) with the root workspace's tsx, so it can use
// @pipewarden/stack, @pipewarden/core, the reconciler and the test helpers.
// `npm run test:e2e -- grafana-13.2` runs only the legs named.
//
//   stack (MariaDB, Redis, S3, Prometheus) → migrate → batches in doubt → reconciler service + exporter
//   e2e host (Grafana stand-in: settings + plugin proxy injecting the token + the Prometheus
//   data source behind its data source proxy) → Chromium
//
// It configures the app through its Configuration page, checks the Overview, presses
// Reconcile & restart, reads the dry-run preview, confirms, waits for the result, and
// checks that MySQL now holds exactly the source's rows, that History lists the run and opens
// it, and that the Overview's scene plots Prometheus's view of it.
// Screenshots of every page go to grafana-plugin/test-results/<leg>/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { migrate } from '@pipewarden/core';
import { startExporter } from '@pipewarden/exporter';
import { startLoaderService } from '@pipewarden/loader';
import { Stack } from '@pipewarden/stack';

import { buildHostBundle } from './hostBundle';
import { FakePipelines } from './host/fakePipelines';
import { GrafanaHost, type Route } from './host/server';
import { declaredRange, findLegs, LEGS_DIR, type Leg } from './legs';

const PLUGIN_DIR = path.resolve(__dirname, '..');
const DIST = path.join(PLUGIN_DIR, 'dist');
const RESULTS = path.join(PLUGIN_DIR, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The Grafana the repository runs: the plugin's development Compose and the deployment's.
const COMPOSE_FILES = ['docker-compose.yaml', path.join('..', 'provisioning', 'docker-compose.yml')];
const ROWS = Number(process.env.PW_E2E_ROWS ?? 3000);

interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) {
    throw new Error(message);
  }
}

/** The named steps of one part of the run (the build's checks, or one leg) and what to undo after it. */
class Part {
  readonly checks: Check[] = [];
  readonly cleanups: Array<() => Promise<unknown>> = [];

  constructor(readonly title: string) {}

  /** One named step; the first failure ends the part (later steps depend on earlier ones). */
  async step(name: string, fn: () => Promise<void>): Promise<void> {
    const t0 = Date.now();
    try {
      await fn();
      this.checks.push({ name, ok: true });
      console.log(`  ✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      this.checks.push({ name, ok: false, detail: (e as Error).stack ?? String(e) });
      console.log(`  ✗ ${name}\n    ${String((e as Error).message).split('\n').join('\n    ')}`);
      throw e;
    }
  }

  /** Runs the part's steps, then its cleanups; an error outside any step is recorded as a failure too. */
  async run(steps: () => Promise<void>): Promise<void> {
    try {
      await steps();
    } catch (e) {
      if (this.checks.every((c) => c.ok)) {
        this.checks.push({ name: 'outside any step', ok: false, detail: (e as Error).stack ?? String(e) });
      }
    } finally {
      for (const c of this.cleanups.reverse()) {
        await c().catch((e: Error) => console.log(`  (cleanup: ${e.message})`));
      }
    }
  }
}

async function shot(page: Page, dir: string, name: string): Promise<void> {
  // Away from buttons, so no hover tooltip covers the page.
  await page.mouse.move(1, 1);
  // A button that was just enabled fades in (a CSS transition): picture it once it has.
  await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition)));
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

async function openPage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { __hostReady?: boolean; __hostError?: string }).__hostReady || (window as unknown as { __hostError?: string }).__hostError);
  const error = await page.evaluate(() => (window as unknown as { __hostError?: string }).__hostError);
  assert(!error, `the host could not load dist/module.js: ${error}`);
}

async function loadDoubtHelper() {
  try {
    return await import('../../test/helpers/doubt');
  } catch (e) {
    throw new Error(`test/helpers/doubt.ts (createBatchesInDoubt, from the reconciler work) cannot be loaded: ${(e as Error).message}`);
  }
}

async function loadReconciler() {
  try {
    return await import('@pipewarden/reconciler');
  } catch (e) {
    throw new Error(`@pipewarden/reconciler (startReconcilerService) cannot be loaded: ${(e as Error).message}`);
  }
}

/** Checks of the build itself, whatever the Grafana line. */
async function checkDist(part: Part, legs: Leg[]): Promise<void> {
  await part.step('dist/plugin.json declares narrow routes and leaves the dashboards to provisioning/', async () => {
    const plugin = JSON.parse(readFileSync(path.join(DIST, 'plugin.json'), 'utf8')) as { id: string; routes: Route[]; includes: Array<{ type: string; path?: string }> };
    const write = plugin.routes.filter((r) => r.method === 'POST');
    assert(write.length > 0 && write.every((r) => r.reqRole === 'Admin' && r.reqAction === `${plugin.id}.reconcile:write`), 'every POST route must require reconcile:write, with reqRole Admin as the fallback');
    const wildcard = plugin.routes.filter((r) => r.path.endsWith('*')).map((r) => `${r.method} ${r.path}`);
    const idRoutes = ['POST reconciler/reconcile/*', 'GET reconciler/reconcile/*', 'GET reconciler/runs/*'];
    assert(wildcard.every((w) => idRoutes.includes(w)), `only a job's or a run's id may end a wildcard route (${idRoutes.join(', ')}), found ${wildcard.join(', ')}`);
    const dashboards = plugin.includes.filter((i) => i.type === 'dashboard');
    assert(dashboards.length === 0, `the app includes dashboards (${dashboards.map((d) => d.path).join(', ')}) that provisioning/grafana file-provisions: Grafana's app dashboard updater would overwrite and delete them`);
  });

  await part.step('grafanaDependency declares exactly the Grafana lines of the matrix', async () => {
    const plugin = JSON.parse(readFileSync(path.join(DIST, 'plugin.json'), 'utf8')) as { dependencies: { grafanaDependency: string } };
    const expected = declaredRange(legs);
    const declared = plugin.dependencies.grafanaDependency;
    assert(declared === expected, `plugin.json declares grafanaDependency "${declared}", the e2e legs (${legs.map((l) => l.line).join(', ')}) test "${expected}"`);
  });

  await part.step('the Compose files run a Grafana line the matrix tests', async () => {
    for (const file of COMPOSE_FILES) {
      const text = readFileSync(path.join(PLUGIN_DIR, file), 'utf8');
      // `image: grafana/grafana:12.4.10` or `image: ${GRAFANA_IMAGE:-grafana/grafana-enterprise}:${GRAFANA_VERSION:-13.2.3}`
      const m = /^\s*image:\s*\S*grafana\/grafana[-\w]*\}?:(?:\$\{GRAFANA_VERSION:-)?(\d+)\.(\d+)\.\d+/m.exec(text);
      assert(m, `${file} has no Grafana image with a version`);
      const line = `${m[1]}.${m[2]}`;
      assert(legs.some((l) => l.line === line), `${file} runs Grafana ${line}, which no e2e leg tests (${legs.map((l) => l.line).join(', ')})`);
    }
  });
}

/** Every page, with the reconcile, under one Grafana line's shared modules. */
async function runLeg(part: Part, leg: Leg): Promise<void> {
  const results = path.join(RESULTS, leg.name);
  rmSync(results, { recursive: true, force: true });
  mkdirSync(results, { recursive: true });
  const browserErrors: string[] = [];
  let hostBundle = '';
  let stack: Stack | undefined;
  let reconcilerUrl = '';
  let token = '';
  let doubt: { file: string; sourceRows: number; missingRows: number; tableRows(): Promise<number> } | undefined;
  let host: GrafanaHost | undefined;
  let base = '';
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let runDetailPath = '';

  await part.step(`build the host page bundle (Grafana ${leg.line}'s shared modules)`, async () => {
    hostBundle = await buildHostBundle(leg);
  });

  await part.step('start MariaDB, Redis, S3 and Prometheus, migrate, leave batches in doubt', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pw-plugin-e2e-'));
    // Prometheus scrapes the exporter and the reconciler every second: the Overview's scene reads it.
    const s = await Stack.create({ dir, services: ['mariadb', 'redis', 's3', 'prometheus'], prometheusInterval: '1s' });
    stack = s;
    part.cleanups.push(async () => {
      await s.stop().catch(() => undefined);
      if (!process.env.PIPEWARDEN_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
    });
    await s.start();
    await migrate(s.config());
    const { createBatchesInDoubt } = await loadDoubtHelper();
    doubt = await createBatchesInDoubt(s, { rows: ROWS });
    assert(doubt.missingRows > 0, `createBatchesInDoubt left nothing missing (sourceRows ${doubt.sourceRows})`);
    const before = await doubt.tableRows();
    assert(before === doubt.sourceRows - doubt.missingRows, `MySQL holds ${before} rows before the reconcile, expected ${doubt.sourceRows} - ${doubt.missingRows}`);
  });

  await part.step('start the reconciler service', async () => {
    const { startReconcilerService } = await loadReconciler();
    // The watchdog would repair the batches by itself before the button is pressed.
    const config = stack!.config({ 'reconciler.watchdog': false });
    token = config.token!;
    const svc = await startReconcilerService(config);
    reconcilerUrl = svc.url;
    part.cleanups.push(() => svc.close());
    const exporter = await startExporter(config);
    part.cleanups.push(() => exporter.close());
  });

  await part.step('start the Grafana stand-in host and Chromium', async () => {
    host = new GrafanaHost(DIST, hostBundle, leg);
    host.prometheusUrl = stack!.prometheus?.url;
    assert(host.prometheusUrl, "no Prometheus in the stack: install Debian's prometheus (scripts/bootstrap.sh does)");
    base = await host.start();
    part.cleanups.push(() => host!.stop());
    const userDataDir = mkdtempSync(path.join(tmpdir(), 'pw-chromium-'));
    part.cleanups.push(async () => rmSync(userDataDir, { recursive: true, force: true }));
    // A fresh profile per run: nothing cached from an earlier build of module.js.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1440, height: 900 },
      baseURL: base,
    });
    part.cleanups.push(() => context!.close());
    page = context.pages()[0] ?? (await context.newPage());
    // Every wait here is for something local; a long default only delays the report of a failure.
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => {
      browserErrors.push(e.message);
      console.log(`    [browser error] ${e.message}`);
    });
  });

  // The regression check of issue 14: a bundled React 18 JSX runtime threw here under React 19.
  await part.step(`dist/module.js loads with React ${leg.react} and @grafana/* ${leg.grafanaPackages}`, async () => {
    await openPage(page!, `/a/${host!.pluginId}/overview`);
    const running = await page!.evaluate(() => (window as unknown as { __hostReact?: string }).__hostReact);
    // react-dom 18.3.1 calls itself 18.3.1-next-<commit>.
    assert(running?.startsWith(`react ${leg.react}, react-dom ${leg.react}`), `the host page runs ${running}, the leg pins React ${leg.react}`);
    assert(browserErrors.length === 0, `the browser reported: ${browserErrors.join('; ')}`);
  });

  await part.step('Overview before configuration says what to do', async () => {
    await openPage(page!, `/a/${host!.pluginId}/overview`);
    await page!.getByText('The app is not configured yet').waitFor();
    // An admin (Grafana's plugins:write) is offered the way to the configuration.
    await page!.getByRole('link', { name: /Open the app configuration/ }).waitFor();
    await shot(page!, results, 'overview-not-configured');
    assert(host!.proxied.length === 0, 'an unconfigured app must not call the proxy');
  });

  await part.step('Configuration: save the reconciler URL and token, test the connection', async () => {
    await openPage(page!, `/plugins/${host!.pluginId}`);
    await page!.getByLabel(/Reconciler URL/).fill(reconcilerUrl);
    await page!.getByPlaceholder('PIPEWARDEN_TOKEN of the reconciler').fill(token);
    await Promise.all([page!.waitForEvent('load'), page!.getByRole('button', { name: 'Save settings' }).click()]);
    await page!.waitForFunction(() => (window as unknown as { __hostReady?: boolean }).__hostReady);
    assert(host!.settings.jsonData.reconcilerUrl === reconcilerUrl, `saved reconcilerUrl is ${String(host!.settings.jsonData.reconcilerUrl)}`);
    assert(host!.settings.secureJsonData.token === token, 'the token was not saved in secureJsonData');
    await page!.locator('input[value="configured"]').waitFor();
    await page!.getByRole('button', { name: 'Test connection' }).click();
    await page!.getByText('Connected to the reconciler').waitFor();
    await shot(page!, results, 'configuration');
  });

  await part.step("Configuration: Check the target shows the reconciler's doctor findings (its real MySQL, Redis and WAL disk)", async () => {
    await page!.getByRole('button', { name: 'Check the target' }).click();
    await page!.getByTestId('doctor-findings').waitFor({ timeout: 30_000 });
    const findings = await page!.getByTestId('doctor-finding').allInnerTexts();
    assert(findings.some((f) => /innodb_flush_log_at_trx_commit: 1/.test(f)), `no flush setting among the findings: ${findings.join(' | ')}`);
    assert(findings.some((f) => /fsync latency/.test(f)), `no WAL disk finding: ${findings.join(' | ')}`);
    assert(host!.proxied.some((r) => r.route === 'reconciler/doctor' && r.status === 200), 'GET /doctor did not go through the reconciler/doctor route');
    await shot(page!, results, 'configuration-doctor');
  });

  await part.step('Overview shows the stages and the batches in doubt', async () => {
    await openPage(page!, `/a/${host!.pluginId}/overview`);
    const doubtCard = page!.getByTestId('card-doubt');
    await doubtCard.getByText(/in doubt$/).first().waitFor();
    const inDoubt = Number((await doubtCard.locator('dd').first().innerText()).replace(/,/g, ''));
    assert(inDoubt > 0, `Overview shows ${inDoubt} batches in doubt`);
    await page!.getByTestId('stage-mysql').getByText('Up', { exact: true }).waitFor();
    await page!.getByTestId('stage-redis').getByText('Up', { exact: true }).waitFor();
    await shot(page!, results, 'overview');
  });

  await part.step('Reconcile: the button opens a dry-run preview of the difference', async () => {
    await openPage(page!, `/a/${host!.pluginId}/reconcile`);
    const button = page!.getByRole('button', { name: 'Reconcile & restart' });
    await button.waitFor();
    await page!.waitForFunction(() => !document.querySelector('button[disabled]')?.textContent?.includes('Reconcile & restart'));
    await button.click();
    const dialog = page!.getByRole('dialog');
    const summary = dialog.getByTestId('preview-summary');
    await summary.waitFor({ timeout: 60_000 });
    const text = await summary.innerText();
    assert(text.includes(`${doubt!.missingRows.toLocaleString('en-US')} rows`), `preview says "${text}", expected ${doubt!.missingRows} rows to insert`);
    assert((await doubt!.tableRows()) === doubt!.sourceRows - doubt!.missingRows, 'the dry run wrote to MySQL');
    await shot(page!, results, 'reconcile-preview');
  });

  await part.step('Reconcile: confirm, follow the progress, read the result', async () => {
    const dialog = page!.getByRole('dialog');
    // The run can finish within a poll interval; an observer records that progress was shown.
    await page!.evaluate(() => {
      const w = window as unknown as { __sawProgress?: string };
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="job-progress"]');
        if (el && !w.__sawProgress) w.__sawProgress = el.textContent ?? '';
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await dialog.getByRole('button', { name: 'Reconcile & restart' }).click();
    const result = page!.getByTestId('job-result');
    await result.waitFor({ timeout: 120_000 });
    const text = await result.innerText();
    assert(text.includes(`Inserted ${doubt!.missingRows.toLocaleString('en-US')} rows`), `result says "${text}", expected ${doubt!.missingRows} rows inserted`);
    const progress = await page!.evaluate(() => (window as unknown as { __sawProgress?: string }).__sawProgress);
    assert(progress && progress.includes('Reconcile in progress'), `no live progress was shown (saw: ${progress})`);
    // The status refreshes when the run ends: nothing in doubt, the button usable again.
    await page!.getByTestId('doubt-summary').filter({ hasText: 'Batches in doubt now: 0' }).waitFor({ timeout: 10_000 });
    await page!.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent?.includes('Reconcile & restart') && !b.disabled));
    await shot(page!, results, 'reconcile-result');
    await page!.locator('main').screenshot({ path: path.join(results, 'catalog-dark-reconcile-result.png') });
  });

  await part.step('MySQL holds exactly the source rows', async () => {
    const rows = await doubt!.tableRows();
    assert(rows === doubt!.sourceRows, `MySQL table has ${rows} rows, the source ${doubt!.sourceRows}`);
  });

  await part.step('History lists the button run', async () => {
    await openPage(page!, `/a/${host!.pluginId}/history`);
    const row = page!.getByTestId('run-row').filter({ hasText: 'Button' }).filter({ hasText: 'Success' }).first();
    await row.waitFor();
    const text = await row.innerText();
    assert(text.includes(doubt!.missingRows.toLocaleString('en-US')), `history row "${text}" lacks ${doubt!.missingRows} rows inserted`);
    assert(text.includes(`by ${host!.login}`), `history row "${text}" does not say who pressed the button (${host!.login})`);
    await shot(page!, results, 'history');
  });

  await part.step('a History row opens the run: who pressed the button, its batches, the dashboard at that moment', async () => {
    await page!.getByTestId('run-row').filter({ hasText: 'Button' }).filter({ hasText: 'Success' }).first().click();
    const summary = page!.getByTestId('run-summary');
    await summary.waitFor();
    const text = await summary.innerText();
    assert(text.includes(`(${host!.login})`), `the run's summary "${text}" does not name ${host!.login}, the user Grafana forwarded`);
    assert(/Verification\s*ok/.test(text), `the run's summary "${text}" lacks its verification`);
    const rows = page!.getByTestId('batch-table').locator('tbody tr');
    const cells = await rows.allInnerTexts();
    const inserted = cells.map((c) => Number(c.split('\t').pop()!.replace(/,/g, ''))).reduce((a, b) => a + b, 0);
    assert(inserted === doubt!.missingRows, `the run's batches add up to ${inserted} rows inserted, expected ${doubt!.missingRows}`);
    assert(cells.some((c) => c.includes('Redis mirror') && /records [\d,]+–[\d,]+/.test(c)), `no batch names its source records and the mirror: ${cells.join(' | ')}`);
    const href = await page!.getByRole('link', { name: /Pipeline dashboard at that moment/ }).getAttribute('href');
    assert(/^\/d\/pipewarden-pipeline\?from=\d+&to=\d+$/.test(href ?? ''), `the dashboard link is ${href}`);
    runDetailPath = new URL(page!.url()).pathname;
    await shot(page!, results, 'run-detail');
  });

  await part.step("Overview: the pipeline over time, from the stack's Prometheus, in Grafana's panels with the time picker", async () => {
    // The time range comes from the URL, as in Grafana (the scene syncs from, to and refresh).
    await openPage(page!, `/a/${host!.pluginId}/overview?from=now-5m&to=now`);
    const overTime = page!.getByTestId('pipeline-over-time');
    await overTime.waitFor();
    const panels = overTime.getByTestId('timeseries-standin');
    await page!.waitForFunction(() => document.querySelectorAll('[data-testid="timeseries-standin"]').length === 6);
    for (const title of ['Rows loaded per second', 'Rows rejected per second, by reason', 'Batches in doubt', "The Redis mirror's depth", 'Objects held, by loader', 'Loaders held back, by reason']) {
      await overTime.getByText(title, { exact: true }).waitFor();
    }
    // Prometheus saw the reconcile: rows loaded rose, and batches in doubt went 1 → 0.
    await page!.waitForFunction(() => [...document.querySelectorAll('[data-testid="legend-item"]')].some((l) => l.textContent?.includes('loaded')), undefined, { timeout: 30_000 });
    await overTime.getByText('Last 5 minutes').first().waitFor();
    const series = await panels.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-series'))));
    assert(series[0] >= 1 && series[2] >= 1 && series[3] >= 1, `series per panel: ${series.join(', ')}`);
    // The reconcile run is marked on every panel, as on the Pipeline dashboard.
    await page!.waitForFunction(() => document.querySelectorAll('[data-testid="annotation-marker"][data-title="Reconcile: success"]').length === 6, undefined, { timeout: 30_000 });
    await shot(page!, results, 'overview-over-time');
  });

  await part.step('a loader service on the repaired source: the stage cards show it as users see it', async () => {
    // Started only now: before the reconcile a running loader would repair the batches itself.
    // On the repaired table its run finds every batch in the ledger and finishes.
    const config = stack!.config({ 'reconciler.watchdog': false });
    const loader = await startLoaderService(config, { source: doubt!.file, watchSeconds: 0 });
    part.cleanups.push(() => loader.close());
    const deadline = Date.now() + 60_000;
    while (loader.service.status().state !== 'finished') {
      assert(Date.now() < deadline, `the loader service is ${loader.service.status().state}, not finished, after 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    host!.settings.jsonData = { ...host!.settings.jsonData, loaderUrl: loader.url };
    await openPage(page!, `/a/${host!.pluginId}/overview`);
    await page!.getByText('The reconciler cannot reach the loader').waitFor({ state: 'detached' });
    await page!.getByText('Add the loader URL on the configuration page').waitFor({ state: 'detached' });
  });

  await part.step('every page in the light and the dark theme (bootData.user.lightTheme)', async () => {
    // Each page with what shows it has loaded.
    const pages: Array<[string, string, string]> = [
      // The last minutes, where the stack's Prometheus has data; ready once the scene's panels drew their series
      // (the stage cards, from the reconciler, come first).
      ['overview', `/a/${host!.pluginId}/overview?from=now-10m&to=now`, '[data-testid="legend-item"]'],
      ['reconcile', `/a/${host!.pluginId}/reconcile`, 'button:not([disabled]):has-text("Reconcile & restart")'],
      ['history', `/a/${host!.pluginId}/history`, '[data-testid="run-row"]'],
      ['run-detail', runDetailPath, '[data-testid="run-summary"]'],
      ['configuration', `/plugins/${host!.pluginId}`, 'input[value="configured"]'],
    ];
    for (const light of [true, false]) {
      host!.lightTheme = light;
      const mode = light ? 'light' : 'dark';
      for (const [name, url, ready] of pages) {
        await openPage(page!, url);
        await page!.locator(ready).first().waitFor();
        const background = await page!.evaluate(() => getComputedStyle(document.body).backgroundColor);
        // Grafana's light canvas is near white, its dark canvas near black.
        const level = Number(/rgb\((\d+)/.exec(background)?.[1] ?? -1);
        assert(light ? level > 200 : level >= 0 && level < 60, `${name} in the ${mode} theme has the body background ${background}`);
        await shot(page!, results, `theme-${mode}-${name}`);
        // The part Grafana draws (the app's page), for the plugin catalog's screenshots.
        await page!.locator('main').screenshot({ path: path.join(results, `catalog-${mode}-${name}.png`) });
      }
    }
    host!.lightTheme = false;
  });

  await part.step('the token never reached the browser; the user is forwarded; the write routes need reconcile:write (reqRole Admin without RBAC)', async () => {
    assert(host!.leaks.length === 0, `a response to the browser contained the token: ${host!.leaks[0]}`);
    assert(host!.proxied.every((r) => r.authorized), 'a proxied request went out without the bearer token');
    assert(host!.proxied.some((r) => r.route === 'reconciler/reconcile' && r.status === 202), 'no POST /reconcile went through the proxy');
    assert(host!.proxied.every((r) => r.user === host!.login), 'a proxied request went out without X-Grafana-User');
    const proxy = `${base}/api/plugin-proxy/${host!.pluginId}`;
    const post = (p: string) => fetch(`${proxy}/${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"dryRun":true}' });

    host!.role = 'Viewer';
    assert((await post('reconciler/reconcile')).status === 403, "a Viewer's POST /reconcile must be refused (403)");
    assert((await post('reconciler/reconcile/none/cancel')).status === 403, "a Viewer's POST /reconcile/:id/cancel must be refused (403)");
    const read = await fetch(`${proxy}/reconciler/status`);
    assert(read.status === 200, `a Viewer's GET /status answered ${read.status}, expected 200`);
    const unlisted = await fetch(`${proxy}/reconciler/metrics`);
    assert(unlisted.status === 404, `GET reconciler/metrics is no route of the app, yet answered ${unlisted.status}`);
    await openPage(page!, `/a/${host!.pluginId}/reconcile`);
    await page!.getByText(/You may not reconcile/).waitFor();
    await shot(page!, results, 'reconcile-viewer');

    // An on-call Editor granted the app's reconcile:write: the route lets it through (the
    // reconciler answers 404 for an unknown job, not the proxy 403) and the button is usable.
    host!.role = 'Editor';
    host!.granted = [`${host!.pluginId}.reconcile:write`];
    const cancel = await post('reconciler/reconcile/none/cancel');
    assert(cancel.status === 404, `an Editor granted reconcile:write got ${cancel.status} from POST /reconcile/:id/cancel, expected the reconciler's 404`);
    await openPage(page!, `/a/${host!.pluginId}/reconcile`);
    await page!.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent?.includes('Reconcile & restart') && !b.disabled));

    // A Grafana without app RBAC ignores reqAction and grants: reqRole Admin decides.
    host!.rbac = false;
    assert((await post('reconciler/reconcile/none/cancel')).status === 403, 'without RBAC, an Editor must be refused by reqRole Admin');
    await openPage(page!, `/a/${host!.pluginId}/reconcile`);
    await page!.getByText(/You may not reconcile/).waitFor();
    host!.role = 'Admin';
    await openPage(page!, `/a/${host!.pluginId}/reconcile`);
    await page!.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent?.includes('Reconcile & restart') && !b.disabled));
    host!.rbac = true;
    host!.granted = [];
  });

  // Two pipelines: a stand-in reconciler and loader that report them (the stack runs one), so
  // what is checked is what the app shows and what it sends through the proxy.
  const fake = new FakePipelines();
  let realSettings: Record<string, unknown> = {};
  await part.step('Overview lists two pipelines (from a reconciler and loader that run two)', async () => {
    const url = await fake.start();
    part.cleanups.push(() => fake.stop());
    realSettings = host!.settings.jsonData;
    host!.settings.jsonData = { ...realSettings, reconcilerUrl: `${url}/reconciler`, loaderUrl: `${url}/loader` };
    await openPage(page!, `/a/${host!.pluginId}/overview`);
    const rows = page!.getByTestId('pipeline-row');
    await page!.waitForFunction(() => document.querySelectorAll('[data-testid="pipeline-row"]').length === 2);
    const names = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-pipeline')));
    assert(names.join(',') === 'parking,orders', `the Overview lists the pipelines ${names.join(', ')}`);
    const orders = await rows.nth(1).innerText();
    assert(orders.includes('shop-orders → orders') && orders.includes('600') && orders.includes('50%') && orders.includes('by alice'), `the orders row reads "${orders}"`);
    await page!.getByRole('button', { name: 'Reconcile & restart all' }).waitFor();
    await shot(page!, results, 'overview-pipelines');
  });

  /** Presses `name` on the Overview, confirms the preview, waits for the result; returns the POST bodies the backend got. */
  const reconcileVia = async (name: string) => {
    fake.posts.length = 0;
    await openPage(page!, `/a/${host!.pluginId}/overview`);
    await page!.getByRole('button', { name, exact: true }).click();
    const dialog = page!.getByRole('dialog');
    await dialog.getByTestId('preview-summary').waitFor();
    await dialog.getByRole('button', { name: 'Reconcile & restart', exact: true }).click();
    await page!.getByTestId('job-result').waitFor();
    return fake.posts.map((b) => JSON.stringify(b));
  };

  await part.step("a pipeline's Reconcile & restart sends {pipeline: name} (dry run, then the run)", async () => {
    const bodies = await reconcileVia('Reconcile & restart orders');
    const want = [{ dryRun: true, trigger: 'button', pipeline: 'orders' }, { dryRun: false, trigger: 'button', pipeline: 'orders' }].map((b) => JSON.stringify(b));
    assert(bodies.join() === want.join(), `POST /reconcile bodies ${bodies.join(' ')}, expected ${want.join(' ')}`);
    await page!.getByTestId('job-target').filter({ hasText: 'pipeline orders' }).waitFor();
    assert(host!.proxied.filter((r) => r.route === 'reconciler/reconcile').slice(-2).every((r) => r.status === 202 && r.authorized), 'the pipeline POSTs did not pass the exact reconciler/reconcile route');
    await shot(page!, results, 'overview-pipeline-reconciled');
  });

  await part.step('Reconcile & restart all sends no pipeline', async () => {
    const bodies = await reconcileVia('Reconcile & restart all');
    const want = [{ dryRun: true, trigger: 'button' }, { dryRun: false, trigger: 'button' }].map((b) => JSON.stringify(b));
    assert(bodies.join() === want.join(), `POST /reconcile bodies ${bodies.join(' ')}, expected ${want.join(' ')}`);
  });

  await part.step('History filters by pipeline (GET /runs?pipeline=) and shows the pipeline column', async () => {
    await openPage(page!, `/a/${host!.pluginId}/history`);
    await page!.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"]').length === 2);
    await page!.getByTestId('pipeline-filter').getByRole('radio', { name: 'orders', exact: true }).click();
    await page!.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"]').length === 1);
    const cell = await page!.getByTestId('run-pipeline').innerText();
    assert(cell === 'orders', `the filtered History shows pipeline "${cell}"`);
    assert(fake.runQueries.some((q) => new URLSearchParams(q).get('pipeline') === 'orders'), `no GET /runs?pipeline=orders went through the proxy: ${fake.runQueries.join(' ')}`);
    await shot(page!, results, 'history-pipeline');
  });

  await part.step('a Viewer sees the pipelines and no button', async () => {
    host!.role = 'Viewer';
    try {
      await openPage(page!, `/a/${host!.pluginId}/overview`);
      await page!.waitForFunction(() => document.querySelectorAll('[data-testid="pipeline-row"]').length === 2);
      const buttons = await page!.getByTestId('pipelines').getByRole('button').count();
      assert(buttons === 0, `a Viewer sees ${buttons} buttons among the pipelines`);
      await shot(page!, results, 'overview-pipelines-viewer');
    } finally {
      host!.role = 'Admin';
      host!.settings.jsonData = realSettings;
    }
  });

  await part.step('an unreachable reconciler is explained on the Overview', async () => {
    host!.settings.jsonData = { ...host!.settings.jsonData, reconcilerUrl: 'http://127.0.0.1:9' };
    await openPage(page!, `/a/${host!.pluginId}/overview`);
    await page!.getByTestId('problem-alert').filter({ hasText: 'Is pipewarden reconciler serve running at http://127.0.0.1:9?' }).waitFor();
    await shot(page!, results, 'overview-unreachable');
  });

  await part.step('no uncaught error in the browser on any page', async () => {
    assert(browserErrors.length === 0, `the browser reported: ${browserErrors.join('; ')}`);
  });
}

/** Legs named on the command line, or all of them. */
function selectLegs(all: Leg[], names: string[]): Leg[] {
  const unknown = names.filter((n) => !all.some((l) => l.name === n));
  assert(unknown.length === 0, `no e2e leg named ${unknown.join(', ')}; the legs are ${all.map((l) => l.name).join(', ')}`);
  return names.length === 0 ? all : all.filter((l) => names.includes(l.name));
}

async function main(): Promise<Part[]> {
  assert(existsSync(path.join(DIST, 'module.js')), 'dist/module.js is missing: run `npm run build` in grafana-plugin/ first');
  assert(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's chromium (scripts/bootstrap.sh does) or set CHROMIUM_PATH`);
  const all = findLegs();
  assert(all.length > 0, `no e2e legs in ${path.relative(process.cwd(), LEGS_DIR)}/`);
  const legs = selectLegs(all, process.argv.slice(2));
  console.log('grafana-plugin e2e: built dist/module.js in Chromium against a real reconciler, under each Grafana line');

  const parts: Part[] = [];
  const dist = new Part('dist/');
  parts.push(dist);
  console.log(`\n── ${dist.title}`);
  await dist.run(() => checkDist(dist, all));
  for (const leg of legs) {
    const part = new Part(`leg ${leg.name}: Grafana ${leg.line}, React ${leg.react}, @grafana/* ${leg.grafanaPackages}`);
    parts.push(part);
    console.log(`\n── ${part.title}`);
    // A failed leg does not stop the others: each line's result is reported.
    await part.run(() => runLeg(part, leg));
  }
  return parts;
}

main()
  .then((parts) => {
    console.log('');
    for (const part of parts) {
      for (const f of part.checks.filter((c) => !c.ok)) {
        console.log(`FAILED (${part.title}): ${f.name}\n${f.detail}\n`);
      }
    }
    for (const part of parts) {
      const failed = part.checks.filter((c) => !c.ok).length;
      console.log(`${failed === 0 ? 'ok  ' : 'FAIL'} ${part.title}: ${part.checks.length - failed} passed, ${failed} failed`);
    }
    console.log(`screenshots: ${path.relative(process.cwd(), RESULTS)}/<leg>/*.png`);
    const ok = parts.every((p) => p.checks.length > 0 && p.checks.every((c) => c.ok));
    process.exit(ok ? 0 : 1);
  })
  .catch((e: Error) => {
    console.log(`e2e: ${e.message}`);
    process.exit(1);
  });
