// Runs before any test file imports @grafana/runtime: its config module reads
// window.grafanaBootData at import time, so the boot data must exist first.
window.grafanaBootData = {
  settings: { appSubUrl: '', buildInfo: { version: '13.1.1' }, featureToggles: {} },
  user: { orgRole: 'Admin', isSignedIn: true, login: 'admin' },
  navTree: [],
};
