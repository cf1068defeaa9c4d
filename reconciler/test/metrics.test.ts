// The reconciler's MySQL probe gauge: absent until the watchdog has measured, so a
// reconciler without a watchdog does not read as "MySQL down" on the dashboards.
import { ReconcilerMetrics } from '../src/metrics';

test('pipewarden_reconciler_mysql_up is absent until a probe ran, then reports it', async () => {
  const m = new ReconcilerMetrics();
  expect(await m.registry.metrics()).not.toMatch(/^pipewarden_reconciler_mysql_up /m);
  m.setMysqlUp(true);
  expect(await m.registry.metrics()).toMatch(/^pipewarden_reconciler_mysql_up 1$/m);
  m.setMysqlUp(false);
  expect(await m.registry.metrics()).toMatch(/^pipewarden_reconciler_mysql_up 0$/m);
});

test("every configured pipeline has its standing-failure and rows series from start-up, labelled with its name; the service's own series have no pipeline", async () => {
  const m = new ReconcilerMetrics();
  m.publishPipelines(['parking', 'population']);
  m.watchdogDecisions.inc({ decision: 'idle' });
  const text = await m.registry.metrics();
  for (const p of ['parking', 'population']) {
    expect(text).toMatch(new RegExp(`^pipewarden_reconcile_last_failed\\{pipeline="${p}"\\} 0$`, 'm'));
    expect(text).toMatch(new RegExp(`^pipewarden_reconciler_rows_inserted_total\\{pipeline="${p}"\\} 0$`, 'm'));
  }
  expect(text).toMatch(/^pipewarden_watchdog_decisions_total\{decision="idle"\} 1$/m);
});
