// Metric names used by dashboards, alert rules and the Grafana plugin, and the check that
// each one is exported by pipewarden (METRICS) or by a standard exporter. A small PromQL
// lexer, not a parser: it drops what cannot be a metric name (strings, label matchers,
// ranges, grouping clauses, Grafana variables, function calls, keywords, numbers) and
// keeps the rest, which is exactly the metric names of a valid expression.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import YAML from 'yaml';
import { ALL_METRICS, exposedNames, STANDARD_EXPORTER_METRIC_PREFIXES } from '@pipewarden/core';

const KEYWORDS = new Set([
  // binary and set operators, modifiers
  'and', 'or', 'unless', 'atan2', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  // aggregation operators (may be followed by a by/without clause instead of "(")
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio',
  // literals
  'inf', 'nan', 'Inf', 'NaN',
]);

/** Metric names an expression selects (PromQL, with Grafana's $variables allowed). */
export function metricNamesInPromQL(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/__name__\s*=\s*["']([A-Za-z_:][\w:]*)["']/g)) names.add(m[1]);
  let s = expr
    .replace(/#[^\n]*/g, ' ')
    .replace(/"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`/g, '""')
    // Grafana templating: label_values(metric, label) names one metric; label_values(label) none.
    .replace(/\blabel_values\s*\(\s*([^,()]*?)\s*,\s*\w+\s*\)/g, ' $1 ')
    .replace(/\blabel_values\s*\(\s*\w+\s*\)/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+|\[\[[^\]]*\]\]/g, ' ');
  // Label matchers may hold a metric name only as __name__ (taken above).
  s = s.replace(/\{[^}]*\}/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  s = s.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  for (const m of s.matchAll(/(?<![\w.:])[A-Za-z_:][\w:]*(?!\s*\()/g)) {
    // The lookahead can stop one character early ("rat" before "e("); keep whole words only.
    const end = (m.index ?? 0) + m[0].length;
    if (/[\w:]/.test(s[end] ?? '')) continue;
    if (!KEYWORDS.has(m[0])) names.add(m[0]);
  }
  return [...names];
}

/** Every name pipewarden's processes expose (histograms with their suffixes). */
export function pipewardenNames(): Set<string> {
  return new Set(ALL_METRICS.flatMap(exposedNames));
}

/** Why `name` is not acceptable, or undefined when it is exported by someone. */
export function unknownReason(name: string, recorded: ReadonlySet<string>): string | undefined {
  if (pipewardenNames().has(name) || recorded.has(name)) return undefined;
  if (name.startsWith('pipewarden')) return 'not in METRICS (core/src/metrics.ts) nor a recording rule';
  if (STANDARD_EXPORTER_METRIC_PREFIXES.some((p) => name.startsWith(p))) return undefined;
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
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    if (e === 'node_modules' || e === 'dist' || e.startsWith('.')) return [];
    const p = join(dir, e);
    return statSync(p).isDirectory() ? walk(p, keep) : keep(p) ? [p] : [];
  });
}

/** Strings holding PromQL in a dashboard, rule file, rule test or Grafana alert (any nesting). */
function promqlStrings(node: unknown, out: { exprs: string[]; records: string[] }): void {
  if (Array.isArray(node)) return node.forEach((n) => promqlStrings(n, out));
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string') {
      // expr: panels, rules, Grafana alerts; series/labels: promtool rule tests' input and expected series.
      if (k === 'expr' || k === 'series' || (k === 'labels' && /[{]|^[A-Za-z_:]/.test(v))) out.exprs.push(v);
      else if (k === 'record') out.records.push(v);
      // A templating variable of type query: its query/definition is PromQL-ish.
      else if ((k === 'query' || k === 'definition') && o.type === 'query') out.exprs.push(v);
    } else if (k === 'query' && o.type === 'query' && v && typeof v === 'object' && typeof (v as { query?: unknown }).query === 'string') {
      out.exprs.push((v as { query: string }).query);
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
  const isTest = (f: string) => /\.(test|spec)\.[jt]sx?$|__tests__|__mocks__/.test(f);
  const config = [
    ...walk(join(root, 'provisioning'), (f) => ['.json', '.yml', '.yaml'].includes(extname(f))),
    ...walk(join(root, 'grafana-plugin', 'src'), (f) => extname(f) === '.json' && !isTest(f)),
  ];
  for (const f of config) {
    const text = readFileSync(f, 'utf8');
    const docs = extname(f) === '.json' ? [JSON.parse(text) as unknown] : YAML.parseAllDocuments(text).map((d) => d.toJS() as unknown);
    const found = { exprs: [] as string[], records: [] as string[] };
    docs.forEach((d) => promqlStrings(d, found));
    found.records.forEach((r) => recorded.add(r));
    const names = new Set(found.exprs.flatMap(metricNamesInPromQL));
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
