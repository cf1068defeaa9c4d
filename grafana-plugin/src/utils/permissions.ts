// Who may do what in the app. Grafana ≥ 11.6 registers the app's roles from plugin.json
// (`roles`: reconcile:read for Viewer, reconcile:write for Admin and Grafana Admin), and an
// org admin can grant them to anyone (an on-call Editor, say). The signed-in user's
// permissions are in the boot data: the map contextSrv.hasPermission reads. A Grafana that
// sends no permissions (no app RBAC) gets the org-role rule the routes' `reqRole` enforces.
import { type CurrentUser, userHasPermission } from '@grafana/data';
import { config } from '@grafana/runtime';

import { PLUGIN_ID } from '../constants';

/** The action that lets a user press Reconcile & restart (plugin.json `roles`, `reqAction`). */
export const RECONCILE_WRITE = `${PLUGIN_ID}.reconcile:write`;
/** Grafana's own action for editing a plugin's settings (the Configuration page). */
const PLUGINS_WRITE = 'plugins:write';

interface BootUser {
  orgRole?: string;
  permissions?: Record<string, boolean>;
}

function currentUser(): BootUser {
  return (config.bootData?.user ?? {}) as BootUser;
}

/** True when the signed-in user holds `action`, or, without RBAC data, is an org Admin. */
function hasAction(action: string, user: BootUser = currentUser()): boolean {
  if (user.permissions && Object.keys(user.permissions).length > 0) {
    return userHasPermission(action, user as CurrentUser);
  }
  return user.orgRole === 'Admin';
}

export function canReconcile(user?: BootUser): boolean {
  return hasAction(RECONCILE_WRITE, user);
}

export function canConfigure(user?: BootUser): boolean {
  return hasAction(PLUGINS_WRITE, user);
}
