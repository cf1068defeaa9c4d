// The loader process's own /metrics: in-process figures (latency per sink, retries,
// throughput), each series labelled with its pipeline. Pipeline state as the database and
// the WAL tell it lives in the exporter, not here.
//
// One registry per process (`LoaderMetricSet`); each pipeline writes through its own view
// (`LoaderMetrics`), which adds `pipeline` to every series, so the load and sink code
// counts without knowing that other pipelines share the process.
import { Registry, collectDefaultMetrics, type Counter, type Gauge, type Histogram } from 'prom-client';
import { DEFAULT_PIPELINE, LOADER_STATES, METRICS, counterFrom, gaugeFrom, histogramFrom, type LoaderState } from '@pipewarden/core';

type Labels = Record<string, string>;

/** A counter whose series all carry the pipeline's label. */
export class PipelineCounter {
  constructor(private readonly c: Counter<string>, private readonly fixed: Labels) {}
  inc(labels?: Labels | number, value?: number): void {
    if (typeof labels === 'object') this.c.inc({ ...this.fixed, ...labels }, value ?? 1);
    else this.c.inc(this.fixed, labels ?? 1);
  }
}

/** A histogram whose series all carry the pipeline's label. */
export class PipelineHistogram {
  constructor(private readonly h: Histogram<string>, private readonly fixed: Labels) {}
  startTimer(labels: Labels = {}): () => number {
    return this.h.startTimer({ ...this.fixed, ...labels });
  }
}

/** The process's registry and metric objects, shared by every pipeline it runs. */
export class LoaderMetricSet {
  readonly registry = new Registry();
  readonly rowsIn = counterFrom(METRICS.loaderRowsIn, this.registry);
  readonly rowsLoaded = counterFrom(METRICS.loaderRowsLoaded, this.registry);
  readonly rowsRejected = counterFrom(METRICS.loaderRowsRejected, this.registry);
  readonly rowsDuplicate = counterFrom(METRICS.loaderRowsDuplicate, this.registry);
  readonly fieldsNulled = counterFrom(METRICS.loaderFieldsNulled, this.registry);
  readonly columnsAbsent = counterFrom(METRICS.loaderColumnsAbsent, this.registry);
  readonly bytesRead = counterFrom(METRICS.loaderBytesRead, this.registry);
  readonly decodedBytes = counterFrom(METRICS.loaderDecodedBytes, this.registry);
  readonly objectsChanged = counterFrom(METRICS.loaderObjectsChanged, this.registry);
  readonly batches = counterFrom(METRICS.loaderBatches, this.registry);
  readonly batchDuration = histogramFrom(METRICS.loaderBatchDuration, this.registry);
  readonly retries = counterFrom(METRICS.loaderRetries, this.registry);
  readonly leaseTakeovers = counterFrom(METRICS.loaderLeaseTakeovers, this.registry);
  readonly throttled = counterFrom(METRICS.loaderThrottled, this.registry);
  readonly rateLimit = gaugeFrom(METRICS.loaderRateLimit, this.registry);
  readonly replicaLag = gaugeFrom(METRICS.loaderReplicaLag, this.registry);
  readonly state = gaugeFrom(METRICS.loaderStateInProcess, this.registry);
  readonly pausedByReconcile = gaugeFrom(METRICS.loaderPausedByReconcile, this.registry);

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }

  /** The view one pipeline counts through. */
  pipeline(name: string): LoaderMetrics {
    return new LoaderMetrics(name, this);
  }
}

/** One pipeline's figures (`new LoaderMetrics()`: the `default` pipeline in a registry of its own). */
export class LoaderMetrics {
  readonly registry: Registry;
  readonly rowsIn: PipelineCounter;
  readonly rowsLoaded: PipelineCounter;
  readonly rowsRejected: PipelineCounter;
  readonly rowsDuplicate: PipelineCounter;
  readonly fieldsNulled: PipelineCounter;
  readonly columnsAbsent: PipelineCounter;
  readonly bytesRead: PipelineCounter;
  readonly decodedBytes: PipelineCounter;
  readonly objectsChanged: PipelineCounter;
  readonly batches: PipelineCounter;
  readonly batchDuration: PipelineHistogram;
  readonly retries: PipelineCounter;
  readonly leaseTakeovers: PipelineCounter;
  readonly throttled: PipelineCounter;
  private readonly rateLimitGauge: Gauge<string>;
  private readonly replicaLagGauge: Gauge<string>;
  private readonly stateGauge: Gauge<string>;
  private readonly pausedGauge: Gauge<string>;
  private readonly labels: Labels;

  constructor(readonly pipeline: string = DEFAULT_PIPELINE, readonly set: LoaderMetricSet = new LoaderMetricSet()) {
    this.labels = { pipeline };
    this.registry = set.registry;
    const c = (x: Counter<string>) => new PipelineCounter(x, this.labels);
    this.rowsIn = c(set.rowsIn);
    this.rowsLoaded = c(set.rowsLoaded);
    this.rowsRejected = c(set.rowsRejected);
    this.rowsDuplicate = c(set.rowsDuplicate);
    this.fieldsNulled = c(set.fieldsNulled);
    this.columnsAbsent = c(set.columnsAbsent);
    this.bytesRead = c(set.bytesRead);
    this.decodedBytes = c(set.decodedBytes);
    this.objectsChanged = c(set.objectsChanged);
    this.batches = c(set.batches);
    this.batchDuration = new PipelineHistogram(set.batchDuration, this.labels);
    this.retries = c(set.retries);
    this.leaseTakeovers = c(set.leaseTakeovers);
    this.throttled = c(set.throttled);
    this.rateLimitGauge = set.rateLimit;
    this.replicaLagGauge = set.replicaLag;
    this.stateGauge = set.state;
    this.pausedGauge = set.pausedByReconcile;
    this.setState('idle');
  }

  setState(s: LoaderState): void {
    for (const st of LOADER_STATES) this.stateGauge.set({ ...this.labels, state: st }, st === s ? 1 : 0);
  }

  /** pipewarden_loader_rate_limit of this pipeline: each limit's value, 0 for none. */
  setRateLimits(limits: Record<string, number>): void {
    for (const [limit, v] of Object.entries(limits)) this.rateLimitGauge.set({ ...this.labels, limit }, v);
  }

  /** pipewarden_loader_replica_lag_seconds of this pipeline; undefined removes it (lag unknown). */
  setReplicaLag(seconds: number | undefined): void {
    if (seconds === undefined) this.replicaLagGauge.remove(this.labels);
    else this.replicaLagGauge.set(this.labels, seconds);
  }

  /** pipewarden_loader_paused_by_reconcile of this pipeline. */
  setPausedByReconcile(on: boolean): void {
    this.pausedGauge.set(this.labels, on ? 1 : 0);
  }
}
