/** @module Policy entries of the legacy baymodel routes (Magnum's `baymodel:*` actions). */
import type { PolicyEntry } from '../policy.ts';

export const BAYMODEL_POLICIES: readonly PolicyEntry[] = [
  { action: 'baymodel:create', rule: 'deny_cluster_user', route: 'POST /v1/baymodels' },
  { action: 'baymodel:get_all', rule: 'deny_cluster_user', route: 'GET /v1/baymodels' },
  { action: 'baymodel:detail', rule: 'deny_cluster_user', route: 'GET /v1/baymodels/detail' },
  { action: 'baymodel:get', rule: 'deny_cluster_user', route: 'GET /v1/baymodels/:ident' },
  // Magnum 15's default is deny_cluster_user, which lets any project change or delete another project's public
  // baymodel; Magnetar keeps clustertemplate's admin_or_owner (docs/compatibility.md).
  { action: 'baymodel:update', rule: 'admin_or_owner', route: 'PATCH /v1/baymodels/:ident' },
  { action: 'baymodel:delete', rule: 'admin_or_owner', route: 'DELETE /v1/baymodels/:ident' },
  // Extra check: making a baymodel public.
  { action: 'baymodel:publish', rule: 'admin_api' },
];
