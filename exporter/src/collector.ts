// What a collector is and how one scrape runs them. Like mysqld_exporter, each concern
// (ledger, dead letters, reconcile runs, WAL, mirror, source, loader, probes) is one
// collector that owns a fixed set of METRICS entries; a scrape runs every collector once,
// concurrently, each under its own deadline, and a failure stays inside its collector.
import { METRICS, type MetricKey } from '@pipewarden/core';

/**
 * Keys of METRICS a collector may return. core's METRICS entries are typed MetricDef (the
 * owner is not a literal type), so "owned by the exporter" is checked at start-up by
 * ownership() and at every scrape by validateSamples(), not by the compiler.
 */
export type ExporterMetricKey = MetricKey;

export const EXPORTER_METRIC_KEYS = (Object.keys(METRICS) as MetricKey[]).filter(
  (k): k is ExporterMetricKey => METRICS[k].owner === 'exporter',
);

export interface Sample {
  /** Exactly the metric's label names from METRICS (none for unlabeled metrics). */
  labels?: Record<string, string>;
  value: number;
}

/**
 * What a collector returns. A metric it owns but leaves out is absent from this scrape
 * (for example the S3 probe when the source is a local folder, or the last reconcile
 * when none ever ran): an absent series is honest, a made-up 0 is not.
 */
export type Samples = Partial<Record<ExporterMetricKey, Sample[]>>;

export interface Collector {
  /** Value of the `collector` label of pipewarden_exporter_collector_success. */
  readonly name: string;
  readonly metrics: readonly ExporterMetricKey[];
  /** Collect one scrape's values. `signal` aborts when the collector's deadline passes. */
  collect(signal: AbortSignal): Promise<Samples>;
  close?(): Promise<void>;
}

export type CollectorResult = { ok: true; samples: Samples; seconds: number } | { ok: false; error: Error; seconds: number };

class CollectorTimeoutError extends Error {
  constructor(name: string, ms: number) {
    super(`collector ${name} did not finish within ${ms} ms`);
    this.name = 'CollectorTimeoutError';
  }
}

/**
 * Check a collector's output against the contract before any of it reaches prom-client:
 * a wrong label set would make prom-client throw inside collect() and fail the whole
 * scrape, so it is turned into this collector's failure instead.
 */
export function validateSamples(collector: Collector, samples: Samples): void {
  for (const [key, list] of Object.entries(samples) as [ExporterMetricKey, Sample[]][]) {
    if (!collector.metrics.includes(key)) throw new Error(`collector ${collector.name} returned ${METRICS[key].name}, which it does not own`);
    const want = [...METRICS[key].labels].sort().join(',');
    for (const s of list) {
      const got = Object.keys(s.labels ?? {}).sort().join(',');
      if (got !== want) throw new Error(`collector ${collector.name}: ${METRICS[key].name} needs labels [${want}], got [${got}]`);
      if (!Number.isFinite(s.value)) throw new Error(`collector ${collector.name}: ${METRICS[key].name} value ${s.value} is not a finite number`);
    }
  }
}

/** Run one collector under a deadline; never rejects. */
export async function runCollector(collector: Collector, timeoutMs: number): Promise<CollectorResult> {
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new CollectorTimeoutError(collector.name, timeoutMs);
      ac.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    const samples = await Promise.race([collector.collect(ac.signal), deadline]);
    validateSamples(collector, samples);
    return { ok: true, samples, seconds: seconds() };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e : new Error(String(e)), seconds: seconds() };
  } finally {
    clearTimeout(timer);
  }
}

/** A single unlabeled sample, the common case. */
export function one(value: number): Sample[] {
  return [{ value }];
}

/** MySQL DECIMAL/BIGINT results arrive as strings (bigNumberStrings); NULL means 0 rows. */
export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got ${JSON.stringify(v)}`);
  return n;
}
