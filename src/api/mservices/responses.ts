/** @module Response schema of /v1/mservices for the OpenAPI document (never serialized with). */
import {
  columnInt,
  isoTime,
  jsonResponse,
  nullableIsoTime,
  nullableString,
  serialId,
  type ResponsesDoc,
} from '../schemas.ts';

const properties = {
  id: serialId,
  host: { type: 'string' },
  binary: { type: 'string' },
  state: { type: 'string', enum: ['up', 'down'] },
  report_count: columnInt(0),
  disabled: { type: 'boolean' },
  disabled_reason: nullableString,
  created_at: isoTime,
  updated_at: nullableIsoTime,
} as const;

export const MSERVICE_RESPONSES = {
  list: {
    200: jsonResponse('Every api and conductor process with its heartbeat-derived state.', {
      type: 'object',
      additionalProperties: false,
      required: ['mservices'],
      properties: {
        mservices: {
          type: 'array',
          items: { type: 'object', additionalProperties: false, required: Object.keys(properties), properties },
        },
      },
    }),
  },
} satisfies Record<string, ResponsesDoc>;
