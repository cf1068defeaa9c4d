// react-router-dom-v5-compat is a dependency of @grafana/ui (e2e/hostBundle.ts resolves it from the leg's);
// for the type checker it is react-router v6, which it re-exports.
declare module 'react-router-dom-v5-compat' {
  export * from 'react-router';
}
