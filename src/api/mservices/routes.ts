/**
 * @module GET /v1/mservices (admin), in Magnum's shape: conductor rows only, binary `magnum-conductor`, ids from 1 (one
 * row per conductor host, numbered in the order the hosts first reported); and Magnetar's own GET /v1/processes
 * (admin): every api and conductor process row with its heartbeat-derived state.
 */
import type { FastifyInstance } from 'fastify';
import { serviceState } from '../../core/status.ts';
import type { ServiceRecord } from '../../core/types.ts';
import type { ApiDeps } from '../deps.ts';
import { isoTime } from '../links.ts';
import { authorize } from '../policy.ts';
import { noQuery } from '../schemas.ts';
import { MSERVICE_RESPONSES } from './responses.ts';

/** A process is down after missing this many heartbeats. */
export const MISSED_HEARTBEATS = 3;

/** The binary Magnetar's conductor processes report, and the one Magnum clients know it by. */
const CONDUCTOR = 'magnetar-conductor';
const MAGNUM_CONDUCTOR = 'magnum-conductor';

export function mserviceRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const view = (s: ServiceRecord, now: number): Record<string, unknown> => ({
    id: s.id,
    host: s.host,
    binary: s.binary,
    state: serviceState(s, now, MISSED_HEARTBEATS * deps.config.services.heartbeatMs),
    report_count: s.report_count,
    disabled: s.disabled,
    disabled_reason: s.disabled_reason,
    created_at: isoTime(s.created_at),
    updated_at: isoTime(s.updated_at),
  });

  app.get(
    '/v1/mservices',
    { schema: { querystring: noQuery }, config: { responses: MSERVICE_RESPONSES.list } },
    async (req) => {
      authorize(req, 'magnum-service:get_all');
      const now = Date.now();
      const rows = (await deps.store.services.list()).filter((s) => s.binary === CONDUCTOR);
      return { mservices: rows.map((s, i) => ({ ...view(s, now), id: i + 1, binary: MAGNUM_CONDUCTOR })) };
    },
  );

  app.get(
    '/v1/processes',
    { schema: { querystring: noQuery }, config: { responses: MSERVICE_RESPONSES.processes } },
    async (req) => {
      authorize(req, 'magnetar-process:get_all');
      const now = Date.now();
      return { processes: (await deps.store.services.list()).map((s) => view(s, now)) };
    },
  );
}
