// react-router-dom-v5-compat is a dependency of @grafana/ui (e2e/hostBundle.ts resolves it from the leg's);
// for the type checker it is react-router v6, which it re-exports.
declare module 'react-router-dom-v5-compat' {
  export * from 'react-router';
}

// A subpath export (package.json "exports") that "moduleResolution": "node" cannot see; the host
// only hands it over to the plugin as Grafana does, so its members need no types here.
declare module '@grafana/runtime/unstable';
