/** @module Response schemas of /v1/quotas for the OpenAPI document (never serialized with). */
import { QUOTA_RESOURCES } from '../../core/quota-rules.ts';
import {
  columnInt,
  isoTime,
  jsonResponse,
  nextLinkProperty,
  noContent,
  nullableIsoTime,
  serialId,
  type ResponsesDoc,
} from '../schemas.ts';

const properties = {
  id: serialId,
  project_id: { type: 'string' },
  resource: { type: 'string', enum: [...QUOTA_RESOURCES] },
  hard_limit: columnInt(0),
  created_at: isoTime,
  updated_at: nullableIsoTime,
} as const;

/** A stored quota (quotaView). */
export const quotaSchema = {
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
} as const;

export const QUOTA_RESPONSES = {
  list: {
    200: jsonResponse('A page of quotas (every project’s for an admin with all_tenants).', {
      type: 'object',
      additionalProperties: false,
      required: ['quotas'],
      properties: { quotas: { type: 'array', items: quotaSchema }, next: nextLinkProperty },
    }),
  },
  show: {
    200: jsonResponse('The quota; without a stored row, the configured default (no id or times).', {
      ...quotaSchema,
      required: ['project_id', 'resource', 'hard_limit'],
    }),
  },
  create: { 201: jsonResponse('The created quota.', quotaSchema) },
  update: { 202: jsonResponse('The quota after the change.', quotaSchema) },
  delete: { 204: noContent('Deleted.') },
} satisfies Record<string, ResponsesDoc>;
