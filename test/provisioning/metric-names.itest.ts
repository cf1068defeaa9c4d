// The metric-name extractor of the contract check: it must find every metric of an
// expression and nothing else, or the contract test proves nothing.
import { METRICS, STANDARD_EXPORTER_METRIC_PREFIXES, exposedNames } from '@pipewarden/core';
import { extractMetricNames, extractVariableQueryMetricNames, substituteGrafanaVariables, unknownMetricNames, dashboardExpressions } from './metric-names';

describe('extractMetricNames', () => {
  test.each<[string, string[]]>([
    ['pipewarden_batches_in_doubt', ['pipewarden_batches_in_doubt']],
    ['sum(rate(pipewarden_rows_loaded_total[$__rate_interval]))', ['pipewarden_rows_loaded_total']],
    ['sum by (reason) (rate(pipewarden_rows_rejected_total{job="x", reason=~"bad.*"}[5m]))', ['pipewarden_rows_rejected_total']],
    ['histogram_quantile(0.99, sum by (le, sink) (rate(pipewarden_loader_batch_duration_seconds_bucket[1m])))', ['pipewarden_loader_batch_duration_seconds_bucket']],
    ['max by () (pipewarden_up{target="mysql"}) == 0 or (max by () (mysql_up) == 0 unless on () pipewarden_up{target="mysql"})', ['mysql_up', 'pipewarden_up']],
    ['predict_linear(pipewarden_wal_disk_free_bytes[1h], 4 * 3600) < 0', ['pipewarden_wal_disk_free_bytes']],
    ['a_metric > on (job, instance) group_left (state) b_metric', ['a_metric', 'b_metric']],
    ['1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"} / node_filesystem_size_bytes', ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes']],
    ['sum(node_load1{instance=~"$instance"}) + node_load15', ['node_load1', 'node_load15']],
    ['sum(x_total) or vector(0)', ['x_total']],
    ['rate(x_total[5m] offset 1h) * 1e9', ['x_total']],
    ['max_over_time(x[1h:5m])', ['x']],
    ['label_replace(up, "dst", "$1", "src", "(.*)")', ['up']],
    ['(1 - avg(avg_over_time(mysql_up{instance=~"$instance"}[$__range]))) * $__range_s', ['mysql_up']],
    ['count(count by (instance, cpu) (node_cpu_seconds_total))', ['node_cpu_seconds_total']],
    ['ALERTS{alertstate="firing"}', ['ALERTS']],
    ['sum without (instance) (rate(a:recorded:rate5m[1m]))', ['a:recorded:rate5m']],
  ])('%s', (expr, names) => {
    expect(extractMetricNames(expr)).toEqual(names);
  });

  test('variable queries: label_values names the metric, not the label', () => {
    expect(extractVariableQueryMetricNames('label_values(node_uname_info, instance)')).toEqual(['node_uname_info']);
    expect(extractVariableQueryMetricNames('label_values(mysql_up{job="mysqld"}, instance)')).toEqual(['mysql_up']);
    expect(extractVariableQueryMetricNames('label_names()')).toEqual([]);
    expect(extractVariableQueryMetricNames('query_result(topk(5, x_total))')).toEqual(['x_total']);
  });
});

describe('unknownMetricNames', () => {
  const known = Object.values(METRICS).flatMap(exposedNames);
  test('our names must be exact; standard exporters pass by prefix', () => {
    expect(unknownMetricNames(['pipewarden_rows_loaded_total', 'mysql_up', 'node_load1', 'up', 'ALERTS'], known, STANDARD_EXPORTER_METRIC_PREFIXES)).toEqual([]);
    expect(unknownMetricNames(['pipewarden_rows_loaded', 'pipewarden_made_up_total', 'upstream_bytes', 'foo'], known, STANDARD_EXPORTER_METRIC_PREFIXES)).toEqual([
      'foo',
      'pipewarden_made_up_total',
      'pipewarden_rows_loaded',
      'upstream_bytes',
    ]);
  });
  test('histograms are known by their exposed series, not their base name', () => {
    expect(unknownMetricNames(['pipewarden_loader_batch_duration_seconds_bucket'], known, STANDARD_EXPORTER_METRIC_PREFIXES)).toEqual([]);
    expect(unknownMetricNames(['pipewarden_loader_batch_duration_seconds'], known, STANDARD_EXPORTER_METRIC_PREFIXES)).toEqual(['pipewarden_loader_batch_duration_seconds']);
  });
});

test('substituteGrafanaVariables gives Prometheus something it can parse', () => {
  expect(substituteGrafanaVariables('rate(x[$__rate_interval]) * $__range_s and y{instance=~"$instance"} and z{a=~"${job}"}')).toBe(
    'rate(x[1m]) * 3600 and y{instance=~".*"} and z{a=~".*"}',
  );
});

test('dashboardExpressions walks targets (rows included), variables and annotations', () => {
  const found = dashboardExpressions(
    {
      panels: [
        { title: 'a', targets: [{ refId: 'A', expr: 'x_total' }] },
        { type: 'row', title: 'r', panels: [{ title: 'b', targets: [{ refId: 'B', expr: 'y' }, { refId: 'C', expr: '' }] }] },
      ],
      templating: { list: [{ name: 'instance', type: 'query', query: { query: 'label_values(z, instance)' } }, { name: 'c', type: 'custom', query: 'a,b' }] },
      annotations: { list: [{ name: 'alerts', expr: 'ALERTS' }] },
    },
    'd',
  );
  expect(found.map((f) => [f.where, f.expr, f.kind])).toEqual([
    ['d › a › A', 'x_total', 'query'],
    ['d › b › B', 'y', 'query'],
    ['d › variable instance', 'label_values(z, instance)', 'variable'],
    ['d › annotation alerts', 'ALERTS', 'query'],
  ]);
});
