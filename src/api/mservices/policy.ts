/** @module Policy entry of the service list route (Magnum default). */
import type { PolicyEntry } from '../policy.ts';

export const MSERVICE_POLICIES: readonly PolicyEntry[] = [
  { action: 'magnum-service:get_all', rule: 'admin_api', route: 'GET /v1/mservices' },
];
