/** @module Policy entries of the cluster template routes (Magnum 15's defaults; Magnetar's personas). */
import { ADMIN_API, PROJECT, PROJECT_MEMBER } from '../policy-personas.ts';
import type { PolicyEntry } from '../policy.ts';

const DENY = 'rule:deny_cluster_user';
// Templates of other projects may be public: reading asks for the reader role, not the template's project.
const read = { check: `(rule:context_is_admin or role:reader) and ${DENY}`, deprecated: DENY, scope: PROJECT };
const create = { check: `(${PROJECT_MEMBER}) and ${DENY}`, deprecated: DENY, scope: PROJECT };
const own = { check: PROJECT_MEMBER, deprecated: 'rule:admin_or_owner', scope: PROJECT };
const admin = { check: ADMIN_API, scope: PROJECT };

export const TEMPLATE_POLICIES: readonly PolicyEntry[] = [
  { action: 'clustertemplate:create', ...create, route: 'POST /v1/clustertemplates' },
  { action: 'clustertemplate:get_all', ...read, route: 'GET /v1/clustertemplates' },
  { action: 'clustertemplate:detail', ...read, route: 'GET /v1/clustertemplates/detail' },
  { action: 'clustertemplate:get', ...read, route: 'GET /v1/clustertemplates/:ident' },
  { action: 'clustertemplate:update', ...own, route: 'PATCH /v1/clustertemplates/:ident' },
  { action: 'clustertemplate:delete', ...own, route: 'DELETE /v1/clustertemplates/:ident' },
  // Extra checks: setting public/hidden, and admins reaching every project.
  { action: 'clustertemplate:publish', ...admin },
  { action: 'clustertemplate:get_all_all_projects', ...admin },
  { action: 'clustertemplate:detail_all_projects', ...admin },
  { action: 'clustertemplate:get_one_all_projects', ...admin },
  { action: 'clustertemplate:update_all_projects', ...admin },
  { action: 'clustertemplate:delete_all_projects', ...admin },
];
