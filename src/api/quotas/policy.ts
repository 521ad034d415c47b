/** @module Policy entries of the quota routes (Magnum defaults: admins manage quotas; a project may read its own). */
import type { PolicyEntry } from '../policy.ts';

export const QUOTA_POLICIES: readonly PolicyEntry[] = [
  { action: 'quota:get_all', rule: 'admin_api', route: 'GET /v1/quotas' },
  { action: 'quota:get', rule: 'admin_or_owner', route: 'GET /v1/quotas/:project_id/:resource' },
  { action: 'quota:create', rule: 'admin_api', route: 'POST /v1/quotas' },
  { action: 'quota:update', rule: 'admin_api', route: 'PATCH /v1/quotas/:project_id/:resource' },
  { action: 'quota:delete', rule: 'admin_api', route: 'DELETE /v1/quotas/:project_id/:resource' },
];
