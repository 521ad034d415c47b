/** @module Policy entries of the node group routes (Magnum defaults). */
import type { PolicyEntry } from '../policy.ts';

export const NODEGROUP_POLICIES: readonly PolicyEntry[] = [
  { action: 'nodegroup:get_all', rule: 'admin_or_owner', route: 'GET /v1/clusters/:ident/nodegroups' },
  { action: 'nodegroup:get', rule: 'admin_or_owner', route: 'GET /v1/clusters/:ident/nodegroups/:nodegroup' },
  { action: 'nodegroup:create', rule: 'admin_or_owner', route: 'POST /v1/clusters/:ident/nodegroups' },
  { action: 'nodegroup:update', rule: 'admin_or_owner', route: 'PATCH /v1/clusters/:ident/nodegroups/:nodegroup' },
  { action: 'nodegroup:delete', rule: 'admin_or_owner', route: 'DELETE /v1/clusters/:ident/nodegroups/:nodegroup' },
  // Extra checks: admins reaching every project.
  { action: 'nodegroup:get_all_all_projects', rule: 'admin_api' },
  { action: 'nodegroup:get_one_all_projects', rule: 'admin_api' },
];
