// The contract check's own test: it must find names in real-world PromQL shapes and must
// fail on a pipewarden_* name that METRICS does not define (a typo in a dashboard).
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricNamesInPromQL, scanRepository, unknownUses } from './metric-names';

describe('metricNamesInPromQL', () => {
  it.each([
    ['pipewarden_up{target="mysql"} == 0', ['pipewarden_up']],
    ['sum by (reason) (rate(pipewarden_rows_rejected_total{job="x"}[$__rate_interval]))', ['pipewarden_rows_rejected_total']],
    ['sum(rate(pipewarden_rows_loaded_total[5m])) / ignoring(job) group_left sum(rate(pipewarden_loader_rows_in_total[5m] offset 1h))', ['pipewarden_rows_loaded_total', 'pipewarden_loader_rows_in_total']],
    ['histogram_quantile(0.99, sum by (le, sink) (rate(pipewarden_loader_batch_duration_seconds_bucket[5m])))', ['pipewarden_loader_batch_duration_seconds_bucket']],
    ['time() - pipewarden_last_reconcile_timestamp_seconds > 3600', ['pipewarden_last_reconcile_timestamp_seconds']],
    ['max_over_time(pipewarden_batches_in_doubt[10m:1m]) > 0 and on() mysql_up == 1', ['pipewarden_batches_in_doubt', 'mysql_up']],
    ['{__name__="pipewarden_wal_bytes"}', ['pipewarden_wal_bytes']],
    ['pipewarden_source_bytes_pending / 1e6 > 1.5e3', ['pipewarden_source_bytes_pending']],
    ['label_replace(up{job=~"pipewarden.*"}, "svc", "$1", "job", "pipewarden-(.*)")', ['up']],
    ['pipewarden:rows_loaded:rate5m', ['pipewarden:rows_loaded:rate5m']],
    ['count(pipewarden_loader_state{state="running"} == 1) without (instance)', ['pipewarden_loader_state']],
  ])('%s', (expr, want) => {
    expect(metricNamesInPromQL(expr).sort()).toEqual([...want].sort());
  });

  it.each([
    ['label_values(pipewarden_up, target)', ['pipewarden_up']],
    ['label_values(pipewarden_loader_state{job="x"}, state)', ['pipewarden_loader_state']],
    ['label_values(instance)', []],
    ['query_result(topk(3, pipewarden_mirror_bytes))', ['pipewarden_mirror_bytes']],
  ])('variable query %s', (expr, want) => {
    expect(metricNamesInPromQL(expr, 'variable')).toEqual(want);
  });
});

describe('the contract check', () => {
  function repo(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'pw-contract-'));
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    return root;
  }

  it('fails on an unknown pipewarden_* metric in a dashboard and passes the known ones', () => {
    const dashboard = {
      panels: [
        { targets: [{ expr: 'sum(rate(pipewarden_rows_loaded_total[5m]))' }] },
        { targets: [{ expr: 'pipewarden_rows_lodaed_total' }] },
        { targets: [{ expr: 'rate(mysql_global_status_queries[1m]) + node_load1' }] },
      ],
      templating: { list: [{ type: 'query', query: { query: 'label_values(pipewarden_up, target)' } }, { type: 'datasource', query: 'prometheus' }] },
    };
    const root = repo({ 'provisioning/grafana/dashboards/x.json': JSON.stringify(dashboard) });
    const scan = scanRepository(root);
    expect(scan.files).toEqual(['provisioning/grafana/dashboards/x.json']);
    expect(scan.uses.map((u) => u.name).sort()).toEqual(
      ['mysql_global_status_queries', 'node_load1', 'pipewarden_rows_loaded_total', 'pipewarden_rows_lodaed_total', 'pipewarden_up'].sort(),
    );
    expect(unknownUses(scan)).toEqual([
      { file: 'provisioning/grafana/dashboards/x.json', name: 'pipewarden_rows_lodaed_total', reason: expect.stringMatching(/not in METRICS/) },
    ]);
  });

  it('reads rule files (recording rules define names), rule tests and the plugin source', () => {
    const rules = `groups:
  - name: pipewarden
    rules:
      - record: pipewarden:rows_loaded:rate5m
        expr: sum(rate(pipewarden_rows_loaded_total[5m]))
      - alert: PipewardenMySQLDown
        expr: pipewarden_up{target="mysql"} == 0 or pipewarden:rows_loaded:rate5m < 0
        labels: { severity: critical }
`;
    const ruleTest = `tests:
  - input_series:
      - series: 'pipewarden_wal_byts{instance="a"}'
        values: '1+0x10'
`;
    const plugin = `const q = \`sum(pipewarden_mirror_batches)\`; const bad = 'pipewarden_nope_total';`;
    const root = repo({
      'provisioning/prometheus/rules/pipewarden.yml': rules,
      'provisioning/prometheus/rules/pipewarden.test.yml': ruleTest,
      'grafana-plugin/src/pages/Overview.tsx': plugin,
      'grafana-plugin/src/pages/Overview.test.tsx': `'pipewarden_only_in_a_test'`,
      'grafana-plugin/src/test/fixtures.ts': `'pipewarden_only_in_a_fixture'`,
    });
    const scan = scanRepository(root);
    expect(scan.recorded).toEqual(new Set(['pipewarden:rows_loaded:rate5m']));
    expect(unknownUses(scan).map((u) => `${u.file} ${u.name}`).sort()).toEqual([
      'grafana-plugin/src/pages/Overview.tsx pipewarden_nope_total',
      'provisioning/prometheus/rules/pipewarden.test.yml pipewarden_wal_byts',
    ]);
  });

  it('flags a name that is neither pipewarden\'s nor a standard exporter\'s', () => {
    const root = repo({ 'provisioning/d.json': JSON.stringify({ panels: [{ targets: [{ expr: 'custom_thing_total' }] }] }) });
    expect(unknownUses(scanRepository(root))).toMatchObject([{ name: 'custom_thing_total', reason: expect.stringMatching(/standard exporter/) }]);
  });
});
