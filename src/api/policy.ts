/** @module Policy as data: rules by name (Magnum's defaults) and one entry per route, checked by `authorize`. */
import { forbidden } from '../core/errors.ts';
import type { Caller } from '../core/types.ts';

/** What a rule is checked against: the object's owner (or the caller's own identity when no object is involved). */
export interface PolicyTarget {
  project_id: string;
  user_id: string;
}

export type RuleName = 'deny_cluster_user' | 'admin_or_owner' | 'admin_api' | 'admin_or_user' | 'anyone';

const RULES: Record<RuleName, (c: Caller, t: PolicyTarget) => boolean> = {
  // Magnetar has no per-cluster trustee users, so nobody is a "cluster user" to deny.
  deny_cluster_user: () => true,
  admin_or_owner: (c, t) => c.isAdmin || c.projectId === t.project_id,
  admin_api: (c) => c.isAdmin,
  admin_or_user: (c, t) => c.isAdmin || c.userId === t.user_id,
  anyone: () => true,
};

/**
 * One policy entry: the action name Magnum uses and its default rule. `route` (`METHOD /url` as registered) names the
 * route the entry guards; every route has exactly one such entry. Entries without a route are extra checks made by
 * some handlers (publishing a template, admins reaching all projects).
 */
export interface PolicyEntry {
  action: string;
  rule: RuleName;
  route?: string;
}

/** Checks `action` for the caller against the target; 403 PolicyNotAuthorized when denied. */
export function authorize(
  entries: readonly PolicyEntry[],
  action: string,
  caller: Caller,
  target?: PolicyTarget,
): void {
  const entry = entries.find((e) => e.action === action);
  if (!entry) throw new Error(`no policy entry for ${action}`);
  const t = target ?? { project_id: caller.projectId, user_id: caller.userId };
  if (!RULES[entry.rule](caller, t))
    throw forbidden('PolicyNotAuthorized', `Policy doesn't allow ${action} to be performed.`);
}
