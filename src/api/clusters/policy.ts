/** @module Policy entries of the cluster routes, actions included (Magnum 15's defaults; Magnetar's personas). */
import { ADMIN_API, PROJECT, PROJECT_MEMBER, PROJECT_READER } from '../policy-personas.ts';
import type { PolicyEntry } from '../policy.ts';

const DENY = 'rule:deny_cluster_user';
const read = { check: `(${PROJECT_READER}) and ${DENY}`, deprecated: DENY, scope: PROJECT };
const write = { check: `(${PROJECT_MEMBER}) and ${DENY}`, deprecated: DENY, scope: PROJECT };
const admin = { check: ADMIN_API, scope: PROJECT };

export const CLUSTER_POLICIES: readonly PolicyEntry[] = [
  { action: 'cluster:create', ...write, route: 'POST /v1/clusters' },
  { action: 'cluster:get_all', ...read, route: 'GET /v1/clusters' },
  { action: 'cluster:detail', ...read, route: 'GET /v1/clusters/detail' },
  { action: 'cluster:get', ...read, route: 'GET /v1/clusters/:ident' },
  { action: 'cluster:update', ...write, route: 'PATCH /v1/clusters/:ident' },
  { action: 'cluster:delete', ...write, route: 'DELETE /v1/clusters/:ident' },
  { action: 'cluster:resize', ...write, route: 'POST /v1/clusters/:ident/actions/resize' },
  { action: 'cluster:upgrade', ...write, route: 'POST /v1/clusters/:ident/actions/upgrade' },
  { action: 'cluster:events', ...read, route: 'GET /v1/clusters/:ident/events' },
  { action: 'cluster:events_stream', ...read, route: 'GET /v1/clusters/:ident/events/stream' },
  // Extra checks: every PATCH (health fields), and admins reaching every project.
  { action: 'cluster:update_health_status', check: 'rule:admin_or_user or rule:cluster_user', scope: PROJECT },
  { action: 'cluster:get_all_all_projects', ...admin },
  { action: 'cluster:detail_all_projects', ...admin },
  { action: 'cluster:get_one_all_projects', ...admin },
  { action: 'cluster:update_all_projects', ...admin },
  { action: 'cluster:delete_all_projects', ...admin },
  { action: 'cluster:upgrade_all_projects', ...admin },
];
