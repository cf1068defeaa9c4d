// prom-client metric objects built from the contract in metrics.ts, so no process ever
// spells a metric name itself.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MetricDef } from './metrics';

export function counterFrom(def: MetricDef, registry: Registry): Counter<string> {
  return new Counter({ name: def.name, help: def.help, labelNames: [...def.labels], registers: [registry] });
}

export function gaugeFrom(def: MetricDef, registry: Registry, collect?: (this: Gauge<string>) => void | Promise<void>): Gauge<string> {
  return new Gauge({ name: def.name, help: def.help, labelNames: [...def.labels], registers: [registry], collect });
}

export function histogramFrom(def: MetricDef, registry: Registry): Histogram<string> {
  return new Histogram({ name: def.name, help: def.help, labelNames: [...def.labels], buckets: def.buckets, registers: [registry] });
}
