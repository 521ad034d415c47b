/** @module Policy entries of the quota routes (Magnum defaults: admins manage quotas; a project may read its own). */
import { ADMIN_API, ANY_SCOPE, PROJECT_READER } from '../policy-personas.ts';
import type { PolicyEntry } from '../policy.ts';

const admin = { check: ADMIN_API, scope: ANY_SCOPE };

export const QUOTA_POLICIES: readonly PolicyEntry[] = [
  { action: 'quota:get_all', ...admin, route: 'GET /v1/quotas' },
  {
    action: 'quota:get',
    check: PROJECT_READER,
    deprecated: 'rule:admin_or_owner',
    scope: ANY_SCOPE,
    route: 'GET /v1/quotas/:project_id/:resource',
  },
  { action: 'quota:create', ...admin, route: 'POST /v1/quotas' },
  { action: 'quota:update', ...admin, route: 'PATCH /v1/quotas/:project_id/:resource' },
  { action: 'quota:delete', ...admin, route: 'DELETE /v1/quotas/:project_id/:resource' },
];
