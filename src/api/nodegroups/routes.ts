/**
 * @module /v1/clusters/{ident}/nodegroups (microversion ≥ 1.9): list (role filter, paging), show, create (202 with the
 * group as it will be created), min/max PATCH (a synchronous change, 202), delete (204). Creating and deleting a group
 * queue a `cluster_update` operation; default groups cannot be deleted and master groups cannot be created.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { conflict, MagnumError, notFound } from '../../core/errors.ts';
import { applyPatch, parsePatch } from '../../core/json-patch.ts';
import { checkFlavors } from '../flavors.ts';
import { checkNodeCounts, newNodegroup, type NodegroupCreateBody } from '../../core/nodegroup-rules.ts';
import { isInProgress } from '../../core/status.ts';
import type { Caller, Cluster, Nodegroup } from '../../core/types.ts';
import { insertNodegroup, nodegroupNameTaken, updateNodegroup } from '../../store/cluster-changes.ts';
import { coerceBody } from '../body-coercion.ts';
import { clusterDriver, queueUpdate } from '../clusters/queue-update.ts';
import { findCluster } from '../clusters/routes.ts';
import { checkGivenImage } from '../cluster-templates/image.ts';
import type { ApiDeps } from '../deps.ts';
import { sendJsonInChunks } from '../chunked-body.ts';
import { hostUrl } from '../links.ts';
import { logUnreadable, nextLink, parsePage, type PageQuery } from '../pagination.ts';
import { authorize } from '../policy.ts';
import { identParams, noQuery, patchBody } from '../schemas.ts';
import { makeValidatorCompiler, validationError } from '../validation.ts';
import { findNodegroup } from './find.ts';
import { NODEGROUP_RESPONSES } from './responses.ts';
import {
  NODEGROUP_SORT_KEYS,
  nodegroupBoundsSchema,
  nodegroupCreateSchema,
  nodegroupListQuery,
  nodegroupParams,
} from './schema.ts';
import { nodegroupListItem, nodegroupView } from './view.ts';

/** Paths a node group PATCH can never touch (beyond the base list): everything but min/max_node_count. */
const NODEGROUP_PATCH_INTERNAL = [
  '/name',
  '/cluster_id',
  '/project_id',
  '/docker_volume_size',
  '/labels',
  '/flavor_id',
  '/image_id',
  '/node_addresses',
  '/node_count',
  '/role',
  '/is_default',
  '/stack_id',
  '/status',
  '/status_reason',
  '/version',
];

type Params = { ident: string; nodegroup: string };

export function nodegroupRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const policy = (action: string, req: FastifyRequest, c?: Cluster): void => authorize(req, action, c);
  /** Creating, changing and deleting groups do not widen an admin's scope to every project (as in Magnum). */
  const own = (caller: Caller): Caller => ({ ...caller, isAdmin: false });
  const validateBounds = makeValidatorCompiler()({ schema: nodegroupBoundsSchema, httpPart: 'body' });
  const gate = (method: string): { minVersion: number; controllerMethod: string } => ({
    minVersion: 9,
    controllerMethod: method,
  });

  app.get<{ Params: { ident: string }; Querystring: PageQuery & { role?: string } }>(
    '/v1/clusters/:ident/nodegroups',
    {
      schema: { params: identParams, querystring: nodegroupListQuery },
      config: { ...gate('get_all'), responses: NODEGROUP_RESPONSES.list },
    },
    async (req, reply) => {
      policy('nodegroup:get_all', req);
      if (req.caller.isAdmin) policy('nodegroup:get_all_all_projects', req);
      const c = await findCluster(deps, req.caller, req.params.ident);
      const page = parsePage(req.query, NODEGROUP_SORT_KEYS, deps.config.api.maxLimit);
      // Read and rendered in a fair turn (api/fair-gate.ts), so no project's lists hold up another's requests.
      const body = await app.listGate.run(req.caller.projectId, async () => {
        let marker;
        if (page.markerUuid) {
          marker = await deps.store.nodegroups.markerOf(c.uuid, page.markerUuid, page.sortKey);
          if (!marker) throw notFound('NodeGroupNotFound', `Nodegroup ${page.markerUuid} could not be found.`);
        }
        const items = await deps.store.nodegroups.list(
          c.uuid,
          { ...page, marker, maxBytes: deps.config.api.maxPageBytes },
          req.query.role,
          logUnreadable(req),
        );
        const next = nextLink(hostUrl(req), `clusters/${c.uuid}/nodegroups`, page, items);
        return JSON.stringify({ nodegroups: items.map(nodegroupListItem), ...(next ? { next } : {}) });
      });
      return sendJsonInChunks(reply, body);
    },
  );

  app.get<{ Params: Params }>(
    '/v1/clusters/:ident/nodegroups/:nodegroup',
    {
      schema: { params: nodegroupParams, querystring: noQuery },
      config: { ...gate('get_one'), responses: NODEGROUP_RESPONSES.show },
    },
    async (req) => {
      policy('nodegroup:get', req);
      if (req.caller.isAdmin) policy('nodegroup:get_one_all_projects', req);
      const c = await findCluster(deps, req.caller, req.params.ident);
      const ng = await findNodegroup(deps.store, c.uuid, req.params.nodegroup);
      return nodegroupView(ng, c, hostUrl(req));
    },
  );

  app.post<{ Params: { ident: string }; Body: NodegroupCreateBody }>(
    '/v1/clusters/:ident/nodegroups',
    {
      schema: { params: identParams, querystring: noQuery, body: nodegroupCreateSchema },
      config: { ...gate('post'), bodyArg: 'nodegroup', responses: NODEGROUP_RESPONSES.create },
      preValidation: async (req) => coerceBody(req.body, nodegroupCreateSchema),
    },
    async (req, reply) => {
      const c = await findCluster(deps, own(req.caller), req.params.ident);
      policy('nodegroup:create', req, c);
      if (req.body.image_id !== undefined) await checkGivenImage(deps, req.caller.authToken, req.body.image_id);
      if (!c.api_address) throw conflict('ClusterAPIAddressUnavailable', 'Cluster API address is not available yet');
      const exists = (await deps.store.clusters.nodegroups([c.uuid])).some((n) => n.name === req.body.name);
      const taken = (): MagnumError =>
        conflict(
          'NodeGroupAlreadyExists',
          `A node group with name ${req.body.name} already exists in the cluster ${c.name}.`,
        );
      if (exists) throw taken();
      const template = await deps.store.templates.getByUuid(c.cluster_template_id);
      const now = new Date().toISOString();
      const ng = newNodegroup(c, template?.image_id ?? '', req.body, now);
      checkFlavors(deps.config.flavors, ng.flavor_id);
      checkNodeCounts(ng);
      if (ng.role === 'master')
        throw new MagnumError('CreateMasterNodeGroup', 'Creating master nodegroups is currently not supported.');
      const driver = await clusterDriver(deps, c);
      if (driver && template)
        await driver.validateTemplate({ ...template, labels: ng.labels, master_lb_enabled: c.master_lb_enabled });
      await queueUpdate(deps, req, {
        cluster: c,
        verb: 'Creating a nodegroup',
        capability: 'nodegroups',
        unsupported: (d) => `Adding node groups to a cluster of driver ${d?.name ?? 'None'} is not supported.`,
        payload: { action: 'nodegroup_create', nodegroup: ng.name },
        message: `nodegroup ${ng.name} create accepted (${ng.node_count} nodes)`,
        change: async (tx) => {
          if (await nodegroupNameTaken(tx, c.uuid, ng.name)) throw taken();
          await insertNodegroup(tx, ng);
        },
      });
      const [created] = await deps.store.nodegroups.find(c.uuid, { uuid: ng.uuid });
      return reply.code(202).send(nodegroupView(created ?? { ...ng, id: 0 }, c, hostUrl(req)));
    },
  );

  app.patch<{ Params: Params; Body: unknown }>(
    '/v1/clusters/:ident/nodegroups/:nodegroup',
    {
      schema: { params: nodegroupParams, querystring: noQuery, body: patchBody },
      config: { ...gate('patch'), bodyArg: 'patch', responses: NODEGROUP_RESPONSES.update },
      preValidation: async (req) => void parsePatch(req.body),
    },
    async (req, reply) => {
      const ops = parsePatch(req.body);
      const c = await findCluster(deps, own(req.caller), req.params.ident);
      policy('nodegroup:update', req, c);
      const ng = await findNodegroup(deps.store, c.uuid, req.params.nodegroup);
      const { labels: _l, node_addresses: _a, ...scalars } = ng;
      const patched = applyPatch({ ...scalars, labels: ng.labels, node_addresses: ng.node_addresses }, ops, {
        internal: NODEGROUP_PATCH_INTERNAL,
        mandatory: [],
        defaults: { min_node_count: 0, max_node_count: null },
      });
      const bounds = { min_node_count: patched.min_node_count, max_node_count: patched.max_node_count };
      if (!validateBounds(bounds)) throw validationError(validateBounds.errors ?? [], 'body', 'nodegroup', bounds);
      const next: Nodegroup = {
        ...ng,
        min_node_count: bounds.min_node_count as number,
        max_node_count: bounds.max_node_count as number | null,
      };
      checkNodeCounts(next);
      if (next.min_node_count === ng.min_node_count && next.max_node_count === ng.max_node_count) {
        return reply.code(202).send(nodegroupView(ng, c, hostUrl(req)));
      }
      const saved = await deps.store.nodegroups.updateBounds(
        ng.id,
        next.min_node_count,
        next.max_node_count,
        new Date().toISOString(),
      );
      return reply.code(202).send(nodegroupView(saved, c, hostUrl(req)));
    },
  );

  app.delete<{ Params: Params }>(
    '/v1/clusters/:ident/nodegroups/:nodegroup',
    {
      schema: { params: nodegroupParams, querystring: noQuery },
      config: { ...gate('delete'), responses: NODEGROUP_RESPONSES.delete },
    },
    async (req, reply) => {
      const c = await findCluster(deps, own(req.caller), req.params.ident);
      policy('nodegroup:delete', req, c);
      const ng = await findNodegroup(deps.store, c.uuid, req.params.nodegroup);
      if (ng.is_default)
        throw new MagnumError('DeletingDefaultNGNotSupported', 'Deleting a default nodegroup is not supported.');
      if (isInProgress(ng.status))
        throw new MagnumError('NgOperationInProgress', `Nodegroup ${ng.name} already has an operation in progress.`);
      await queueUpdate(deps, req, {
        cluster: c,
        verb: 'Deleting a nodegroup',
        capability: 'nodegroups',
        unsupported: (d) => `Removing node groups from a cluster of driver ${d?.name ?? 'None'} is not supported.`,
        payload: { action: 'nodegroup_delete', nodegroup: ng.name },
        message: `nodegroup ${ng.name} delete accepted`,
        change: (tx) => updateNodegroup(tx, ng.id, { status: 'DELETE_IN_PROGRESS' }, new Date().toISOString()),
      });
      return reply.code(204).send();
    },
  );
}
