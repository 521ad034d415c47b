/** @module Policy entries of the node group routes (Magnum 15's defaults; Magnetar's personas). */
import { ADMIN_API, PROJECT, PROJECT_MEMBER, PROJECT_READER } from '../policy-personas.ts';
import type { PolicyEntry } from '../policy.ts';

const read = { check: PROJECT_READER, deprecated: 'rule:admin_or_owner', scope: PROJECT };
const write = { check: PROJECT_MEMBER, deprecated: 'rule:admin_or_owner', scope: PROJECT };
const admin = { check: ADMIN_API, scope: PROJECT };

export const NODEGROUP_POLICIES: readonly PolicyEntry[] = [
  { action: 'nodegroup:get_all', ...read, route: 'GET /v1/clusters/:ident/nodegroups' },
  { action: 'nodegroup:get', ...read, route: 'GET /v1/clusters/:ident/nodegroups/:nodegroup' },
  { action: 'nodegroup:create', ...write, route: 'POST /v1/clusters/:ident/nodegroups' },
  { action: 'nodegroup:update', ...write, route: 'PATCH /v1/clusters/:ident/nodegroups/:nodegroup' },
  { action: 'nodegroup:delete', ...write, route: 'DELETE /v1/clusters/:ident/nodegroups/:nodegroup' },
  // Extra checks: admins reaching every project.
  { action: 'nodegroup:get_all_all_projects', ...admin },
  { action: 'nodegroup:get_one_all_projects', ...admin },
];
