/** @module Policy entries of the public routes: version documents, the health check and the OpenAPI document. */
import type { PolicyEntry } from '../policy.ts';

export const ROOT_POLICIES: readonly PolicyEntry[] = [
  { action: 'root:get', rule: 'anyone', route: 'GET /' },
  { action: 'root:get_v1', rule: 'anyone', route: 'GET /v1' },
  { action: 'healthcheck:get', rule: 'anyone', route: 'GET /healthcheck' },
  { action: 'openapi:get', rule: 'anyone', route: 'GET /v1/openapi.json' },
];
