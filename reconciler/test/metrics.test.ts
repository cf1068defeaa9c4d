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
