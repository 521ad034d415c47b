/** @module Response schemas of /v1/mservices and /v1/processes for the OpenAPI document (never serialized with). */
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

const listOf = (key: string, itemProperties: Record<string, object>): object => ({
  type: 'object',
  additionalProperties: false,
  required: [key],
  properties: {
    [key]: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: Object.keys(itemProperties),
        properties: itemProperties,
      },
    },
  },
});

export const MSERVICE_RESPONSES = {
  list: {
    200: jsonResponse(
      "Magnum's service list: one row per conductor host (binary magnum-conductor, ids from 1), state from its heartbeat.",
      listOf('mservices', { ...properties, binary: { type: 'string', const: 'magnum-conductor' } }),
    ),
  },
  processes: {
    200: jsonResponse(
      'Every api and conductor process row (binary magnetar-api or magnetar-conductor) with its heartbeat-derived state.',
      listOf('processes', { ...properties, binary: { type: 'string', enum: ['magnetar-api', 'magnetar-conductor'] } }),
    ),
  },
} satisfies Record<string, ResponsesDoc>;
