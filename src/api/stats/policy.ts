/** @module Policy entry of the statistics route (Magnum default). */
import type { PolicyEntry } from '../policy.ts';

export const STATS_POLICIES: readonly PolicyEntry[] = [
  { action: 'stats:get_all', rule: 'admin_or_owner', route: 'GET /v1/stats' },
];
