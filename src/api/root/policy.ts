/**
 * @module Policy entries of the public routes: version documents, the health check and the OpenAPI document
 * (Magnetar's own names; Magnum checks no policy on them). `@` lets anyone, token or not.
 */
import type { PolicyEntry } from '../policy.ts';

export const ROOT_POLICIES: readonly PolicyEntry[] = [
  { action: 'root:get', check: '@', route: 'GET /' },
  { action: 'root:get_v1', check: '@', route: 'GET /v1' },
  { action: 'healthcheck:get', check: '@', route: 'GET /healthcheck' },
  { action: 'openapi:get', check: '@', route: 'GET /v1/openapi.json' },
];
