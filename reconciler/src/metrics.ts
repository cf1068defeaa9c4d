import { Registry, collectDefaultMetrics, type Gauge } from 'prom-client';
import { METRICS, counterFrom, gaugeFrom, histogramFrom } from '@pipewarden/core';

/**
 * The reconciler process's own /metrics. Runs, rows inserted and the standing failure carry
 * `pipeline`; the rest (run duration, watchdog, alerts, MySQL probe) is the service's.
 */
export class ReconcilerMetrics {
  readonly registry = new Registry();
  readonly runs = counterFrom(METRICS.reconcilerRuns, this.registry);
  readonly rowsInserted = counterFrom(METRICS.reconcilerRowsInserted, this.registry);
  readonly runDuration = histogramFrom(METRICS.reconcilerRunDuration, this.registry);
  readonly watchdogDecisions = counterFrom(METRICS.watchdogDecisions, this.registry);
  readonly alertNotifications = counterFrom(METRICS.alertNotifications, this.registry);
  readonly reconcileLastFailed = gaugeFrom(METRICS.reconcileLastFailed, this.registry);
  private mysqlUp?: Gauge<string>;
  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Every configured pipeline's series from start-up: a standing failure of 0 and no rows
   * yet, so an alert or a panel sees each pipeline (and a first increase) before its first run.
   */
  publishPipelines(names: readonly string[]): void {
    for (const pipeline of names) {
      this.reconcileLastFailed.set({ pipeline }, 0);
      this.rowsInserted.inc({ pipeline }, 0);
    }
  }

  /**
   * The watchdog's last probe of MySQL. The series exists only once a probe ran: a gauge
   * registered up front reads 0 before the first probe and forever with the watchdog off,
   * which the dashboards' "MySQL outages" annotation would show as an outage.
   */
  setMysqlUp(up: boolean): void {
    (this.mysqlUp ??= gaugeFrom(METRICS.reconcilerMysqlUp, this.registry)).set(up ? 1 : 0);
  }
}
