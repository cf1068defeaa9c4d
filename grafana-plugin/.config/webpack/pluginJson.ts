// dist/plugin.json: src/plugin.json with its placeholders filled in (as create-plugin's
// build does). The app includes no dashboards: provisioning/grafana file-provisions them with
// fixed uids and the Prometheus data source they read, and Grafana's app dashboard updater
// would overwrite those on every enable or upgrade and delete them when the app is disabled.
// One owner per dashboard; the app links to them by uid.

interface PluginJson {
  id: string;
  info: Record<string, unknown>;
  includes?: Array<Record<string, unknown>>;
}

/**
 * `revision` (the git commit the app was built from) goes to `info.build.hash`, Grafana's
 * field for it, so the app names the same revision as `pipewarden --version` and the
 * services' /status.
 */
export function renderPluginJson(source: string, version: string, today = new Date(), revision?: string): string {
  const filled = source.replace(/%VERSION%/g, version).replace(/%TODAY%/g, today.toISOString().substring(0, 10));
  const json = JSON.parse(filled) as PluginJson;
  if (revision) json.info.build = { time: today.getTime(), hash: revision };
  json.includes = (json.includes ?? []).map((i) => JSON.parse(JSON.stringify(i).replace(/%PLUGIN_ID%/g, json.id)));
  return JSON.stringify(json, null, 2) + '\n';
}
