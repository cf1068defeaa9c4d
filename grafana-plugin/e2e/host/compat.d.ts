// react-router-dom-v5-compat is installed under @grafana/ui (e2e/hostBundle.ts aliases it);
// for the type checker it is react-router v6, which it re-exports.
declare module 'react-router-dom-v5-compat' {
  export * from 'react-router';
}
