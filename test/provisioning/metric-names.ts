// The metric-name contract check, reusable: which metric names does a PromQL expression
// (a dashboard panel, an alert rule, a plugin query) mention, and are they all exported?
//
// Dependency-free on purpose, so that the exporter's contract test and the Grafana plugin's
// tests can import it without pulling in @pipewarden/core: callers pass the known metrics.
//
//   import { METRICS, STANDARD_EXPORTER_METRIC_PREFIXES, exposedNames } from '@pipewarden/core';
//   const known = Object.values(METRICS).flatMap(exposedNames);
//   unknownMetricNames(extractMetricNames(expr), known, STANDARD_EXPORTER_METRIC_PREFIXES) // → []
//
// The extractor is a tokenizer, not a full PromQL parser: it removes string literals, label
// matchers `{…}`, range and subquery brackets `[…]`, Grafana variables and numbers, drops
// the label lists after by/without/on/ignoring/group_left/group_right, and keeps the
// identifiers that are not keywords or function calls. That is exact for the expressions
// PromQL allows, because a metric name is the only bare identifier left in them.

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan', 'start', 'end']);
const LABEL_LIST_KEYWORDS = ['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'];

/** Replace Grafana's template variables by values Prometheus accepts (for parsing and tests). */
export function substituteGrafanaVariables(expr: string, vars: Record<string, string> = {}): string {
  const builtin: Record<string, string> = {
    __rate_interval: '1m',
    __interval: '15s',
    __range: '1h',
    __range_s: '3600',
    __range_ms: '3600000',
    __interval_ms: '15000',
    ...vars,
  };
  return expr.replace(/\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\[\[([A-Za-z0-9_]+)(?::[^\]]*)?\]\]|\$([A-Za-z0-9_]+)/g, (m, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c) as string;
    // A user variable inside a regex matcher (instance=~"$instance") matches everything.
    return builtin[name] ?? '.*';
  });
}

/** Metric names a PromQL expression (Grafana variables allowed) mentions, sorted, unique. */
export function extractMetricNames(expr: string): string[] {
  let s = expr;
  // Comments, then string literals (label values, label_replace arguments).
  s = s.replace(/#[^\n]*/g, ' ');
  s = s.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' "" ');
  // Grafana variables ($__rate_interval, ${x}, [[x]]) are never metric names.
  s = s.replace(/\$\{[^}]*\}|\[\[[^\]]*\]\]|\$[A-Za-z0-9_]+/g, ' ');
  // A {…} directly after a name or alone is a label matcher block: its identifiers are
  // label names. {__name__="x"} selects by name; that name is inside a string, which the
  // contract cannot check, so such expressions should not be used in provisioning.
  s = s.replace(/\{[^{}]*\}/g, ' ');
  // Range and subquery selectors, offsets' durations.
  s = s.replace(/\[[^\]]*\]/g, ' ');
  // Label lists after grouping keywords: by (a, b), on(x), group_left(y) …
  const listRe = new RegExp(`\\b(${LABEL_LIST_KEYWORDS.join('|')})\\s*\\([^()]*\\)`, 'g');
  s = s.replace(listRe, ' ');
  // Durations after offset / @ modifiers and numbers (1e9, 0x1f, 4*3600, 1.5).
  s = s.replace(/\boffset\s+-?[0-9a-z]+/gi, ' ').replace(/@\s*[0-9.]+/g, ' ');
  s = s.replace(/(^|[^A-Za-z0-9_:])(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)/g, '$1 ');
  const names = new Set<string>();
  const ident = /[A-Za-z_:][A-Za-z0-9_:]*/g;
  let m: RegExpExecArray | null;
  while ((m = ident.exec(s))) {
    const word = m[0];
    const rest = s.slice(ident.lastIndex);
    if (/^\s*\(/.test(rest)) continue; // function or aggregation call: sum(, rate(, …
    if (KEYWORDS.has(word.toLowerCase())) continue;
    // `sum by (x) (…)` leaves `sum` followed by whitespace and "(…)" already removed above
    // only for the label list; the aggregation name itself is then followed by "(".
    names.add(word);
  }
  return [...names].sort();
}

/**
 * Names a Grafana variable query mentions: label_values(metric, label) names `metric`;
 * query_result(expr) and metrics(regex) are handled as PromQL / ignored.
 */
export function extractVariableQueryMetricNames(query: string): string[] {
  const lv = /^\s*label_values\(\s*(.*?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/.exec(query);
  if (lv) return extractMetricNames(lv[1]);
  const qr = /^\s*query_result\(([\s\S]*)\)\s*$/.exec(query);
  if (qr) return extractMetricNames(qr[1]);
  if (/^\s*(label_names|metrics)\(/.test(query)) return [];
  return extractMetricNames(query);
}

/** The names among `names` that are neither known metrics nor from a standard exporter. */
export function unknownMetricNames(names: Iterable<string>, known: Iterable<string>, standardPrefixes: readonly string[]): string[] {
  const knownSet = new Set(known);
  const standard = (n: string) =>
    standardPrefixes.some((p) => (p.endsWith('_') ? n.startsWith(p) : n === p || n.startsWith(`${p}_`)));
  // Our own names must be exact: a pipewarden_ name never passes by prefix.
  return [...new Set(names)].filter((n) => !knownSet.has(n) && (n.startsWith('pipewarden_') || !standard(n))).sort();
}

// ---- where expressions live --------------------------------------------------------

export interface FoundExpression {
  /** Human-readable location, e.g. "pipeline.json › Rows per second › A". */
  where: string;
  expr: string;
  /** 'query' = PromQL; 'variable' = a Grafana variable query (label_values(…)). */
  kind: 'query' | 'variable';
}

interface PanelLike {
  title?: string;
  targets?: { expr?: string; refId?: string; datasource?: unknown }[];
  panels?: PanelLike[];
}

/** Every PromQL expression of a Grafana dashboard JSON: panel targets (rows included), variables, annotations. */
export function dashboardExpressions(dashboard: unknown, name = 'dashboard'): FoundExpression[] {
  const d = dashboard as {
    panels?: PanelLike[];
    templating?: { list?: { name?: string; type?: string; query?: unknown; definition?: string }[] };
    annotations?: { list?: { name?: string; expr?: string }[] };
  };
  const out: FoundExpression[] = [];
  const walk = (panels: PanelLike[] | undefined) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (typeof t.expr === 'string' && t.expr.trim()) out.push({ where: `${name} › ${p.title ?? '(untitled)'} › ${t.refId ?? '?'}`, expr: t.expr, kind: 'query' });
      walk(p.panels);
    }
  };
  walk(d.panels);
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query ?? v.definition;
    if (q) out.push({ where: `${name} › variable ${v.name}`, expr: q, kind: 'variable' });
  }
  for (const a of d.annotations?.list ?? []) if (a.expr) out.push({ where: `${name} › annotation ${a.name}`, expr: a.expr, kind: 'query' });
  return out;
}

/** Every `expr` of a Prometheus rule file, parsed already (YAML → object). */
export function ruleExpressions(rules: unknown, name = 'rules'): FoundExpression[] {
  const r = rules as { groups?: { name?: string; rules?: { alert?: string; record?: string; expr?: string }[] }[] };
  const out: FoundExpression[] = [];
  for (const g of r.groups ?? []) for (const rule of g.rules ?? []) if (rule.expr) out.push({ where: `${name} › ${rule.alert ?? rule.record}`, expr: String(rule.expr), kind: 'query' });
  return out;
}

/** Metric names of a found expression, whichever kind it is. */
export function metricNamesOf(found: FoundExpression): string[] {
  return found.kind === 'variable' ? extractVariableQueryMetricNames(found.expr) : extractMetricNames(found.expr);
}
