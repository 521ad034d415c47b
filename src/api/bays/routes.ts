/**
 * @module Magnum's legacy `/v1/bays`: clusters under the old names and fields, over the cluster code (create, list
 * page, update and delete of api/clusters/). As in Magnum 15: create and update answer the full bay synchronously at
 * microversion 1.1 and 202 `{"uuid"}` from 1.2, `rollback` is taken from 1.3, a missing baymodel is always a 400, an
 * admin sees only their own project's bays, and the policies are `bay:*`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parsePatch } from '../../core/json-patch.ts';
import { generateName } from '../../core/names.ts';
import type { Caller, Cluster } from '../../core/types.ts';
import { coerceBody } from '../body-coercion.ts';
import { sendJsonInChunks } from '../chunked-body.ts';
import { createCluster, deleteCluster } from '../clusters/create.ts';
import { clusterListBody } from '../clusters/list-page.ts';
import { findCluster } from '../clusters/routes.ts';
import { clusterListQuery, clusterPatchQuery } from '../clusters/schema.ts';
import { patchRequest, updateCluster } from '../clusters/update.ts';
import type { ApiDeps } from '../deps.ts';
import { hostUrl } from '../links.ts';
import { atLeast } from '../microversion.ts';
import type { PageQuery } from '../pagination.ts';
import { authorize } from '../policy.ts';
import { identParams, noQuery, patchBody } from '../schemas.ts';
import { BAY_RESPONSES } from './responses.ts';
import { BAY_PATCH_FIELDS, bayCreateSchema, type BayCreateBody } from './schema.ts';
import { bayDetail, bayListItem } from './view.ts';

/** Magnum's bay routes never widen an admin to every project. */
const ownProject = (caller: Caller): Caller => ({ ...caller, isAdmin: false });

export function bayRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const policy = (action: string, req: FastifyRequest, c?: Cluster): void => authorize(req, action, c);

  /** The bay in detail form, read back after a change (the synchronous 1.1 answers). */
  const current = async (req: FastifyRequest, uuid: string): Promise<Record<string, unknown>> => {
    const c = await findCluster(deps, ownProject(req.caller), uuid);
    return bayDetail(c, await deps.store.clusters.nodegroups([c.uuid]), hostUrl(req), false);
  };

  app.post<{ Body: BayCreateBody }>(
    '/v1/bays',
    {
      schema: { querystring: noQuery, body: bayCreateSchema },
      config: { bodyArg: 'bay', responses: BAY_RESPONSES.create, errors: [409] },
      preValidation: async (req) => coerceBody(req.body, bayCreateSchema),
    },
    async (req, reply) => {
      const b = req.body;
      const cluster = await createCluster(
        deps,
        req,
        {
          cluster_template_id: b.baymodel_id,
          name: b.name ?? generateName('bay'),
          ...(b.node_count === undefined ? {} : { node_count: b.node_count }),
          ...(b.master_count === undefined ? {} : { master_count: b.master_count }),
          ...(b.docker_volume_size === undefined ? {} : { docker_volume_size: b.docker_volume_size }),
          ...(b.labels === undefined ? {} : { labels: b.labels }),
          ...(b.master_flavor_id === undefined ? {} : { master_flavor_id: b.master_flavor_id }),
          ...(b.flavor_id === undefined ? {} : { flavor_id: b.flavor_id }),
          ...(b.fixed_network === undefined ? {} : { fixed_network: b.fixed_network }),
          ...(b.fixed_subnet === undefined ? {} : { fixed_subnet: b.fixed_subnet }),
          ...(b.master_lb_enabled === undefined ? {} : { master_lb_enabled: b.master_lb_enabled }),
          ...(b.discovery_url === undefined ? {} : { discovery_url: b.discovery_url }),
          // Bay's defaults: floating IPs on and a 60-minute timeout, not the baymodel's values.
          floating_ip_enabled: b.floating_ip_enabled ?? true,
          create_timeout: b.bay_create_timeout ?? 60,
        },
        {
          zeroNodesAllowed: false,
          missingTemplateIsInvalid: true,
          lookupAs: ownProject(req.caller),
          authorize: () => policy('bay:create', req),
        },
      );
      if (atLeast(req.apiVersion, 2)) return reply.code(202).send({ uuid: cluster.uuid });
      return reply
        .code(201)
        .header('Location', `${hostUrl(req)}/v1/bays/${cluster.uuid}`)
        .send(await current(req, cluster.uuid));
    },
  );

  for (const path of ['/v1/bays', '/v1/bays/detail']) {
    const detail = path.endsWith('detail');
    app.get<{ Querystring: PageQuery }>(
      path,
      {
        schema: { querystring: clusterListQuery },
        config: { responses: detail ? BAY_RESPONSES.detail : BAY_RESPONSES.list, errors: [404] },
      },
      async (req, reply: FastifyReply) => {
        policy(detail ? 'bay:detail' : 'bay:get_all', req);
        const body = await clusterListBody(app, deps, req, {
          path,
          key: 'bays',
          lookupAs: ownProject(req.caller),
          withTemplateLabels: false,
          render: (c, ngs, _labels, base) => (detail ? bayDetail(c, ngs, base, false) : bayListItem(c, ngs, base)),
        });
        return sendJsonInChunks(reply, body);
      },
    );
  }

  app.get<{ Params: { ident: string } }>(
    '/v1/bays/:ident',
    { schema: { params: identParams, querystring: noQuery }, config: { responses: BAY_RESPONSES.show } },
    async (req) => {
      const c = await findCluster(deps, ownProject(req.caller), req.params.ident);
      policy('bay:get', req, c);
      return bayDetail(c, await deps.store.clusters.nodegroups([c.uuid]), hostUrl(req), true);
    },
  );

  app.patch<{ Params: { ident: string }; Querystring: { rollback?: string }; Body: unknown }>(
    '/v1/bays/:ident',
    {
      schema: { params: identParams, querystring: clusterPatchQuery, body: patchBody },
      config: { bodyArg: 'patch', responses: BAY_RESPONSES.update },
      preValidation: async (req) => void parsePatch(req.body),
    },
    async (req, reply) => {
      const { ops, rollback } = patchRequest(req);
      const c = await findCluster(deps, ownProject(req.caller), req.params.ident);
      policy('bay:update', req, c);
      await updateCluster(deps, req, c, ops, {
        zeroNodesAllowed: false,
        rollback,
        view: { fields: BAY_PATCH_FIELDS, minNodeCount: 1, mandatory: ['/baymodel_id'] },
      });
      if (atLeast(req.apiVersion, 2)) return reply.code(202).send({ uuid: c.uuid });
      return reply.code(200).send(await current(req, c.uuid));
    },
  );

  app.delete<{ Params: { ident: string } }>(
    '/v1/bays/:ident',
    { schema: { params: identParams, querystring: noQuery }, config: { responses: BAY_RESPONSES.delete } },
    async (req, reply) => {
      const c = await findCluster(deps, ownProject(req.caller), req.params.ident);
      policy('bay:delete', req, c);
      await deleteCluster(deps, req, c);
      return reply.code(204).send();
    },
  );
}
