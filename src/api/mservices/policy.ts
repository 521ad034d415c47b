/** @module Policy entry of the service list route (Magnum default). */
import { ADMIN_API, ANY_SCOPE } from '../policy-personas.ts';
import type { PolicyEntry } from '../policy.ts';

export const MSERVICE_POLICIES: readonly PolicyEntry[] = [
  { action: 'magnum-service:get_all', check: ADMIN_API, scope: ANY_SCOPE, route: 'GET /v1/mservices' },
];
