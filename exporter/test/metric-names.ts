// Where the repository uses metric names (provisioned dashboards, alert and recording
// rules, promtool rule tests, Grafana alerting, the plugin's dashboards and source) and
// the check that each one is exported by pipewarden (METRICS) or a standard exporter.
// PromQL itself is read by the shared extractor in test/provisioning/metric-names.ts, so
// the repository has one idea of what a metric name in an expression is; this module
// finds the expressions, wherever they nest, and adds what that extractor leaves out
// (recording-rule names, `{__name__="…"}` selectors, label_values(label)).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import YAML from 'yaml';
import { ALL_METRICS, exposedNames, STANDARD_EXPORTER_METRIC_PREFIXES } from '@pipewarden/core';
import { extractMetricNames, extractVariableQueryMetricNames, unknownMetricNames } from '../../test/provisioning/metric-names';

/** Metric names an expression selects; `variable` for a Grafana variable query. */
export function metricNamesInPromQL(expr: string, kind: 'query' | 'variable' = 'query'): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/__name__\s*=\s*["']([A-Za-z_:][\w:]*)["']/g)) names.add(m[1]);
  // label_values(label): values of a label across all series, no metric named.
  if (kind === 'variable' && /^\s*label_values\(\s*[A-Za-z_]\w*\s*\)\s*$/.test(expr)) return [...names];
  for (const n of kind === 'variable' ? extractVariableQueryMetricNames(expr) : extractMetricNames(expr)) names.add(n);
  return [...names].sort();
}

/** Every name pipewarden's processes expose (histograms with their suffixes). */
function pipewardenNames(): Set<string> {
  return new Set(ALL_METRICS.flatMap(exposedNames));
}

/** Why `name` is not acceptable, or undefined when it is exported by someone. */
function unknownReason(name: string, recorded: ReadonlySet<string>): string | undefined {
  if (unknownMetricNames([name], [...pipewardenNames(), ...recorded], STANDARD_EXPORTER_METRIC_PREFIXES).length === 0) return undefined;
  if (name.startsWith('pipewarden')) return 'not in METRICS (core/src/metrics.ts) nor a recording rule';
  return 'neither a pipewarden metric nor a standard exporter\'s (STANDARD_EXPORTER_METRIC_PREFIXES)';
}

export interface NameUse {
  file: string;
  name: string;
}

export interface ScanResult {
  files: string[];
  uses: NameUse[];
  /** Names defined by recording rules (`record:`), which dashboards may use. */
  recorded: Set<string>;
}

function walk(dir: string, keep: (f: string) => boolean): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []; // an optional folder absent
    throw e;
  }
  return entries.flatMap((e) => {
    if (e === 'node_modules' || e === 'dist' || e.startsWith('.')) return [];
    const p = join(dir, e);
    return statSync(p).isDirectory() ? walk(p, keep) : keep(p) ? [p] : [];
  });
}

/** Strings holding PromQL in a dashboard, rule file, rule test or Grafana alert (any nesting). */
function promqlStrings(node: unknown, out: { exprs: { expr: string; kind: 'query' | 'variable' }[]; records: string[] }): void {
  if (Array.isArray(node)) return node.forEach((n) => promqlStrings(n, out));
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string') {
      // expr: panels, rules, Grafana alerts; series/labels: promtool rule tests' input and expected series.
      if (k === 'expr' || k === 'series' || (k === 'labels' && /[{]|^[A-Za-z_:]/.test(v))) out.exprs.push({ expr: v, kind: 'query' });
      else if (k === 'record') out.records.push(v);
      // A templating variable of type query: label_values(...), query_result(...).
      else if (k === 'query' && o.type === 'query') out.exprs.push({ expr: v, kind: 'variable' });
      else if (k === 'definition' && o.type === 'query' && typeof o.query !== 'string') out.exprs.push({ expr: v, kind: 'variable' });
    } else if (k === 'query' && o.type === 'query' && v && typeof v === 'object' && typeof (v as { query?: unknown }).query === 'string') {
      out.exprs.push({ expr: (v as { query: string }).query, kind: 'variable' });
    } else {
      promqlStrings(v, out);
    }
  }
}

/**
 * Scan provisioning/ (dashboards JSON, rule and alert YAML) and grafana-plugin/src (its
 * dashboards JSON, and pipewarden_* names in its TypeScript, tests excluded).
 */
export function scanRepository(root: string): ScanResult {
  const files: string[] = [];
  const uses: NameUse[] = [];
  const recorded = new Set<string>();
  // Tests and their fixtures may name made-up metrics on purpose; only shipped code counts.
  const isTest = (f: string) => /\.(test|spec)\.[jt]sx?$|__tests__|__mocks__|[/\\](test|e2e)[/\\]/.test(relative(root, f));
  const config = [
    ...walk(join(root, 'provisioning'), (f) => ['.json', '.yml', '.yaml'].includes(extname(f))),
    ...walk(join(root, 'grafana-plugin', 'src'), (f) => extname(f) === '.json' && !isTest(f)),
  ];
  for (const f of config) {
    const text = readFileSync(f, 'utf8');
    const docs = extname(f) === '.json' ? [JSON.parse(text) as unknown] : YAML.parseAllDocuments(text).map((d) => d.toJS() as unknown);
    const found = { exprs: [] as { expr: string; kind: 'query' | 'variable' }[], records: [] as string[] };
    docs.forEach((d) => promqlStrings(d, found));
    found.records.forEach((r) => recorded.add(r));
    const names = new Set(found.exprs.flatMap((e) => metricNamesInPromQL(e.expr, e.kind)));
    if (names.size > 0 || found.records.length > 0) files.push(relative(root, f));
    for (const name of names) uses.push({ file: relative(root, f), name });
  }
  for (const f of walk(join(root, 'grafana-plugin', 'src'), (p) => /\.[jt]sx?$/.test(p) && !isTest(p))) {
    const names = new Set([...readFileSync(f, 'utf8').matchAll(/\bpipewarden_[a-z0-9_]*[a-z0-9]\b/g)].map((m) => m[0]));
    if (names.size === 0) continue;
    files.push(relative(root, f));
    for (const name of names) uses.push({ file: relative(root, f), name });
  }
  return { files, uses, recorded };
}

/** Uses whose name nobody exports, with the reason. */
export function unknownUses(scan: Pick<ScanResult, 'uses' | 'recorded'>): (NameUse & { reason: string })[] {
  return scan.uses.flatMap((u) => {
    const reason = unknownReason(u.name, scan.recorded);
    return reason ? [{ ...u, reason }] : [];
  });
}
