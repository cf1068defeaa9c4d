import { pipelineDashboardAt } from './dashboardLink';

describe('pipelineDashboardAt', () => {
  it('frames the run with five minutes on each side, in epoch milliseconds', () => {
    expect(pipelineDashboardAt('2026-11-29T19:44:37.000Z', '2026-11-29T19:46:07.500Z')).toBe(`/d/pipewarden-pipeline?from=${Date.UTC(2026, 10, 29, 19, 39, 37)}&to=${Date.UTC(2026, 10, 29, 19, 51, 7, 500)}`);
  });

  it('ends a run still going at now, under Grafana sub path', () => {
    expect(pipelineDashboardAt('2026-11-29T19:44:37.000Z', null, '/grafana')).toBe(`/grafana/d/pipewarden-pipeline?from=${Date.UTC(2026, 10, 29, 19, 39, 37)}&to=now`);
  });
});
