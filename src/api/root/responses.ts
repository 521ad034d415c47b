/** @module Response schemas of the version documents and /healthcheck for the OpenAPI document (never serialized with). */
import { jsonResponse, linkList, type ResponsesDoc } from '../schemas.ts';

const versionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'status', 'min_version', 'max_version', 'links'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    min_version: { type: 'string' },
    max_version: { type: 'string' },
    links: linkList,
  },
} as const;

export const ROOT_RESPONSES = {
  root: {
    200: jsonResponse('The API versions.', {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'description', 'versions'],
      properties: {
        name: { type: 'string' },
        description: { type: 'string' },
        versions: { type: 'array', items: versionSchema },
      },
    }),
  },
  v1: {
    200: jsonResponse('The v1 document: media types, and self and bookmark links of every collection.', {
      type: 'object',
      required: ['id', 'media_types', 'links'],
      properties: {
        id: { type: 'string', const: 'v1' },
        media_types: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['base', 'type'],
            properties: { base: { type: 'string' }, type: { type: 'string' } },
          },
        },
        links: linkList,
      },
      additionalProperties: linkList,
    }),
  },
  healthcheck: {
    200: { description: 'The service is up.', content: { 'text/plain': { schema: { type: 'string', const: 'OK' } } } },
    503: {
      description: 'The store cannot write: "store cannot write: <reason>".',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
  },
} satisfies Record<string, ResponsesDoc>;
