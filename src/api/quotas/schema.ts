/** @module JSON schemas of the quota resource (validation and OpenAPI). */
import { QUOTA_RESOURCES } from '../../core/quota-rules.ts';
import { pageQueryProperties } from '../pagination.ts';
import { boolWordQuery } from '../schemas.ts';
import { DOCUMENT_PATTERN, MAGNUM_ERRORS } from '../validation.ts';

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

/** The decimal forms of 0 … 2147483647 (2^31 - 1), as one regular expression alternation. */
const INT32_DIGITS = [
  '\\d{1,9}',
  '1\\d{9}',
  '20\\d{8}',
  '21[0-3]\\d{7}',
  '214[0-6]\\d{6}',
  '2147[0-3]\\d{5}',
  '21474[0-7]\\d{4}',
  '214748[0-2]\\d{3}',
  '2147483[0-5]\\d{2}',
  '21474836[0-3]\\d',
  '214748364[0-7]',
].join('|');

/** Quota pages are marked by the integer id of the last quota. */
const quotaMarker = {
  type: 'string',
  pattern: '^\\s*[-+]?\\d+\\s*$',
  description: 'integer id of the last quota of the previous page (within the id column: -2147483648 … 2147483647)',
  // Its range is checked after its form (Magnum's wording differs); the document states both at once.
  [DOCUMENT_PATTERN]: `^\\s*(\\+?0*(${INT32_DIGITS})|-0*(${INT32_DIGITS}|2147483648))\\s*$`,
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
