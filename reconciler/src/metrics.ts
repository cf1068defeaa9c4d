import { Registry, collectDefaultMetrics } from 'prom-client';
import { METRICS, counterFrom, gaugeFrom, histogramFrom } from '@pipewarden/core';

/** The reconciler process's own /metrics. */
export class ReconcilerMetrics {
  readonly registry = new Registry();
  readonly runs = counterFrom(METRICS.reconcilerRuns, this.registry);
  readonly rowsInserted = counterFrom(METRICS.reconcilerRowsInserted, this.registry);
  readonly runDuration = histogramFrom(METRICS.reconcilerRunDuration, this.registry);
  readonly watchdogDecisions = counterFrom(METRICS.watchdogDecisions, this.registry);
  readonly alertNotifications = counterFrom(METRICS.alertNotifications, this.registry);
  readonly mysqlUp = gaugeFrom(METRICS.reconcilerMysqlUp, this.registry);
  readonly reconcileLastFailed = gaugeFrom(METRICS.reconcileLastFailed, this.registry);
  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
