/** @module Policy entries of the legacy bay routes (Magnum's `bay:*` actions and defaults). */
import type { PolicyEntry } from '../policy.ts';

export const BAY_POLICIES: readonly PolicyEntry[] = [
  { action: 'bay:create', rule: 'deny_cluster_user', route: 'POST /v1/bays' },
  { action: 'bay:get_all', rule: 'deny_cluster_user', route: 'GET /v1/bays' },
  { action: 'bay:detail', rule: 'deny_cluster_user', route: 'GET /v1/bays/detail' },
  { action: 'bay:get', rule: 'deny_cluster_user', route: 'GET /v1/bays/:ident' },
  { action: 'bay:update', rule: 'deny_cluster_user', route: 'PATCH /v1/bays/:ident' },
  { action: 'bay:delete', rule: 'deny_cluster_user', route: 'DELETE /v1/bays/:ident' },
];
