/** @module Policy entries of the legacy bay routes (Magnum 15's `bay:*` defaults; Magnetar's personas, as for clusters). */
import { PROJECT, PROJECT_MEMBER, PROJECT_READER } from '../policy-personas.ts';
import type { PolicyEntry } from '../policy.ts';

const DENY = 'rule:deny_cluster_user';
const read = { check: `(${PROJECT_READER}) and ${DENY}`, deprecated: DENY, scope: PROJECT };
const write = { check: `(${PROJECT_MEMBER}) and ${DENY}`, deprecated: DENY, scope: PROJECT };

export const BAY_POLICIES: readonly PolicyEntry[] = [
  { action: 'bay:create', ...write, route: 'POST /v1/bays' },
  { action: 'bay:get_all', ...read, route: 'GET /v1/bays' },
  { action: 'bay:detail', ...read, route: 'GET /v1/bays/detail' },
  { action: 'bay:get', ...read, route: 'GET /v1/bays/:ident' },
  { action: 'bay:update', ...write, route: 'PATCH /v1/bays/:ident' },
  { action: 'bay:delete', ...write, route: 'DELETE /v1/bays/:ident' },
];
