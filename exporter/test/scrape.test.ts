// The scrape machinery with stand-in collectors (pure logic: no services). What matters
// here is the contract with Prometheus: names from METRICS only, every exporter metric
// produced by exactly one collector, and a failing or hanging collector costs its own
// series and nothing else.
import { loadConfig, METRICS, type MetricKey } from '@pipewarden/core';
import { EXPORTER_METRIC_KEYS, runCollector, validateSamples, type Collector, type ExporterMetricKey } from '../src/collector';
import { createCollectors } from '../src';
import { ownership, Scrape, scrapeRegistry, SELF_METRICS } from '../src/scrape';
import { parseExposition } from './exposition';

const config = loadConfig({ env: { PIPEWARDEN_SOURCE: 's3://bucket/prefix/' }, useStackEnv: false });

function fakeCollectors(overrides: Partial<Record<string, Collector['collect']>> = {}): Collector[] {
  // One collector per real collector, owning the same metrics, returning value 7 everywhere.
  const real = createCollectors(config, { probeTimeoutMs: 100, collectorTimeoutMs: 200 });
  void real.close();
  return real.collectors.map((c) => ({
    name: c.name,
    metrics: c.metrics,
    collect:
      overrides[c.name] ??
      (async () =>
        Object.fromEntries(
          c.metrics.map((k) => [k, [{ labels: Object.fromEntries(METRICS[k].labels.map((l) => [l, 'x'])), value: 7 }]]),
        )),
  }));
}

/** Whether any series of the metric is present (labelled or not). */
const hasAny = (samples: Map<string, number>, name: string) => [...samples.keys()].some((k) => k === name || k.startsWith(`${name}{`));


async function scrapeOnce(collectors: Collector[], timeoutMs = 200): Promise<{ text: string; samples: Map<string, number> }> {
  const registry = scrapeRegistry(new Scrape(collectors, { timeoutMs }), ownership(collectors));
  const text = await registry.metrics();
  return { text, samples: parseExposition(text) };
}

describe('ownership', () => {
  it('assigns every exporter metric of METRICS to exactly one of the real collectors', () => {
    const { collectors, close } = createCollectors(config, { probeTimeoutMs: 100, collectorTimeoutMs: 200 });
    void close();
    const owners = ownership(collectors);
    expect([...owners.keys()].sort()).toEqual([...EXPORTER_METRIC_KEYS].sort());
    expect(EXPORTER_METRIC_KEYS.length).toBe(Object.values(METRICS).filter((m) => m.owner === 'exporter').length);
    expect(SELF_METRICS.every((k) => owners.get(k) === 'self')).toBe(true);
  });

  it('rejects a metric claimed twice, a loader metric, and an unclaimed one', () => {
    const a: Collector = { name: 'a', metrics: ['walBytes'], collect: async () => ({}) };
    const b: Collector = { name: 'b', metrics: ['walBytes'], collect: async () => ({}) };
    expect(() => ownership([a, b])).toThrow(/pipewarden_wal_bytes is claimed by a and b/);
    const loaderOwned: Collector = { name: 'c', metrics: ['loaderRowsIn' as MetricKey], collect: async () => ({}) };
    expect(() => ownership([loaderOwned])).toThrow(/belongs to the loader/);
    expect(() => ownership([a])).toThrow(/no collector produces .*pipewarden_rows_loaded_total/);
  });
});

describe('a scrape', () => {
  it('exposes exactly the exporter metrics of METRICS, with their types and help', async () => {
    const { text } = await scrapeOnce(fakeCollectors());
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    const want = Object.values(METRICS)
      .filter((m) => m.owner === 'exporter')
      .map((m) => `${m.name} ${m.type}`)
      .sort();
    expect(types).toEqual(want);
    for (const m of Object.values(METRICS).filter((d) => d.owner === 'exporter')) expect(text).toContain(`# HELP ${m.name} ${m.help}`);
  });

  it('leaves a failing collector\'s series absent (not 0) and reports it, while the others publish', async () => {
    const { samples } = await scrapeOnce(
      fakeCollectors({
        ledger: async () => {
          throw new Error('connect ECONNREFUSED');
        },
      }),
    );
    expect(hasAny(samples, 'pipewarden_rows_loaded_total')).toBe(false);
    expect(hasAny(samples, 'pipewarden_batches_committed_total')).toBe(false);
    expect(samples.get('pipewarden_exporter_collector_success{collector="ledger"}')).toBe(0);
    expect(samples.get('pipewarden_exporter_collector_success{collector="wal"}')).toBe(1);
    expect(samples.get('pipewarden_wal_bytes{pipeline="x"}')).toBe(7);
    expect(samples.get('pipewarden_up{target="x"}')).toBe(7);
  });

  it('gives up on a hanging collector at its deadline and still answers', async () => {
    const started = Date.now();
    const { samples } = await scrapeOnce(fakeCollectors({ mirror: () => new Promise(() => undefined) }), 150);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(samples.get('pipewarden_exporter_collector_success{collector="mirror"}')).toBe(0);
    expect(hasAny(samples, 'pipewarden_mirror_batches')).toBe(false);
    expect(samples.get('pipewarden_exporter_scrape_duration_seconds')).toBeGreaterThanOrEqual(0.14);
  });

  it('turns a wrong label set into that collector\'s failure instead of a failed scrape', async () => {
    const { samples } = await scrapeOnce(fakeCollectors({ dead_letters: async () => ({ rowsRejected: [{ labels: { outcome: 'x' }, value: 1 }] }) }));
    expect(samples.get('pipewarden_exporter_collector_success{collector="dead_letters"}')).toBe(0);
    expect([...samples.keys()].some((k) => k.startsWith('pipewarden_rows_rejected_total'))).toBe(false);
  });

  it('omits a metric its collector left out (nothing to report) without failing', async () => {
    const { samples } = await scrapeOnce(fakeCollectors({ reconcile_runs: async () => ({ rowsRepaired: [{ labels: { pipeline: 'default' }, value: 0 }] }) }));
    expect(samples.get('pipewarden_exporter_collector_success{collector="reconcile_runs"}')).toBe(1);
    expect(samples.get('pipewarden_rows_repaired_total{pipeline="default"}')).toBe(0);
    expect(hasAny(samples, 'pipewarden_last_reconcile_success')).toBe(false);
  });

  it('keeps two overlapping scrapes apart', async () => {
    let n = 0;
    const collectors = fakeCollectors({
      wal: async () => {
        const mine = ++n;
        await new Promise((r) => setTimeout(r, mine === 1 ? 50 : 0));
        if (mine === 1) throw new Error('first scrape fails');
        return { walBytes: [{ labels: { pipeline: 'default' }, value: 42 }] };
      },
    });
    const [a, b] = await Promise.all([scrapeOnce(collectors), scrapeOnce(collectors)]);
    expect(a.samples.has('pipewarden_wal_bytes{pipeline="default"}')).toBe(false);
    expect(b.samples.get('pipewarden_wal_bytes{pipeline="default"}')).toBe(42);
  });
});

describe('runCollector / validateSamples', () => {
  const c: Collector = { name: 'c', metrics: ['walBytes', 'up'] as ExporterMetricKey[], collect: async () => ({}) };
  it('rejects non-finite values, foreign metrics and missing labels', () => {
    expect(() => validateSamples(c, { walBytes: [{ labels: { pipeline: 'default' }, value: NaN }] })).toThrow(/not a finite number/);
    // A pipeline-scoped series without its pipeline would merge every pipeline's figure into one.
    expect(() => validateSamples(c, { walBytes: [{ value: 1 }] })).toThrow(/needs labels \[pipeline\], got \[\]/);
    expect(() => validateSamples(c, { mirrorBytes: [{ value: 1 }] })).toThrow(/does not own/);
    expect(() => validateSamples(c, { up: [{ value: 1 }] })).toThrow(/needs labels \[target\]/);
    expect(() => validateSamples(c, { up: [{ labels: { target: 'mysql' }, value: 1 }] })).not.toThrow();
  });
  it('never rejects', async () => {
    const r = await runCollector({ ...c, collect: () => Promise.reject(new Error('boom')) }, 100);
    expect(r).toMatchObject({ ok: false, error: { message: 'boom' } });
  });
});
