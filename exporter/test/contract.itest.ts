// The metric contract across the repository: every metric name the provisioned
// dashboards, alert and recording rules, rule tests and the Grafana plugin use must be
// exported by pipewarden (METRICS in core) or by a standard exporter. It scans whatever
// files exist when it runs, so a dashboard added later is checked too.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scanRepository, unknownUses } from './metric-names';

const ROOT = join(__dirname, '..', '..');

/** A Grafana dashboard: a JSON file with panels. */
function hasDashboards(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return hasDashboards(p);
    return e.endsWith('.json') && /"panels"\s*:/.test(readFileSync(p, 'utf8'));
  });
}

describe('metric contract of provisioning/ and grafana-plugin/src', () => {
  const scan = scanRepository(ROOT);

  it('finds files and names to check once provisioning/ holds dashboards (never passes vacuously)', () => {
    // Before any dashboard exists there may be nothing to find; metric-names.test.ts
    // proves the check itself on sample files either way.
    if (!hasDashboards(join(ROOT, 'provisioning'))) return;
    expect(scan.files.length).toBeGreaterThanOrEqual(1);
    expect(scan.uses.length).toBeGreaterThanOrEqual(1);
    expect(scan.uses.some((u) => u.name.startsWith('pipewarden'))).toBe(true);
  });

  it('uses only exported metric names', () => {
    const unknown = unknownUses(scan).map((u) => `${u.file}: ${u.name} (${u.reason})`);
    expect(unknown).toEqual([]);
  });
});
