/** @module Policy entries of the service routes: Magnum's `magnum-service:get_all` (Magnum 15's default), and Magnetar's process list. */
import { ADMIN_API, ANY_SCOPE } from '../policy-personas.ts';
import type { PolicyEntry } from '../policy.ts';

export const MSERVICE_POLICIES: readonly PolicyEntry[] = [
  { action: 'magnum-service:get_all', check: ADMIN_API, scope: ANY_SCOPE, route: 'GET /v1/mservices' },
  { action: 'magnetar-process:get_all', check: ADMIN_API, scope: ANY_SCOPE, route: 'GET /v1/processes' },
];
