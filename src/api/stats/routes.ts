/** @module GET /v1/stats: how many clusters and nodes (masters included) a project — or, for admins, everyone — has. */
import { MAX_STRING } from '../../core/limits.ts';
import type { FastifyInstance } from 'fastify';
import { forbidden, invalid } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { authorize } from '../policy.ts';
import { MAGNUM_ERRORS } from '../validation.ts';
import { STATS_RESPONSES } from './responses.ts';

const statsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    project_id: { type: 'string', minLength: 1, maxLength: MAX_STRING },
    type: {
      type: 'string',
      maxLength: MAX_STRING,
      pattern: '^[cC][lL][uU][sS][tT][eE][rR]$',
      description: "only 'cluster' (any case)",
      [MAGNUM_ERRORS]: { pattern: "Invalid stats type. Allowed values are 'cluster'" },
    },
  },
} as const;

export function statsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: { project_id?: string; type?: string } }>(
    '/v1/stats',
    { schema: { querystring: statsQuery }, config: { responses: STATS_RESPONSES.get } },
    async (req) => {
      authorize(req, 'stats:get_all');
      if ((req.query.type ?? 'cluster').toLowerCase() !== 'cluster')
        throw invalid("Invalid stats type. Allowed values are 'cluster'");
      const c = req.caller;
      let project = req.query.project_id;
      if (!c.isAdmin && project !== undefined && project !== c.projectId)
        throw forbidden('NotAuthorized', 'Not authorized.');
      if (!c.isAdmin) project = c.projectId;
      return {
        clusters: await deps.store.usage.clusterCount(project),
        nodes: await deps.store.usage.nodeCount(project),
      };
    },
  );
}
