/** @module Policy entry of the statistics route (Magnum 15's default; Magnetar's personas). */
import { PROJECT, PROJECT_READER } from '../policy-personas.ts';
import type { PolicyEntry } from '../policy.ts';

export const STATS_POLICIES: readonly PolicyEntry[] = [
  {
    action: 'stats:get_all',
    check: PROJECT_READER,
    deprecated: 'rule:admin_or_owner',
    scope: PROJECT,
    route: 'GET /v1/stats',
  },
];
