/** @module Policy entries of the legacy baymodel routes (Magnum 15's `baymodel:*` defaults; Magnetar's personas). */
import { ADMIN_API, PROJECT, PROJECT_MEMBER } from '../policy-personas.ts';
import type { PolicyEntry } from '../policy.ts';

const DENY = 'rule:deny_cluster_user';
// As for cluster templates: baymodels of other projects may be public, reading asks for the reader role.
const read = { check: `(rule:context_is_admin or role:reader) and ${DENY}`, deprecated: DENY, scope: PROJECT };
const create = { check: `(${PROJECT_MEMBER}) and ${DENY}`, deprecated: DENY, scope: PROJECT };
// Magnum 15's default for update and delete is deny_cluster_user, which lets any project change or delete another
// project's public baymodel; Magnetar keeps clustertemplate's admin_or_owner (docs/compatibility.md).
const own = { check: PROJECT_MEMBER, deprecated: 'rule:admin_or_owner', scope: PROJECT };

export const BAYMODEL_POLICIES: readonly PolicyEntry[] = [
  { action: 'baymodel:create', ...create, route: 'POST /v1/baymodels' },
  { action: 'baymodel:get_all', ...read, route: 'GET /v1/baymodels' },
  { action: 'baymodel:detail', ...read, route: 'GET /v1/baymodels/detail' },
  { action: 'baymodel:get', ...read, route: 'GET /v1/baymodels/:ident' },
  { action: 'baymodel:update', ...own, route: 'PATCH /v1/baymodels/:ident' },
  { action: 'baymodel:delete', ...own, route: 'DELETE /v1/baymodels/:ident' },
  // Extra check: making a baymodel public.
  { action: 'baymodel:publish', check: ADMIN_API, scope: PROJECT },
];
