/** @module JSON schemas of the quota resource (validation and OpenAPI). */
import { QUOTA_RESOURCES } from '../../core/quota-rules.ts';
import { pageQueryProperties } from '../pagination.ts';
import { boolWordQuery } from '../schemas.ts';
import { MAGNUM_ERRORS } from '../validation.ts';

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

export const QUOTA_SORT_KEYS: ReadonlySet<string> = new Set([
  'id',
  'project_id',
  'resource',
  'hard_limit',
  'created_at',
  'updated_at',
]);

/** Quota pages are marked by the integer id of the last quota. */
const quotaMarker = {
  type: 'string',
  pattern: '^\\s*[-+]?\\d+\\s*$',
  description: 'integer id of the last quota of the previous page',
  [MAGNUM_ERRORS]: {
    pattern:
      "Invalid input for field/attribute marker. Value: '{value}'. unable to convert to int. Error: invalid literal for int() with base 10: '{value}'",
  },
} as const;

export const quotaListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    all_tenants: boolWordQuery('all_tenants', 'admins: every project'),
    ...pageQueryProperties(QUOTA_SORT_KEYS, quotaMarker),
  },
} as const;
