import React from 'react';
import { render, screen } from '@testing-library/react';
import { config } from '@grafana/runtime';
import { dataLayers, SceneDataLayerSet, SceneFlexItem, SceneFlexLayout, SceneQueryRunner, SceneRefreshPicker, SceneTimePicker, SceneTimeRange, VizPanel } from '@grafana/scenes';

import { METRICS } from '../../../core/src/metrics';
import { PipelineOverTime } from './PipelineOverTime';
import { ALL_PIPELINES, OVER_TIME_ANNOTATIONS, OVER_TIME_PANELS, PROMETHEUS } from './pipelineQueries';
import { buildPipelineScene } from './pipelineScene';

/** Metric names a PromQL expression mentions. */
const metricsIn = (expr: string) => expr.match(/pipewarden_[a-z_]+/g) ?? [];
const KNOWN = new Set(Object.values(METRICS).map((m) => m.name));

describe('the pipeline over time: queries', () => {
  it('plots rows loaded per second, rows rejected by reason, batches in doubt, the mirror depth, the objects each loader holds and the time loaders are held back', () => {
    expect(OVER_TIME_PANELS.map((p) => [p.title, p.queries.map((q) => q.expr)])).toEqual([
      ['Rows loaded per second', ['sum(rate(pipewarden_rows_loaded_total[$__rate_interval]))']],
      ['Rows rejected per second, by reason', ['sum by (reason) (rate(pipewarden_rows_rejected_total[$__rate_interval]))']],
      ['Batches in doubt', ['max(pipewarden_batches_in_doubt)']],
      ["The Redis mirror's depth", ['max(pipewarden_mirror_batches)']],
      ['Objects held, by loader', ['sum by (worker) (pipewarden_worker_objects_held)']],
      ['Loaders held back, by reason', ['sum by (reason) (rate(pipewarden_loader_throttled_seconds_total[$__rate_interval]))']],
    ]);
    expect(OVER_TIME_PANELS[1].queries[0].legendFormat).toBe('{{reason}}');
    expect(OVER_TIME_PANELS[4].queries[0].legendFormat).toBe('{{worker}}');
  });

  it('marks reconcile runs and MySQL outages', () => {
    expect(OVER_TIME_ANNOTATIONS.map((a) => [a.name, a.expr, a.datasource])).toEqual([
      ['Reconcile runs', 'sum by (pipeline, outcome) (changes(pipewarden_reconcile_runs_total{pipeline=~".*"}[$__interval]))', PROMETHEUS],
      ['MySQL outages', '1 - min(pipewarden_up{target="mysql"})', PROMETHEUS],
    ]);
  });

  it('uses only metric names of core/src/metrics.ts, and the Pipeline dashboard the same annotations', () => {
    const exprs = [...OVER_TIME_PANELS.flatMap((p) => p.queries.map((q) => q.expr)), ...OVER_TIME_ANNOTATIONS.map((a) => String(a.expr))];
    expect(exprs.flatMap(metricsIn).filter((n) => !KNOWN.has(n))).toEqual([]);
    const dashboard = require('../../../provisioning/grafana/dashboards/pipeline.json') as { annotations: { list: Array<{ name: string; expr?: string }> } };
    for (const a of OVER_TIME_ANNOTATIONS) {
      // The dashboard's $pipeline variable at All is the app's every pipeline.
      expect(dashboard.annotations.list.find((d) => d.name === a.name)?.expr?.replace(/\$pipeline\b/g, ALL_PIPELINES)).toBe(a.expr);
    }
  });
});

describe('the pipeline over time: the scene', () => {
  const scene = buildPipelineScene();

  it("has Grafana's time picker and refresh picker, over the last 6 hours refreshed every 30 s", () => {
    const range = scene.state.$timeRange as SceneTimeRange;
    expect([range.state.from, range.state.to]).toEqual(['now-6h', 'now']);
    const controls = scene.state.controls ?? [];
    expect(controls.some((c) => c instanceof SceneTimePicker)).toBe(true);
    const refresh = controls.find((c): c is SceneRefreshPicker => c instanceof SceneRefreshPicker)!;
    expect(refresh.state.refresh).toBe('30s');
  });

  it('has one timeseries panel per query set, each reading the provisioned Prometheus', () => {
    const items = (scene.state.body as SceneFlexLayout).state.children as SceneFlexItem[];
    const panels = items.map((i) => i.state.body as VizPanel);
    expect(panels.map((p) => [p.state.pluginId, p.state.title])).toEqual(OVER_TIME_PANELS.map((p) => ['timeseries', p.title]));
    for (const [i, p] of panels.entries()) {
      const runner = p.state.$data as SceneQueryRunner;
      expect(runner.state.datasource).toEqual(PROMETHEUS);
      expect(runner.state.queries).toEqual(OVER_TIME_PANELS[i].queries);
    }
  });

  it('layers the annotations over every panel of the scene', () => {
    const layers = (scene.state.$data as SceneDataLayerSet).state.layers;
    expect(layers.every((l) => l instanceof dataLayers.AnnotationsDataLayer)).toBe(true);
    expect(layers.map((l) => [l.state.name, l.state.isEnabled])).toEqual([
      ['Reconcile runs', true],
      ['MySQL outages', true],
    ]);
  });
});

describe('PipelineOverTime', () => {
  afterEach(() => {
    config.datasources = {};
  });

  it('says which data source to provision when Grafana has none with the uid', async () => {
    config.datasources = {};
    render(<PipelineOverTime />);
    expect(await screen.findByTestId('over-time-missing-datasource')).toHaveTextContent('No data source with uid pipewarden-prometheus');
  });
});
