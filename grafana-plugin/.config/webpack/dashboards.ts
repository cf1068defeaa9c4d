// The dashboards the app includes are owned by provisioning/ (one source, also used by
// Grafana's file provisioning). The build copies them into dist/dashboards/ and declares
// each one in dist/plugin.json `includes`, instead of keeping a second hand-maintained copy.
// While provisioning/ has not written them yet the build still succeeds, with a warning
// that says where they are expected.
import fs from 'fs';
import path from 'path';
import type { Compiler } from 'webpack';

/** provisioning/grafana/dashboards, relative to grafana-plugin/. */
export const DASHBOARDS_SOURCE = path.resolve(process.cwd(), '..', 'provisioning', 'grafana', 'dashboards');

export interface FoundDashboard {
  file: string;
  title: string;
  uid?: string;
}

export function findDashboards(dir = DASHBOARDS_SOURCE): FoundDashboard[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { title?: string; uid?: string };
      return { file, title: json.title ?? path.basename(file, '.json'), uid: json.uid };
    });
}

interface PluginJson {
  id: string;
  info: { version: string; updated: string };
  includes?: Array<Record<string, unknown>>;
}

/** dist/plugin.json: placeholders filled in, one `dashboard` include per dashboard found. */
export function renderPluginJson(source: string, version: string, dashboards: FoundDashboard[]): string {
  const filled = source
    .replace(/%VERSION%/g, version)
    .replace(/%TODAY%/g, new Date().toISOString().substring(0, 10));
  const json = JSON.parse(filled) as PluginJson;
  json.includes = (json.includes ?? []).map((i) => JSON.parse(JSON.stringify(i).replace(/%PLUGIN_ID%/g, json.id)));
  for (const d of dashboards) {
    json.includes.push({ type: 'dashboard', name: d.title, path: `dashboards/${d.file}`, addToNav: false });
  }
  return JSON.stringify(json, null, 2) + '\n';
}

/** Warns (never fails) when provisioning/ has no dashboards for the app to include yet. */
export class DashboardsNoticePlugin {
  apply(compiler: Compiler): void {
    compiler.hooks.thisCompilation.tap('DashboardsNoticePlugin', (compilation) => {
      if (findDashboards().length > 0) return;
      compilation.warnings.push(
        new compiler.webpack.WebpackError(
          `no dashboards to include: ${path.relative(process.cwd(), DASHBOARDS_SOURCE)}/*.json does not exist yet ` +
            '(the provisioning/ package writes pipeline.json, uid pipewarden-pipeline). The app builds without them; ' +
            'its dashboard links work once Grafana provisions those dashboards.'
        )
      );
    });
  }
}
