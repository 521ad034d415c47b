/** @module Policy entries of the service routes: Magnum's `magnum-service:get_all`, and Magnetar's process list. */
import type { PolicyEntry } from '../policy.ts';

export const MSERVICE_POLICIES: readonly PolicyEntry[] = [
  { action: 'magnum-service:get_all', rule: 'admin_api', route: 'GET /v1/mservices' },
  { action: 'magnetar-process:get_all', rule: 'admin_api', route: 'GET /v1/processes' },
];
