/** @module Policy entries of the cluster routes (Magnum defaults). */
import type { PolicyEntry } from '../policy.ts';

export const CLUSTER_POLICIES: readonly PolicyEntry[] = [
  { action: 'cluster:create', rule: 'deny_cluster_user', route: 'POST /v1/clusters' },
  { action: 'cluster:get_all', rule: 'deny_cluster_user', route: 'GET /v1/clusters' },
  { action: 'cluster:detail', rule: 'deny_cluster_user', route: 'GET /v1/clusters/detail' },
  { action: 'cluster:get', rule: 'deny_cluster_user', route: 'GET /v1/clusters/:ident' },
  { action: 'cluster:delete', rule: 'deny_cluster_user', route: 'DELETE /v1/clusters/:ident' },
  { action: 'cluster:events', rule: 'deny_cluster_user', route: 'GET /v1/clusters/:ident/events' },
];
