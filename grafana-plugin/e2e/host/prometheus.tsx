// Grafana's side of the Overview's scene in the e2e host: what Grafana gives a scene at run time
// and the host otherwise lacks. A Prometheus data source stand-in (query_range through the host's
// data source proxy, /api/datasources/proxy/uid/<uid>/, to the real Prometheus of the stack;
// series as data frames named by legendFormat; annotations from the samples >= 1, as Grafana's
// Prometheus data source makes them), the request runner Grafana installs (setRunRequest), and
// a minimal timeseries panel (lines over the time range, annotation markers, a legend). In
// Grafana the real Prometheus data source and timeseries panel do this.
import * as React from 'react';
import { from, map, of, type Observable } from 'rxjs';
import {
  DataSourceApi,
  FieldType,
  LoadingState,
  PanelPlugin,
  createDataFrame,
  rangeUtil,
  type AnnotationEvent,
  type AnnotationQuery,
  type DataFrame,
  type DataQuery,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  type PanelData,
  type PanelProps,
} from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaRuntimeUnstable from '@grafana/runtime/unstable';

import { PROMETHEUS_UID, prometheusSettings } from './prometheusSettings';

interface PromQuery extends DataQuery {
  expr: string;
  legendFormat?: string;
  /** An annotation's step ("1m"): the query's resolution and $__interval, as Grafana's data source uses it. */
  interval?: string;
}

interface PromAnnotation extends AnnotationQuery<PromQuery> {
  expr?: string;
  titleFormat?: string;
  textFormat?: string;
  step?: string;
}

/** "{{reason}}" → the series' label value. */
function format(template: string | undefined, labels: Record<string, string>): string | undefined {
  return template?.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, k: string) => labels[k] ?? '');
}

function seconds(ms: number): number {
  return Math.max(1, Math.round(ms / 1000));
}

class PrometheusStandIn extends DataSourceApi<PromQuery> {
  constructor(readonly instanceSettings: DataSourceInstanceSettings) {
    super(instanceSettings);
    this.annotations = {
      prepareAnnotation: (a: PromAnnotation) => ({ ...a, target: { refId: 'Anno', expr: a.expr ?? '', interval: a.step } }),
      processEvents: (anno: PromAnnotation, frames: DataFrame[]) => of(frames.flatMap((f) => this.events(anno, f))),
    };
  }

  /** Runs of samples >= 1 as annotation regions, titled by titleFormat. */
  private events(anno: PromAnnotation, frame: DataFrame): AnnotationEvent[] {
    const times = frame.fields[0].values as number[];
    const values = frame.fields[1].values as number[];
    const labels = (frame.fields[1].labels ?? {}) as Record<string, string>;
    const out: AnnotationEvent[] = [];
    for (let i = 0; i < times.length; i++) {
      if (values[i] >= 1 && !(i > 0 && values[i - 1] >= 1)) {
        let j = i;
        while (j + 1 < times.length && values[j + 1] >= 1) j++;
        out.push({ time: times[i], timeEnd: times[j], isRegion: j > i, title: format(anno.titleFormat, labels), text: format(anno.textFormat, labels), color: anno.iconColor, tags: [] });
      }
    }
    return out;
  }

  async query(request: DataQueryRequest<PromQuery>): Promise<DataQueryResponse> {
    const start = seconds(request.range.from.valueOf());
    const end = seconds(request.range.to.valueOf());
    const frames = await Promise.all(
      request.targets.map(async (t) => {
        const step = Math.max(1, seconds(request.intervalMs), t.interval ? rangeUtil.intervalToSeconds(t.interval) : 0);
        // Grafana's Prometheus data source expands these; $__rate_interval is at least four scrapes (1 s here).
        const expr = t.expr.replace(/\$__rate_interval/g, `${Math.max(4, step * 2)}s`).replace(/\$__interval/g, `${step}s`);
        const url = `${this.instanceSettings.url}/api/v1/query_range?${new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(step) })}`;
        const res = await fetch(url);
        const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
        if (body.status !== 'success') {
          throw new Error(`Prometheus: ${body.error ?? res.status}`);
        }
        return body.data.result.map((s) =>
          createDataFrame({
            refId: t.refId,
            name: format(t.legendFormat, s.metric),
            fields: [
              { name: 'Time', type: FieldType.time, values: s.values.map(([ts]) => ts * 1000) },
              { name: 'Value', type: FieldType.number, values: s.values.map(([, v]) => Number(v)), labels: s.metric, config: { displayNameFromDS: format(t.legendFormat, s.metric) } },
            ],
          })
        );
      })
    );
    return { data: frames.flat() };
  }

  async testDatasource() {
    return { status: 'success', message: 'e2e stand-in' };
  }
}

/** Grafana's runRequest, reduced to one response: the data source's frames as PanelData. */
function runRequest(ds: DataSourceApi, request: DataQueryRequest): Observable<PanelData> {
  const response = ds.query(request);
  const frames$ = response instanceof Promise ? from(response) : (response as Observable<DataQueryResponse>);
  return frames$.pipe(map((r): PanelData => ({ state: LoadingState.Done, series: r.data as DataFrame[], timeRange: request.range, request })));
}

const COLORS = ['#73bf69', '#f2cc0c', '#5794f2', '#ff780a', '#b877d9', '#f2495c'];

/** Lines over the time range, the annotations as markers, a legend: enough to see the shape. */
function TimeseriesStandIn({ data, width, height, timeRange }: PanelProps) {
  const from = timeRange.from.valueOf();
  const to = timeRange.to.valueOf();
  const series = data.series.filter((f) => f.fields.length > 1);
  const all = series.flatMap((f) => f.fields[1].values as number[]);
  const top = Math.max(1, ...all);
  const plotH = height - 24;
  const x = (t: number) => ((t - from) / Math.max(1, to - from)) * width;
  const y = (v: number) => plotH - (v / top) * (plotH - 8);
  const annotations = (data.annotations ?? []).flatMap((f) => {
    const times = (f.fields.find((fl) => fl.name === 'time')?.values ?? []) as number[];
    const titles = (f.fields.find((fl) => fl.name === 'title')?.values ?? []) as string[];
    return times.map((t, i) => ({ t, title: titles[i] ?? '' }));
  });
  return (
    <div data-testid="timeseries-standin" data-series={series.length} data-annotations={annotations.length}>
      <svg width={width} height={plotH} role="img" aria-label={`max ${top}`}>
        <line x1={0} x2={width} y1={plotH - 1} y2={plotH - 1} stroke="#888" strokeOpacity={0.4} />
        <text x={4} y={12} fontSize={10} fill="#999">
          {top.toLocaleString('en-US', { maximumFractionDigits: 2 })}
        </text>
        {annotations.map((a, i) => (
          <line key={`a${i}`} x1={x(a.t)} x2={x(a.t)} y1={0} y2={plotH} stroke="#5794f2" strokeDasharray="3 3" data-testid="annotation-marker" data-title={a.title} />
        ))}
        {series.map((f, i) => {
          const ts = f.fields[0].values as number[];
          const vs = f.fields[1].values as number[];
          return <polyline key={i} fill="none" stroke={COLORS[i % COLORS.length]} strokeWidth={2} points={ts.map((t, k) => `${x(t).toFixed(1)},${y(vs[k]).toFixed(1)}`).join(' ')} />;
        })}
      </svg>
      <div style={{ display: 'flex', gap: 12, fontSize: 12 }}>
        {series.map((f, i) => (
          <span key={i} data-testid="legend-item">
            <span style={{ color: COLORS[i % COLORS.length] }}>■</span> {f.fields[1].config.displayNameFromDS ?? f.name}
          </span>
        ))}
      </div>
    </div>
  );
}

function timeseriesPlugin(): PanelPlugin {
  // Like Grafana's timeseries panel: a scene hands annotations only to panels that take them.
  const plugin = new PanelPlugin(TimeseriesStandIn).setDataSupport({ annotations: true, alertStates: false });
  plugin.meta = { id: 'timeseries', name: 'Time series (e2e stand-in)', type: 'panel', sort: 0, module: '', baseUrl: '', info: { author: { name: 'e2e host' }, description: '', links: [], logos: { small: '', large: '' }, screenshots: [], updated: '', version: '' } } as unknown as PanelPlugin['meta'];
  return plugin;
}

/** Installs what Grafana installs at boot for scenes: data sources, the request runner, panel plugins. */
export function installSceneRuntime(): void {
  const settings = prometheusSettings() as unknown as DataSourceInstanceSettings;
  const ds = new PrometheusStandIn(settings);
  const panels: Record<string, PanelPlugin> = { timeseries: timeseriesPlugin() };
  const runtime = grafanaRuntime as unknown as Record<string, (...a: unknown[]) => unknown>;
  runtime.setRunRequest(runRequest);
  runtime.setPluginImportUtils({
    importPanelPlugin: async (id: string) => panels[id] ?? Promise.reject(new Error(`no panel plugin ${id} in the e2e host`)),
    getPanelPluginFromCache: (id: string) => panels[id],
  });
  // Grafana 13.1 on: the data source registry of @grafana/runtime/unstable; before: DataSourceSrv.
  const unstable = grafanaRuntimeUnstable as unknown as { registerRuntimeDataSourceInstance?: (e: { dataSource: DataSourceApi }) => void };
  unstable.registerRuntimeDataSourceInstance?.({ dataSource: ds as unknown as DataSourceApi });
  runtime.setDataSourceSrv({
    get: async (ref?: { uid?: string } | string | null) => {
      const uid = typeof ref === 'string' ? ref : ref?.uid;
      if (uid !== PROMETHEUS_UID) {
        throw new Error(`Datasource ${uid} was not found`);
      }
      return ds;
    },
    getInstanceSettings: (ref?: { uid?: string } | string | null) => ((typeof ref === 'string' ? ref : ref?.uid) === PROMETHEUS_UID ? settings : undefined),
    getList: () => [settings],
    reload: async () => undefined,
    registerRuntimeDataSource: () => undefined,
  });
}
