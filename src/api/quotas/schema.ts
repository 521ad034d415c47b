/** @module JSON schemas of the quota resource (validation and OpenAPI). */
import { QUOTA_RESOURCES } from '../../core/quota-rules.ts';

const ro = { readOnly: true } as const;

/** A Quota body: POST creates one; PATCH sends the same object (not JSON PATCH), its path values win. */
export const quotaBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    project_id: { type: 'string', minLength: 1, maxLength: 255 },
    resource: { type: 'string', enum: [...QUOTA_RESOURCES] },
    hard_limit: { type: 'integer', minimum: 0 },
    id: ro,
    created_at: ro,
    updated_at: ro,
  },
} as const;

export const quotaCreateSchema = { ...quotaBodySchema, required: ['project_id'] } as const;

export const quotaParams = {
  type: 'object',
  additionalProperties: false,
  required: ['project_id', 'resource'],
  properties: { project_id: { type: 'string', minLength: 1 }, resource: { type: 'string', minLength: 1 } },
} as const;

export const quotaListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer' },
    marker: { type: 'string', description: 'integer id of the last quota of the previous page' },
    sort_key: { type: 'string' },
    sort_dir: { type: 'string' },
    all_tenants: { type: 'string', description: 'boolean word; admins see every project' },
  },
} as const;

export const QUOTA_SORT_KEYS: ReadonlySet<string> = new Set([
  'id',
  'project_id',
  'resource',
  'hard_limit',
  'created_at',
  'updated_at',
]);
