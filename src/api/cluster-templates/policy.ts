/** @module Policy entries of the cluster template routes (Magnum defaults). */
import type { PolicyEntry } from '../policy.ts';

export const TEMPLATE_POLICIES: readonly PolicyEntry[] = [
  { action: 'clustertemplate:create', rule: 'deny_cluster_user', route: 'POST /v1/clustertemplates' },
  { action: 'clustertemplate:get_all', rule: 'deny_cluster_user', route: 'GET /v1/clustertemplates' },
  { action: 'clustertemplate:detail', rule: 'deny_cluster_user', route: 'GET /v1/clustertemplates/detail' },
  { action: 'clustertemplate:get', rule: 'deny_cluster_user', route: 'GET /v1/clustertemplates/:ident' },
  { action: 'clustertemplate:update', rule: 'admin_or_owner', route: 'PATCH /v1/clustertemplates/:ident' },
  { action: 'clustertemplate:delete', rule: 'admin_or_owner', route: 'DELETE /v1/clustertemplates/:ident' },
  // Extra checks: setting public/hidden, and admins reaching every project.
  { action: 'clustertemplate:publish', rule: 'admin_api' },
  { action: 'clustertemplate:get_all_all_projects', rule: 'admin_api' },
  { action: 'clustertemplate:detail_all_projects', rule: 'admin_api' },
  { action: 'clustertemplate:get_one_all_projects', rule: 'admin_api' },
  { action: 'clustertemplate:update_all_projects', rule: 'admin_api' },
  { action: 'clustertemplate:delete_all_projects', rule: 'admin_api' },
];
