import { canConfigure, canReconcile, RECONCILE_WRITE } from './permissions';

describe('canReconcile', () => {
  it('with app RBAC, follows the reconcile:write action, whatever the org role', () => {
    expect(canReconcile({ orgRole: 'Editor', permissions: { [RECONCILE_WRITE]: true } })).toBe(true);
    expect(canReconcile({ orgRole: 'Admin', permissions: { 'pipewarden-pipeline-app.reconcile:read': true } })).toBe(false);
  });

  it('without RBAC data (older Grafana), falls back to the Admin org role, as the route reqRole does', () => {
    expect(canReconcile({ orgRole: 'Admin' })).toBe(true);
    expect(canReconcile({ orgRole: 'Editor' })).toBe(false);
    expect(canReconcile({ orgRole: 'Viewer', permissions: {} })).toBe(false);
  });
});

describe('canConfigure', () => {
  it("follows Grafana's plugins:write action, or the Admin role without RBAC data", () => {
    expect(canConfigure({ orgRole: 'Editor', permissions: { 'plugins:write': true } })).toBe(true);
    expect(canConfigure({ orgRole: 'Viewer', permissions: { [RECONCILE_WRITE]: true } })).toBe(false);
    expect(canConfigure({ orgRole: 'Admin' })).toBe(true);
  });
});
