// The Overview's "over time" section: the scene when Grafana has the Prometheus data source
// the panels read, else what to provision (a scene without it would show four broken panels).
import React, { useState } from 'react';
import { config } from '@grafana/runtime';
import { UrlSyncContextProvider } from '@grafana/scenes';
import { Alert } from '@grafana/ui';

import { CodeText } from '../components/CodeText';
import { PROMETHEUS } from './pipelineQueries';
import { buildPipelineScene } from './pipelineScene';

/** Whether Grafana knows the data source (its boot data lists those the user may query). */
function hasPrometheus(): boolean {
  return Object.values(config.datasources ?? {}).some((ds) => ds.uid === PROMETHEUS.uid);
}

function Scene() {
  const [scene] = useState(buildPipelineScene);
  return (
    <UrlSyncContextProvider scene={scene} updateUrlOnInit={false}>
      <scene.Component model={scene} />
    </UrlSyncContextProvider>
  );
}

export function PipelineOverTime() {
  if (!hasPrometheus()) {
    return (
      <Alert title="The pipeline over time needs its Prometheus data source" severity="info" data-testid="over-time-missing-datasource">
        <CodeText text={`No data source with uid \`${PROMETHEUS.uid}\`: provision provisioning/grafana/datasources (a Prometheus scraping the pipewarden exporter), or ask an admin to, then reload.`} />
      </Alert>
    );
  }
  return (
    <section data-testid="pipeline-over-time">
      <Scene />
    </section>
  );
}
