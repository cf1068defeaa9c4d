// Grafana dashboards: fixed file names and uids, current schema, the provisioned datasource
// referenced by uid everywhere, every metric in the contract, and every query accepted by
// a real Prometheus. The MySQL and Host dashboards' queries are also run against real
// mysqld_exporter and node_exporter data (Debian's binaries, a private MariaDB), so a
// misspelled standard metric shows up as an empty panel here rather than in production.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { METRICS, STANDARD_EXPORTER_METRIC_PREFIXES, exposedNames, isPipelineScoped } from '@pipewarden/core';
import { ManagedProcess, PrometheusServer, freePort, httpOk, sleep, which } from '@pipewarden/stack';
import { startTestStack, type TestStack } from '../helpers/stack';
import { dashboardExpressions, metricNamesOf, substituteGrafanaVariables, unknownMetricNames, type FoundExpression } from './metric-names';
import { DASHBOARDS_DIR, PROVISIONING } from './rules';

const DATASOURCE_UID = 'pipewarden-prometheus';
// Grafana 12.0–12.2 write schemaVersion 41 (12.3 migrates it to 42 on load, a no-op for
// these dashboards); 41 keeps them loadable by every Grafana 12.
const SCHEMA_VERSION = 41;
const EXPECTED = { 'pipeline.json': 'pipewarden-pipeline', 'mysql.json': 'pipewarden-mysql', 'host.json': 'pipewarden-host' } as const;

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; legendFormat?: string; datasource?: { type: string; uid: string } }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; datasource?: { uid: string }; multi?: boolean; includeAll?: boolean; definition?: string; query?: { query?: string } }[] };
  annotations: { list: { name: string; datasource?: { uid: string }; expr?: string }[] };
}

const dashboards: [string, Dashboard][] = Object.keys(EXPECTED).map((f) => [f, JSON.parse(readFileSync(join(DASHBOARDS_DIR, f), 'utf8')) as Dashboard]);
const allPanels = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

describe('dashboard files', () => {
  test('exactly the three dashboards, with their fixed uids and the current schema version', () => {
    expect(readdirSync(DASHBOARDS_DIR).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [file, d] of dashboards) {
      expect([file, d.uid]).toEqual([file, EXPECTED[file as keyof typeof EXPECTED]]);
      expect(d.schemaVersion).toBe(SCHEMA_VERSION);
      expect(d.title).toMatch(/^Pipewarden \/ /);
    }
  });

  test('every panel, query, variable and annotation uses the provisioned datasource by uid', () => {
    const ds = parse(readFileSync(join(PROVISIONING, 'grafana', 'datasources', 'pipewarden.yml'), 'utf8')) as { datasources: { uid: string; type: string }[] };
    expect(ds.datasources.map((d) => [d.uid, d.type])).toEqual([[DATASOURCE_UID, 'prometheus']]);
    for (const [file, d] of dashboards) {
      for (const p of allPanels(d).filter((x) => x.type !== 'row')) {
        expect({ file, panel: p.title, ds: p.datasource?.uid }).toEqual({ file, panel: p.title, ds: DATASOURCE_UID });
        expect(p.targets?.length).toBeGreaterThan(0);
        for (const t of p.targets ?? []) expect({ file, panel: p.title, ds: t.datasource?.uid }).toEqual({ file, panel: p.title, ds: DATASOURCE_UID });
      }
      for (const v of d.templating.list.filter((x) => x.type === 'query')) expect(v.datasource?.uid).toBe(DATASOURCE_UID);
      for (const a of d.annotations.list.filter((x) => x.expr)) expect(a.datasource?.uid).toBe(DATASOURCE_UID);
    }
  });

  test('panel ids are unique, refIds unique per panel, and panels fit the 24-column grid without overlapping', () => {
    for (const [file, d] of dashboards) {
      const panels = allPanels(d);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      const cells = new Set<string>();
      for (const p of panels) {
        const refs = (p.targets ?? []).map((t) => t.refId);
        expect(new Set(refs).size).toBe(refs.length);
        expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            const cell = `${x},${y}`;
            expect({ file, panel: p.title, overlaps: cells.has(cell) }).toEqual({ file, panel: p.title, overlaps: false });
            cells.add(cell);
          }
      }
    }
  });

  test('every metric a dashboard names is exported (core/src/metrics.ts) or standard', () => {
    const known = Object.values(METRICS).flatMap(exposedNames);
    const problems = dashboards.flatMap(([file, d]) =>
      dashboardExpressions(d, file).flatMap((f) => unknownMetricNames(metricNamesOf(f), known, STANDARD_EXPORTER_METRIC_PREFIXES).map((n) => `${f.where}: ${n}`)),
    );
    expect(problems).toEqual([]);
  });

  // Issue 15 item 6: series of a pipeline carry `pipeline`; the pipeline dashboard selects
  // pipelines with a variable and every panel of such a series follows it.
  const PIPELINE_SCOPED = Object.values(METRICS).filter(isPipelineScoped).flatMap(exposedNames);
  /** Each selector of a pipeline-scoped metric in `expr` that does not filter by the variable. */
  const unfiltered = (expr: string): string[] =>
    PIPELINE_SCOPED.flatMap((name) =>
      [...expr.matchAll(new RegExp(`(?<![A-Za-z0-9_:])${name}(?![A-Za-z0-9_:])(\\{[^}]*\\})?`, 'g'))]
        .filter((m) => !(m[1] ?? '').includes('pipeline=~"$pipeline"'))
        .map((m) => m[0]),
    );

  /** How many pipeline-scoped metric selectors an expression has. */
  function scopedSelectors(expr: string): number {
    return PIPELINE_SCOPED.reduce((n, name) => n + [...expr.matchAll(new RegExp(`(?<![A-Za-z0-9_:])${name}(?![A-Za-z0-9_:])`, 'g'))].length, 0);
  }

  test('the check of pipeline filters finds an unfiltered selector and accepts a filtered one', () => {
    expect(unfiltered('sum(rate(pipewarden_rows_loaded_total[5m])) + max(pipewarden_wal_bytes{job="x"})')).toEqual(['pipewarden_rows_loaded_total', 'pipewarden_wal_bytes{job="x"}']);
    expect(unfiltered('sum by (pipeline) (rate(pipewarden_rows_loaded_total{pipeline=~"$pipeline"}[5m])) / max(pipewarden_up{target="mysql"})')).toEqual([]);
    expect(PIPELINE_SCOPED).toContain('pipewarden_batches_committed_total');
    expect(PIPELINE_SCOPED).not.toContain('pipewarden_up');
  });

  test.each(dashboards.filter(([, d]) => dashboardExpressions(d).some((f) => f.kind === 'query' && scopedSelectors(f.expr) > 0)))('%s has a multi-select pipeline variable with All, read from a series every pipeline has', (_file, d) => {
    const v = d.templating.list.find((x) => x.name === 'pipeline');
    expect(v).toMatchObject({ type: 'query', multi: true, includeAll: true, datasource: { uid: DATASOURCE_UID } });
    const m = /^label_values\((\w+), pipeline\)$/.exec(v!.query?.query ?? '');
    expect(m).not.toBeNull();
    // The exporter publishes this one for every configured pipeline from the first scrape.
    expect(PIPELINE_SCOPED).toContain(m![1]);
    expect(v!.definition).toBe(v!.query!.query);
  });

  test('every query of a pipeline-scoped metric filters by the pipeline variable, and its legend names the pipeline', () => {
    const problems = dashboards.flatMap(([file, d]) =>
      dashboardExpressions(d, file)
        .filter((f) => f.kind === 'query')
        .flatMap((f) => unfiltered(f.expr).map((sel) => `${f.where}: ${sel}`)),
    );
    expect(problems).toEqual([]);
    // Legends: with several pipelines selected, each series must say which one it is.
    const legends = dashboards.flatMap(([file, d]) =>
      allPanels(d).flatMap((p) =>
        (p.targets ?? [])
          .filter((t) => scopedSelectors(t.expr) > 0 && !(t.legendFormat ?? '').includes('{{pipeline}}'))
          .map((t) => `${file} › ${p.title} › ${t.refId}: legend "${t.legendFormat ?? ''}"`),
      ),
    );
    expect(legends).toEqual([]);
  });

  test('each dashboard shows what it promises', () => {
    const names = (file: string) => new Set(dashboardExpressions(dashboards.find(([f]) => f === file)![1], file).flatMap(metricNamesOf));
    const pipeline = names('pipeline.json');
    for (const m of [
      'pipewarden_rows_loaded_total',
      'pipewarden_loader_rows_in_total',
      'pipewarden_source_bytes_pending',
      'pipewarden_batches_in_doubt',
      'pipewarden_wal_bytes',
      'pipewarden_mirror_bytes',
      'pipewarden_redis_used_memory_bytes',
      'pipewarden_rows_rejected_total',
      'pipewarden_reconcile_runs_total',
      'pipewarden_rows_repaired_total',
      'pipewarden_up',
      'pipewarden_loader_state',
    ])
      expect(pipeline).toContain(m);
    // Reconcile runs and MySQL outages marked on every panel's time axis (issue 19). Grafana's
    // Prometheus annotations mark the steps whose value is >= 1, so these queries return 0/1
    // series (never empty while the metric exists) rather than filtering with a comparison.
    const pipelineAnnotations = dashboards.find(([f]) => f === 'pipeline.json')![1].annotations.list.filter((a) => a.expr);
    expect(pipelineAnnotations.map((a) => [a.name, metricNamesOf({ where: a.name, expr: a.expr!, kind: 'query' })])).toEqual(
      expect.arrayContaining([
        ['Reconcile runs', ['pipewarden_reconcile_runs_total']],
        ['MySQL outages', ['pipewarden_up']],
      ]),
    );
    const mysql = names('mysql.json');
    for (const m of ['mysql_up', 'mysql_global_status_uptime', 'mysql_global_status_threads_connected', 'mysql_global_status_queries', 'mysql_global_status_innodb_row_ops_total'])
      expect(mysql).toContain(m);
    const host = names('host.json');
    for (const m of ['node_cpu_seconds_total', 'node_memory_MemAvailable_bytes', 'node_load1', 'node_filesystem_avail_bytes', 'node_boot_time_seconds']) expect(host).toContain(m);
  });
});

// ---- against real Prometheus and exporters ------------------------------------------

interface PromResponse {
  status: string;
  error?: string;
  data?: { result: unknown[] };
}

async function query(url: string, expr: string): Promise<PromResponse> {
  const res = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
  return (await res.json()) as PromResponse;
}

/** Queries that are legitimately empty on an idle test MariaDB / host. */
const MAY_BE_EMPTY = [
  /connection_errors_total/, // only errors that happened
  /innodb_row_ops_total/, // MySQL 8 only: MariaDB has no Innodb_rows_* (the panel's handler query covers it)
  /node_memory_SwapTotal_bytes/, // no swap on the test machine is normal
  /node_disk_/, // containers may show no block devices
];

describe('queries on a real Prometheus', () => {
  let stack: TestStack;
  let prometheus: PrometheusServer;
  const exporters: ManagedProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ services: ['mariadb'], migrate: false });
    const dir = stack.layout.dir;
    const ports = { prometheus: await freePort(), node: await freePort(), mysqld: await freePort() };
    const spawnExporter = (name: string, command: string | undefined, args: string[], port: number, env?: NodeJS.ProcessEnv) => {
      if (!command) throw new Error(`${name} is not installed (scripts/bootstrap.sh installs it)`);
      const p = new ManagedProcess({ name, command, args, env: { ...process.env, ...env }, logFile: join(dir, `${name}.log`), pidFile: join(dir, `${name}.pid`), ready: () => httpOk(`http://127.0.0.1:${port}/metrics`) });
      exporters.push(p);
      return p.start();
    };
    await Promise.all([
      spawnExporter('node-exporter', which(['prometheus-node-exporter', 'node_exporter']), [`--web.listen-address=127.0.0.1:${ports.node}`], ports.node),
      spawnExporter('mysqld-exporter', which(['prometheus-mysqld-exporter', 'mysqld_exporter']), [`--web.listen-address=127.0.0.1:${ports.mysqld}`], ports.mysqld, {
        DATA_SOURCE_NAME: `root@(127.0.0.1:${stack.layout.ports.mariadb})/`,
      }),
    ]);
    const config = `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: node\n    static_configs: [{ targets: ['127.0.0.1:${ports.node}'] }]\n  - job_name: mysqld\n    static_configs: [{ targets: ['127.0.0.1:${ports.mysqld}'] }]\n`;
    prometheus = new PrometheusServer({ dir: join(dir, 'prometheus'), port: ports.prometheus, config });
    await prometheus.start();
    // Rates need two samples inside the window: wait until a rate over each exporter answers
    // (mysqld_exporter's scrape is the slow one on a busy machine).
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      const r = await query(prometheus.url, 'rate(node_cpu_seconds_total[1m]) and on() rate(mysql_global_status_queries[1m])');
      if ((r.data?.result.length ?? 0) > 0) break;
      await sleep(250);
    }
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    for (const e of exporters) await e.stop();
    await stack?.cleanup();
  }, 60_000);

  const expressions: [string, FoundExpression][] = dashboards.flatMap(([file, d]) => dashboardExpressions(d, file).filter((f) => f.kind === 'query').map((f) => [f.where, f] as [string, FoundExpression]));

  test.each(expressions)('%s parses', async (_where, f) => {
    const r = await query(prometheus.url, substituteGrafanaVariables(f.expr));
    expect({ status: r.status, error: r.error }).toEqual({ status: 'success', error: undefined });
  });

  test('MySQL and Host panels return data from the real exporters', async () => {
    const empty: string[] = [];
    for (const [file, d] of dashboards.filter(([f]) => f !== 'pipeline.json')) {
      for (const f of dashboardExpressions(d, file).filter((x) => x.kind === 'query' && !/pipewarden_|ALERTS/.test(x.expr))) {
        if (MAY_BE_EMPTY.some((re) => re.test(f.expr))) continue;
        const r = await query(prometheus.url, substituteGrafanaVariables(f.expr));
        if ((r.data?.result.length ?? 0) === 0) empty.push(f.where);
      }
    }
    expect(empty).toEqual([]);
  }, 30_000);

  test('the variable queries find the exporters', async () => {
    for (const [, d] of dashboards) {
      for (const v of d.templating.list.filter((x) => x.type === 'query')) {
        const metric = /label_values\((\w+)/.exec(JSON.stringify(v))![1];
        // No pipewarden exporter runs here: exporter/test/pipelines.itest.ts checks that
        // Prometheus has the pipeline variable's series once per pipeline.
        if (metric.startsWith('pipewarden_')) continue;
        const r = await query(prometheus.url, `count by (instance) (${metric})`);
        expect({ metric, found: (r.data?.result.length ?? 0) > 0 }).toEqual({ metric, found: true });
      }
    }
  });
});
