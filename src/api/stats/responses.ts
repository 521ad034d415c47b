/** @module Response schema of /v1/stats for the OpenAPI document (never serialized with). */
import { jsonResponse, type ResponsesDoc } from '../schemas.ts';

export const STATS_RESPONSES = {
  get: {
    200: jsonResponse('Cluster and node counts (masters included) of a project, or of every project for an admin.', {
      type: 'object',
      additionalProperties: false,
      required: ['clusters', 'nodes'],
      properties: { clusters: { type: 'integer', minimum: 0 }, nodes: { type: 'integer', minimum: 0 } },
    }),
  },
} satisfies Record<string, ResponsesDoc>;
