/**
 * @module /v1/quotas: list (admin; all_tenants), show (falls back to the configured default), create (201),
 * update (202 with the Quota; the body is a Quota object, not JSON PATCH), delete (204).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { conflict, forbidden, invalid, invalidField, notFound } from '../../core/errors.ts';
import { checkDbInt } from '../../core/int-bounds.ts';
import type { Quota } from '../../core/types.ts';
import { coerceBody } from '../body-coercion.ts';
import { boolQuery } from '../clusters/update.ts';
import type { ApiDeps } from '../deps.ts';
import { hostUrl, isoTime } from '../links.ts';
import { logUnreadable, parsePage } from '../pagination.ts';
import { authorize } from '../policy.ts';
import { noQuery } from '../schemas.ts';
import { QUOTA_RESPONSES } from './responses.ts';
import { QUOTA_SORT_KEYS, quotaBodySchema, quotaCreateSchema, quotaListQuery, quotaParams } from './schema.ts';

interface QuotaBody {
  project_id?: string;
  resource?: string;
  hard_limit?: number;
}
type Params = { project_id: string; resource: string };

/** A quota as the API shows it (no links). */
export function quotaView(q: Quota): Record<string, unknown> {
  return {
    id: q.id,
    project_id: q.project_id,
    resource: q.resource,
    hard_limit: q.hard_limit,
    created_at: isoTime(q.created_at),
    updated_at: isoTime(q.updated_at),
  };
}

export function quotaRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const policy = (action: string, req: FastifyRequest): void => authorize(req, action);
  const missing = (p: Params): Error =>
    notFound('QuotaNotFound', `Quota could not be found: project_id ${p.project_id} resource ${p.resource}.`);

  app.get<{
    Querystring: { limit?: number; marker?: string; sort_key?: string; sort_dir?: string; all_tenants?: string };
  }>(
    '/v1/quotas',
    { schema: { querystring: quotaListQuery }, config: { responses: QUOTA_RESPONSES.list, errors: [404] } },
    async (req) => {
      policy('quota:get_all', req);
      const { marker: markerText, all_tenants, ...rest } = req.query;
      const all = boolQuery('all_tenants', all_tenants) ?? false;
      const page = parsePage(rest, QUOTA_SORT_KEYS, deps.config.api.maxLimit);
      const listed = req.caller.isAdmin && all ? undefined : req.caller.projectId;
      let marker;
      if (markerText !== undefined) {
        if (!/^\s*[-+]?\d+\s*$/.test(markerText)) {
          throw invalidField(
            'marker',
            markerText,
            `unable to convert to int. Error: invalid literal for int() with base 10: '${markerText}'`,
          );
        }
        checkDbInt('marker', Number(markerText));
        marker = await deps.store.quotas.markerOf(listed, Number(markerText), page.sortKey);
        if (!marker) throw notFound('QuotaNotFound', `Quota could not be found: id ${markerText}.`);
      }
      const items = await deps.store.quotas.list(listed, { ...page, marker }, logUnreadable(req));
      const last = items[items.length - 1];
      const next =
        last && items.length >= page.limit
          ? `${hostUrl(req)}/v1/quotas?sort_key=${page.sortKey}&sort_dir=${page.sortDir}&limit=${page.limit}&marker=${last.id}`
          : undefined;
      return { quotas: items.map(quotaView), ...(next ? { next } : {}) };
    },
  );

  app.get<{ Params: Params }>(
    '/v1/quotas/:project_id/:resource',
    { schema: { params: quotaParams, querystring: noQuery }, config: { responses: QUOTA_RESPONSES.show } },
    async (req) => {
      policy('quota:get', req);
      const { project_id, resource } = req.params;
      if (!req.caller.isAdmin && project_id !== req.caller.projectId)
        throw forbidden('NotAuthorized', 'Not authorized.');
      const q = await deps.store.quotas.get(project_id, resource);
      // No row: Magnum answers a Quota object with the configured default, whose resource is always the default "Cluster".
      return q
        ? quotaView(q)
        : { project_id, hard_limit: deps.config.quotas.maxClustersPerProject, resource: 'Cluster' };
    },
  );

  app.post<{ Body: QuotaBody }>(
    '/v1/quotas',
    {
      schema: { querystring: noQuery, body: quotaCreateSchema },
      config: { bodyArg: 'quota', responses: QUOTA_RESPONSES.create, errors: [404, 409] },
      preValidation: async (req) => coerceBody(req.body, quotaCreateSchema),
    },
    async (req, reply) => {
      policy('quota:create', req);
      const projectId = req.body.project_id?.trim();
      if (!projectId) throw invalid('Must provide a valid project ID.');
      // As Magnum: the project must exist in Keystone (Keystone mode).
      if (deps.cloud && !(await deps.cloud.projectExists(projectId)))
        throw notFound('ProjectNotFound', `The project_id ${projectId} could not be found.`);
      const resource = req.body.resource ?? 'Cluster';
      const saved = await deps.store.quotas.insert({
        project_id: projectId,
        resource,
        hard_limit: req.body.hard_limit ?? 1,
        created_at: new Date().toISOString(),
        updated_at: null,
      });
      if (!saved)
        throw conflict('QuotaAlreadyExists', `Quota for project ${projectId} already exists for resource ${resource}.`);
      return reply.code(201).send(quotaView(saved));
    },
  );

  app.patch<{ Params: Params; Body: QuotaBody }>(
    '/v1/quotas/:project_id/:resource',
    {
      schema: { params: quotaParams, querystring: noQuery, body: quotaBodySchema },
      config: { bodyArg: 'quota', responses: QUOTA_RESPONSES.update },
      preValidation: async (req) => coerceBody(req.body, quotaBodySchema),
    },
    async (req, reply) => {
      policy('quota:update', req);
      // The path wins over the body; an omitted hard_limit resets it to 1 (as in Magnum).
      const saved = await deps.store.quotas.update(
        req.params.project_id,
        req.params.resource,
        req.body.hard_limit ?? 1,
        new Date().toISOString(),
      );
      if (!saved) throw missing(req.params);
      return reply.code(202).send(quotaView(saved));
    },
  );

  app.delete<{ Params: Params }>(
    '/v1/quotas/:project_id/:resource',
    { schema: { params: quotaParams, querystring: noQuery }, config: { responses: QUOTA_RESPONSES.delete } },
    async (req, reply) => {
      policy('quota:delete', req);
      if (!(await deps.store.quotas.delete(req.params.project_id, req.params.resource))) throw missing(req.params);
      return reply.code(204).send();
    },
  );
}
