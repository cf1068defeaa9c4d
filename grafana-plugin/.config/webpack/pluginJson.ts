// dist/plugin.json: src/plugin.json with its placeholders filled in (as create-plugin's
// build does). The app includes no dashboards: provisioning/grafana file-provisions them with
// fixed uids and the Prometheus data source they read, and Grafana's app dashboard updater
// would overwrite those on every enable or upgrade and delete them when the app is disabled.
// One owner per dashboard; the app links to them by uid.

interface PluginJson {
  id: string;
  includes?: Array<Record<string, unknown>>;
}

export function renderPluginJson(source: string, version: string, today = new Date()): string {
  const filled = source.replace(/%VERSION%/g, version).replace(/%TODAY%/g, today.toISOString().substring(0, 10));
  const json = JSON.parse(filled) as PluginJson;
  json.includes = (json.includes ?? []).map((i) => JSON.parse(JSON.stringify(i).replace(/%PLUGIN_ID%/g, json.id)));
  return JSON.stringify(json, null, 2) + '\n';
}
