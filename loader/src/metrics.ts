// The loader process's own /metrics: in-process figures (latency per sink, retries,
// throughput). Pipeline state lives in the exporter, not here.
import { Registry, collectDefaultMetrics } from 'prom-client';
import { LOADER_STATES, METRICS, counterFrom, gaugeFrom, histogramFrom, type LoaderState } from '@pipewarden/core';

export class LoaderMetrics {
  readonly registry = new Registry();
  readonly rowsIn = counterFrom(METRICS.loaderRowsIn, this.registry);
  readonly rowsLoaded = counterFrom(METRICS.loaderRowsLoaded, this.registry);
  readonly rowsRejected = counterFrom(METRICS.loaderRowsRejected, this.registry);
  readonly rowsDuplicate = counterFrom(METRICS.loaderRowsDuplicate, this.registry);
  readonly fieldsNulled = counterFrom(METRICS.loaderFieldsNulled, this.registry);
  readonly columnsAbsent = counterFrom(METRICS.loaderColumnsAbsent, this.registry);
  readonly bytesRead = counterFrom(METRICS.loaderBytesRead, this.registry);
  readonly batches = counterFrom(METRICS.loaderBatches, this.registry);
  readonly batchDuration = histogramFrom(METRICS.loaderBatchDuration, this.registry);
  readonly retries = counterFrom(METRICS.loaderRetries, this.registry);
  private state: LoaderState = 'idle';
  readonly stateGauge = gaugeFrom(METRICS.loaderStateInProcess, this.registry);

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
    this.setState('idle');
  }

  setState(s: LoaderState): void {
    this.state = s;
    for (const st of LOADER_STATES) this.stateGauge.set({ state: st }, st === s ? 1 : 0);
  }

  get currentState(): LoaderState {
    return this.state;
  }
}
