/** @module Response schema of /v1/stats for the OpenAPI document (never serialized with). */
import { countInt, jsonResponse, type ResponsesDoc } from '../schemas.ts';

export const STATS_RESPONSES = {
  get: {
    200: jsonResponse('Cluster and node counts (masters included) of a project, or of every project for an admin.', {
      type: 'object',
      additionalProperties: false,
      required: ['clusters', 'nodes'],
      properties: { clusters: countInt, nodes: countInt },
    }),
  },
} satisfies Record<string, ResponsesDoc>;
