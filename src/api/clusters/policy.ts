/** @module Policy entries of the cluster routes, actions included (Magnum defaults). */
import type { PolicyEntry } from '../policy.ts';

export const CLUSTER_POLICIES: readonly PolicyEntry[] = [
  { action: 'cluster:create', rule: 'deny_cluster_user', route: 'POST /v1/clusters' },
  { action: 'cluster:get_all', rule: 'deny_cluster_user', route: 'GET /v1/clusters' },
  { action: 'cluster:detail', rule: 'deny_cluster_user', route: 'GET /v1/clusters/detail' },
  { action: 'cluster:get', rule: 'deny_cluster_user', route: 'GET /v1/clusters/:ident' },
  { action: 'cluster:update', rule: 'deny_cluster_user', route: 'PATCH /v1/clusters/:ident' },
  { action: 'cluster:delete', rule: 'deny_cluster_user', route: 'DELETE /v1/clusters/:ident' },
  { action: 'cluster:resize', rule: 'deny_cluster_user', route: 'POST /v1/clusters/:ident/actions/resize' },
  { action: 'cluster:upgrade', rule: 'deny_cluster_user', route: 'POST /v1/clusters/:ident/actions/upgrade' },
  { action: 'cluster:events', rule: 'deny_cluster_user', route: 'GET /v1/clusters/:ident/events' },
  { action: 'cluster:events_stream', rule: 'deny_cluster_user', route: 'GET /v1/clusters/:ident/events/stream' },
  // Extra checks: every PATCH (health fields), and admins reaching every project.
  { action: 'cluster:update_health_status', rule: 'admin_or_user' },
  { action: 'cluster:get_all_all_projects', rule: 'admin_api' },
  { action: 'cluster:detail_all_projects', rule: 'admin_api' },
  { action: 'cluster:get_one_all_projects', rule: 'admin_api' },
  { action: 'cluster:update_all_projects', rule: 'admin_api' },
  { action: 'cluster:delete_all_projects', rule: 'admin_api' },
  { action: 'cluster:upgrade_all_projects', rule: 'admin_api' },
];
