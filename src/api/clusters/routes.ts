/** @module /v1/clusters: create (202), list, detail, show, delete (204), and the event timeline. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ClusterCreateBody } from '../../core/cluster-rules.ts';
import type { Caller, Cluster } from '../../core/types.ts';
import { coerceBody } from '../body-coercion.ts';
import type { ApiDeps } from '../deps.ts';
import { sendJsonInChunks } from '../chunked-body.ts';
import { hostUrl } from '../links.ts';
import { atLeast } from '../microversion.ts';
import type { PageQuery } from '../pagination.ts';
import { authorize } from '../policy.ts';
import { resolveOne } from '../resolve.ts';
import { identParams, noQuery } from '../schemas.ts';
import { createCluster, deleteCluster } from './create.ts';
import { eventView } from './event-view.ts';
import { clusterListBody } from './list-page.ts';
import { CLUSTER_RESPONSES } from './responses.ts';
import { clusterCreateSchema, clusterListQuery, eventsQuery } from './schema.ts';
import { clusterDetail, clusterListItem } from './view.ts';

const WHAT = { notFoundCode: 'ClusterNotFound', label: 'Cluster', plural: 'clusters' };

/** Finds a cluster visible to the caller by uuid or name (404 / 409). */
export function findCluster(deps: ApiDeps, caller: Caller, ident: string): Promise<Cluster> {
  return resolveOne(ident, (by) => deps.store.clusters.findVisible(caller, by), WHAT);
}

export function clusterRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const policy = (action: string, req: FastifyRequest, c?: Cluster): void => authorize(req, action, c);

  app.post<{ Body: ClusterCreateBody }>(
    '/v1/clusters',
    {
      schema: { querystring: noQuery, body: clusterCreateSchema },
      config: { bodyArg: 'cluster', responses: CLUSTER_RESPONSES.create, errors: [404, 409] },
      preValidation: async (req) => coerceBody(req.body, clusterCreateSchema),
    },
    async (req, reply) => {
      const zeroNodesAllowed = atLeast(req.apiVersion, 10);
      const cluster = await createCluster(deps, req, req.body, {
        zeroNodesAllowed,
        // Before 1.10 a missing template is a 400, from 1.10 a 404 (as Magnum).
        missingTemplateIsInvalid: !zeroNodesAllowed,
        lookupAs: req.caller,
        authorize: () => policy('cluster:create', req),
      });
      return reply.code(202).send({ uuid: cluster.uuid });
    },
  );

  for (const path of ['/v1/clusters', '/v1/clusters/detail']) {
    const detail = path.endsWith('detail');
    const config = { responses: detail ? CLUSTER_RESPONSES.detail : CLUSTER_RESPONSES.list, errors: [404] };
    app.get<{ Querystring: PageQuery }>(
      path,
      { schema: { querystring: clusterListQuery }, config },
      async (req, reply) => {
        policy(detail ? 'cluster:detail' : 'cluster:get_all', req);
        if (req.caller.isAdmin) policy(detail ? 'cluster:detail_all_projects' : 'cluster:get_all_all_projects', req);
        const body = await clusterListBody(app, deps, req, {
          path,
          key: 'clusters',
          lookupAs: req.caller,
          withTemplateLabels: detail,
          render: (c, ngs, templateLabels, base) =>
            detail ? clusterDetail(c, ngs, templateLabels, base, false) : clusterListItem(c, ngs, base),
        });
        return sendJsonInChunks(reply, body);
      },
    );
  }

  app.get<{ Params: { ident: string } }>(
    '/v1/clusters/:ident',
    { schema: { params: identParams, querystring: noQuery }, config: { responses: CLUSTER_RESPONSES.show } },
    async (req) => {
      const c = await findCluster(deps, req.caller, req.params.ident);
      if (req.caller.isAdmin) policy('cluster:get_one_all_projects', req);
      policy('cluster:get', req, c);
      const ngs = await deps.store.clusters.nodegroups([c.uuid]);
      const t = await deps.store.templates.getByUuid(c.cluster_template_id);
      return clusterDetail(c, ngs, t?.labels ?? {}, hostUrl(req), true);
    },
  );

  app.delete<{ Params: { ident: string } }>(
    '/v1/clusters/:ident',
    { schema: { params: identParams, querystring: noQuery }, config: { responses: CLUSTER_RESPONSES.delete } },
    async (req, reply) => {
      const c = await findCluster(deps, req.caller, req.params.ident);
      if (req.caller.isAdmin) policy('cluster:delete_all_projects', req);
      policy('cluster:delete', req, c);
      await deleteCluster(deps, req, c);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { ident: string }; Querystring: { after?: number; limit?: number } }>(
    '/v1/clusters/:ident/events',
    { schema: { params: identParams, querystring: eventsQuery }, config: { responses: CLUSTER_RESPONSES.events } },
    async (req) => {
      const c = await findCluster(deps, req.caller, req.params.ident);
      policy('cluster:events', req, c);
      const events = await deps.store.events.list(c.uuid, req.query.after ?? 0, req.query.limit ?? 1000);
      return { events: events.map(eventView) };
    },
  );
}
