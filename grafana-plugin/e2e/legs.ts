// The Grafana lines the e2e matrix runs. Each leg is an npm workspace, e2e/legs/grafana-<line>/,
// pinning what that Grafana line shares with plugins at run time: its React and its @grafana/*
// packages. `npm ci` in grafana-plugin/ installs every leg (conflicting versions land in the
// leg's own node_modules); the host page of a leg is bundled from that leg (e2e/hostBundle.ts).
// plugin.json's grafanaDependency must span exactly these lines (checked by the e2e run).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const LEGS_DIR = path.join(__dirname, 'legs');

export interface Leg {
  /** Folder name, e.g. grafana-13.2; also the screenshot folder test-results/<name>/. */
  name: string;
  /** The leg's workspace folder. */
  dir: string;
  /** The Grafana line, e.g. 13.2. */
  line: string;
  /** Versions as installed for this leg. */
  react: string;
  grafanaPackages: string;
  /** The folder of the leg's @grafana/ui: shared modules resolve from here (see hostBundle.ts). */
  grafanaUiDir: string;
}

function installedVersion(pkg: string, from: string): string {
  let file: string;
  try {
    file = require.resolve(`${pkg}/package.json`, { paths: [from] });
  } catch {
    throw new Error(`${pkg} is not installed for ${path.relative(process.cwd(), from)}: run \`npm ci\` in grafana-plugin/`);
  }
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function compareLines(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/** Every leg, oldest Grafana line first. */
export function findLegs(): Leg[] {
  return readdirSync(LEGS_DIR)
    .map((name) => /^grafana-(\d+\.\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => compareLines(a[1], b[1]))
    .map(([name, line]) => {
      const dir = path.join(LEGS_DIR, name);
      const grafanaPackages = installedVersion('@grafana/ui', dir);
      for (const pkg of ['@grafana/data', '@grafana/runtime']) {
        const v = installedVersion(pkg, dir);
        if (v !== grafanaPackages) {
          throw new Error(`leg ${name}: ${pkg} ${v} differs from @grafana/ui ${grafanaPackages}`);
        }
      }
      if (!grafanaPackages.startsWith(`${line}.`)) {
        throw new Error(`leg ${name} installs @grafana/* ${grafanaPackages}, not Grafana ${line}`);
      }
      const grafanaUiDir = path.dirname(require.resolve('@grafana/ui/package.json', { paths: [dir] }));
      return { name, dir, line, react: installedVersion('react', dir), grafanaPackages, grafanaUiDir };
    });
}

/** The grafanaDependency that declares exactly the tested lines: the oldest up to the newest line's patches. */
export function declaredRange(legs: Leg[]): string {
  const oldest = legs[0].line;
  const [major, minor] = legs[legs.length - 1].line.split('.').map(Number);
  return `>=${oldest}.0 <${major}.${minor + 1}.0`;
}
