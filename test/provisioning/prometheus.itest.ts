// Prometheus configuration and alert rules: promtool accepts them, the promtool unit tests
// pass (and fail when a rule is broken), every alert is tested firing and not firing, and
// every alert is documented and named as the reconciler expects.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { METRICS, STANDARD_EXPORTER_METRIC_PREFIXES, VARIABLES, exposedNames } from '@pipewarden/core';
import { prometheusConfig, ruleFiles, type StackLayout } from '@pipewarden/stack';
import { extractMetricNames, ruleExpressions, unknownMetricNames } from './metric-names';
import { PROMETHEUS_YML, RULES_FILE, RULE_TESTS_FILE, RUNBOOKS, alertNames, headingAnchor, loadRules, shortenRules } from './rules';

function run(cmd: string, args: string[], cwd?: string): { code: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pw-prom-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of provisioning/prometheus with the rules file replaced by `rulesText`. */
function copyWithRules(rulesText: string): string {
  const dir = mkdtempSync(join(work, 'copy-'));
  mkdirSync(join(dir, 'rules'));
  mkdirSync(join(dir, 'tests'));
  writeFileSync(join(dir, 'rules', 'pipewarden.yml'), rulesText);
  cpSync(RULE_TESTS_FILE, join(dir, 'tests', 'pipewarden.test.yml'));
  return dir;
}

describe('promtool', () => {
  test('check config: prometheus.yml, with its rule_files pointed at the shipped rules', () => {
    // prometheus.yml names the rules by their in-container path; check the same file with
    // that path replaced, so that promtool also loads and checks every rule it would load.
    const text = readFileSync(PROMETHEUS_YML, 'utf8');
    expect(text).toContain('/etc/prometheus/rules/*.yml');
    const file = join(work, 'prometheus.yml');
    writeFileSync(file, text.replace('/etc/prometheus/rules/*.yml', RULES_FILE));
    const r = run('promtool', ['check', 'config', file]);
    expect(r.out).toMatch(/SUCCESS: 12 rules found/);
    expect(r.code).toBe(0);
  });

  test("check config: the local stack's generated configuration loads the shipped rules", () => {
    // scripts/src/stack.ts puts every rules/*.yml without "test" in its name into the local
    // stack's Prometheus: the rules file must be among them and the test file must not.
    expect(ruleFiles()).toEqual([RULES_FILE]);
    const layout = { ports: { prometheus: 9090, alertmanager: 9093, exporter: 9841, loader: 9842, reconciler: 9843 } } as unknown as StackLayout;
    const file = join(work, 'stack-prometheus.yml');
    writeFileSync(file, prometheusConfig(layout, '5s'));
    const r = run('promtool', ['check', 'config', file]);
    expect(r.out).toMatch(/SUCCESS: 12 rules found/);
    expect(r.code).toBe(0);
  });

  test('check config: the scrape jobs the rules and dashboards select on exist', () => {
    const cfg = parse(readFileSync(PROMETHEUS_YML, 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const jobs = Object.fromEntries(cfg.scrape_configs.map((j) => [j.job_name, j.static_configs.flatMap((s) => s.targets)]));
    expect(jobs['pipewarden-exporter']).toEqual(['exporter:9841']);
    expect(jobs['pipewarden-loader']).toEqual(['loader:9842']);
    expect(jobs['pipewarden-reconciler']).toEqual(['reconciler:9843']);
    for (const j of ['mysqld', 'redis', 'node']) expect(jobs[j]).toHaveLength(1);
  });

  test('check rules: the rules file and its short-interval copy', () => {
    const r = run('promtool', ['check', 'rules', RULES_FILE]);
    expect(r.out).toMatch(/SUCCESS: 12 rules found/);
    expect(r.code).toBe(0);
    const short = join(work, 'short.yml');
    writeFileSync(short, shortenRules(readFileSync(RULES_FILE, 'utf8')));
    const s = run('promtool', ['check', 'rules', short]);
    expect(s.code).toBe(0);
  });

  test('test rules: every unit test passes', () => {
    const r = run('promtool', ['test', 'rules', RULE_TESTS_FILE]);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  test('test rules: the unit tests catch a broken threshold and a broken for:', () => {
    // The tests are worth something only if a wrong rule fails them.
    const text = readFileSync(RULES_FILE, 'utf8');
    const broken1 = text.replace('max by (pipeline) (pipewarden_batches_in_doubt) > 16', 'max by (pipeline) (pipewarden_batches_in_doubt) > 100');
    const broken2 = text.replace(/(alert: PipewardenMySQLDown[\s\S]*?for: )1m/, '$110m');
    // Alerts about a pipeline must fire per pipeline: pooling the pipelines of the reject
    // rate alone (one small pipeline's 9% diluted by a big clean one) must fail a test.
    const broken3 = text.replace(/(alert: PipewardenRejectRateHigh[\s\S]*?)(?=- alert:)/, (rule) => rule.replace(/by \(pipeline\)/g, 'by ()').replace(/on \(pipeline\)/g, 'on ()'));
    for (const broken of [broken1, broken2, broken3]) {
      expect(broken).not.toBe(text);
      const dir = copyWithRules(broken);
      const r = run('promtool', ['test', 'rules', join(dir, 'tests', 'pipewarden.test.yml')]);
      expect(r.code).not.toBe(0);
      expect(r.out).toContain('FAILED');
    }
  });
});

describe('alert rules', () => {
  const rules = loadRules();
  const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);

  test('every alert has a unit test where it fires and one where it never fires', () => {
    interface Case {
      name?: string;
      alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
    }
    const tests = (parse(readFileSync(RULE_TESTS_FILE, 'utf8')) as { tests: Case[] }).tests;
    const fires = new Set<string>();
    const silent = new Set<string>();
    for (const c of tests) {
      const byAlert = new Map<string, boolean[]>();
      for (const t of c.alert_rule_test ?? []) byAlert.set(t.alertname, [...(byAlert.get(t.alertname) ?? []), (t.exp_alerts ?? []).length > 0]);
      for (const [name, evals] of byAlert) {
        if (evals.some(Boolean)) fires.add(name);
        else silent.add(name);
      }
    }
    const missing = alertNames().flatMap((a) => [...(fires.has(a) ? [] : [`${a}: no firing case`]), ...(silent.has(a) ? [] : [`${a}: no not-firing case`])]);
    expect(missing).toEqual([]);
    // And no test refers to an alert that does not exist (a renamed rule).
    expect([...fires, ...silent].filter((a) => !alertNames().includes(a))).toEqual([]);
  });

  test("the reconciler's default trigger alerts exist under exactly those names", () => {
    const names = VARIABLES.find((v) => v.env === 'PIPEWARDEN_ALERT_NAMES')!.default!.split(',');
    expect(names).toEqual(['PipewardenMySQLDown', 'PipewardenBatchesInDoubt']);
    for (const n of names) expect(alertNames()).toContain(n);
  });

  test('every alert has a severity, a summary, a description and a runbook section that exists', () => {
    const anchors = new Set(
      readFileSync(RUNBOOKS, 'utf8')
        .split('\n')
        .filter((l) => /^#{1,6}\s/.test(l))
        .map((l) => headingAnchor(l.replace(/^#+/, ''))),
    );
    for (const a of alerts) {
      expect(a.alert).toMatch(/^Pipewarden[A-Z][A-Za-z0-9]+$/);
      expect(['critical', 'warning']).toContain(a.labels?.severity);
      expect(a.annotations?.summary?.length).toBeGreaterThan(10);
      expect(a.annotations?.description?.length).toBeGreaterThan(40);
      const url = a.annotations?.runbook_url ?? '';
      const m = /^docs\/runbooks\.md#(.+)$/.exec(url);
      expect(m).not.toBeNull();
      expect({ alert: a.alert, anchorFound: anchors.has(m![1]) }).toEqual({ alert: a.alert, anchorFound: true });
    }
  });

  test('every metric the rules name is exported (core/src/metrics.ts) or standard', () => {
    const known = Object.values(METRICS).flatMap(exposedNames);
    const problems = ruleExpressions(rules, 'pipewarden.yml').flatMap((f) =>
      unknownMetricNames(extractMetricNames(f.expr), known, STANDARD_EXPORTER_METRIC_PREFIXES).map((n) => `${f.where}: ${n}`),
    );
    expect(problems).toEqual([]);
  });

  test('the short copy keeps every alert, label and annotation and scales only time', () => {
    const short = parse(shortenRules(readFileSync(RULES_FILE, 'utf8'))) as ReturnType<typeof loadRules>;
    const s = short.groups.flatMap((g) => g.rules);
    expect(s.map((r) => r.alert)).toEqual(alerts.map((r) => r.alert));
    expect(s.map((r) => [r.labels, r.annotations])).toEqual(alerts.map((r) => [r.labels, r.annotations]));
    const mysql = s.find((r) => r.alert === 'PipewardenMySQLDown')!;
    expect(mysql.for).toBe('1s');
    const doubt = s.find((r) => r.alert === 'PipewardenBatchesInDoubt')!;
    expect(doubt.expr).toContain('pipewarden_batches_committed_total[10s]');
    expect(doubt.for).toBe('5s');
  });
});
