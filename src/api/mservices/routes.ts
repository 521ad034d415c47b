/** @module GET /v1/mservices (admin): every api and conductor process with its heartbeat-derived state. */
import type { FastifyInstance } from 'fastify';
import { serviceState } from '../../core/status.ts';
import type { ApiDeps } from '../deps.ts';
import { isoTime } from '../links.ts';
import { authorize } from '../policy.ts';
import { noQuery } from '../schemas.ts';
import { MSERVICE_RESPONSES } from './responses.ts';

/** A process is down after missing this many heartbeats. */
export const MISSED_HEARTBEATS = 3;

export function mserviceRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/v1/mservices',
    { schema: { querystring: noQuery }, config: { responses: MSERVICE_RESPONSES.list } },
    async (req) => {
      authorize(req, 'magnum-service:get_all');
      const now = Date.now();
      const downAfter = MISSED_HEARTBEATS * deps.config.services.heartbeatMs;
      const rows = await deps.store.services.list();
      return {
        mservices: rows.map((s) => ({
          id: s.id,
          host: s.host,
          binary: s.binary,
          state: serviceState(s, now, downAfter),
          report_count: s.report_count,
          disabled: s.disabled,
          disabled_reason: s.disabled_reason,
          created_at: isoTime(s.created_at),
          updated_at: isoTime(s.updated_at),
        })),
      };
    },
  );
}
