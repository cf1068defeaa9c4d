// One scrape = one prom-client Registry whose metrics are built from the METRICS contract
// and filled in their collect() hooks. A registry per scrape (a few dozen small objects)
// rather than one shared registry: collect() writes into the metric object, so two
// overlapping scrapes sharing objects could interleave reset/set and publish a mix of two
// moments, or leak one scrape's "collector failed, series absent" into the other.
import { Counter, Gauge, Registry } from 'prom-client';
import { METRICS, type MetricDef } from '@pipewarden/core';
import { EXPORTER_METRIC_KEYS, runCollector, type Collector, type CollectorResult, type ExporterMetricKey, type Sample } from './collector';

/** The exporter's own metrics; every other exporter metric belongs to exactly one collector. */
export const SELF_METRICS: readonly ExporterMetricKey[] = ['scrapeDuration', 'collectorSuccess'];

/** Which collector owns each metric; throws when the contract and the collectors disagree. */
export function ownership(collectors: readonly Collector[]): Map<ExporterMetricKey, Collector | 'self'> {
  const owners = new Map<ExporterMetricKey, Collector | 'self'>();
  for (const k of SELF_METRICS) owners.set(k, 'self');
  const names = new Set<string>();
  for (const c of collectors) {
    if (names.has(c.name)) throw new Error(`two collectors are named "${c.name}"`);
    names.add(c.name);
    for (const k of c.metrics) {
      const prev = owners.get(k);
      if (prev) throw new Error(`${METRICS[k].name} is claimed by ${prev === 'self' ? 'the exporter itself' : prev.name} and ${c.name}`);
      if (METRICS[k].owner !== 'exporter') throw new Error(`${METRICS[k].name} belongs to the ${METRICS[k].owner}, not the exporter`);
      owners.set(k, c);
    }
  }
  const orphans = EXPORTER_METRIC_KEYS.filter((k) => !owners.has(k)).map((k) => METRICS[k].name);
  if (orphans.length > 0) throw new Error(`no collector produces ${orphans.join(', ')}`);
  return owners;
}

export interface ScrapeOptions {
  timeoutMs: number;
  /** Called once per collector per scrape (the exporter logs state changes from it). */
  onResult?: (collector: Collector, result: CollectorResult) => void;
}

/** The collector runs of one scrape, started on first demand and shared by its metrics. */
export class Scrape {
  private readonly started = process.hrtime.bigint();
  private readonly runs = new Map<Collector, Promise<CollectorResult>>();
  private finished?: Promise<{ seconds: number; results: Map<Collector, CollectorResult> }>;

  constructor(readonly collectors: readonly Collector[], private readonly opts: ScrapeOptions) {}

  result(c: Collector): Promise<CollectorResult> {
    let p = this.runs.get(c);
    if (!p) {
      p = runCollector(c, this.opts.timeoutMs).then((r) => {
        this.opts.onResult?.(c, r);
        return r;
      });
      this.runs.set(c, p);
    }
    return p;
  }

  /** Every collector's result and the time until the last one settled. */
  all(): Promise<{ seconds: number; results: Map<Collector, CollectorResult> }> {
    this.finished ??= Promise.all(this.collectors.map(async (c) => [c, await this.result(c)] as const)).then((pairs) => ({
      seconds: Number(process.hrtime.bigint() - this.started) / 1e9,
      results: new Map(pairs),
    }));
    return this.finished;
  }
}

function selfSamples(key: ExporterMetricKey, done: { seconds: number; results: Map<Collector, CollectorResult> }): Sample[] {
  if (key === 'scrapeDuration') return [{ value: done.seconds }];
  return [...done.results].map(([c, r]) => ({ labels: { collector: c.name }, value: r.ok ? 1 : 0 }));
}

type AnyMetric = Gauge<string> | Counter<string>;

/** Replace the metric's values with exactly `samples` (none = the series is absent). */
function publish(metric: AnyMetric, def: MetricDef, samples: readonly Sample[]): void {
  metric.reset();
  // reset() leaves a default 0 on unlabeled metrics; a failed collector must not show 0.
  if (def.labels.length === 0) metric.remove();
  for (const s of samples) {
    if (metric instanceof Counter) metric.inc(s.labels ?? {}, s.value);
    else metric.set(s.labels ?? {}, s.value);
  }
}

/** A Registry for one scrape: the exporter's METRICS, each filled by its owner at collect(). */
export function scrapeRegistry(scrape: Scrape, owners: Map<ExporterMetricKey, Collector | 'self'>): Registry {
  const registry = new Registry();
  for (const key of EXPORTER_METRIC_KEYS) {
    const def: MetricDef = METRICS[key];
    const owner = owners.get(key);
    if (!owner) throw new Error(`no collector produces ${def.name}`);
    const samples = async (): Promise<Sample[]> => {
      if (owner === 'self') return selfSamples(key, await scrape.all());
      const r = await scrape.result(owner);
      return r.ok ? (r.samples[key] ?? []) : [];
    };
    const common = { name: def.name, help: def.help, labelNames: [...def.labels], registers: [registry] };
    switch (def.type) {
      case 'gauge':
        new Gauge({ ...common, async collect() { publish(this, def, await samples()); } });
        break;
      case 'counter':
        new Counter({ ...common, async collect() { publish(this, def, await samples()); } });
        break;
      default:
        throw new Error(`${def.name}: the exporter publishes only gauges and counters read at scrape time, not ${def.type}s`);
    }
  }
  return registry;
}
