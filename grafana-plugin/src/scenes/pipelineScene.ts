// The Overview's pipeline over time as a Grafana scene (@grafana/scenes, as current Grafana
// apps are built): Grafana's own time picker and refresh picker, timeseries panels reading
// the provisioned Prometheus data source, and reconcile runs and MySQL outages as annotation
// layers (toggled like a dashboard's). Time range and refresh live in the URL (from, to,
// refresh), so a link shares the view.
import {
  dataLayers,
  EmbeddedScene,
  PanelBuilders,
  SceneControlsSpacer,
  SceneDataLayerControls,
  SceneDataLayerSet,
  SceneFlexItem,
  SceneFlexLayout,
  SceneQueryRunner,
  SceneRefreshPicker,
  SceneTimePicker,
  SceneTimeRange,
} from '@grafana/scenes';

import { OVER_TIME_ANNOTATIONS, OVER_TIME_PANELS, PROMETHEUS, type PanelSpec } from './pipelineQueries';

const DEFAULT_RANGE = { from: 'now-6h', to: 'now' } as const;
const DEFAULT_REFRESH = '30s';
const PANEL_HEIGHT = 240;

function panel(spec: PanelSpec) {
  const data = new SceneQueryRunner({ key: spec.key, datasource: PROMETHEUS, queries: spec.queries, maxDataPoints: 500 });
  return new SceneFlexItem({
    minWidth: 420,
    height: PANEL_HEIGHT,
    body: PanelBuilders.timeseries().setTitle(spec.title).setDescription(spec.description).setUnit(spec.unit).setMin(0).setData(data).build(),
  });
}

export function buildPipelineScene(): EmbeddedScene {
  return new EmbeddedScene({
    $timeRange: new SceneTimeRange({ ...DEFAULT_RANGE }),
    $data: new SceneDataLayerSet({
      layers: OVER_TIME_ANNOTATIONS.map((query) => new dataLayers.AnnotationsDataLayer({ name: query.name, isEnabled: query.enable, query })),
    }),
    controls: [new SceneDataLayerControls(), new SceneControlsSpacer(), new SceneTimePicker({}), new SceneRefreshPicker({ refresh: DEFAULT_REFRESH, intervals: ['10s', '30s', '1m', '5m', '15m'] })],
    body: new SceneFlexLayout({ direction: 'row', wrap: 'wrap', children: OVER_TIME_PANELS.map(panel) }),
  });
}
