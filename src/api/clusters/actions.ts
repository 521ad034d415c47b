/**
 * @module Cluster actions: `POST …/actions/resize` (≥1.7; a node group's count, optionally naming nodes to remove) and
 * `POST …/actions/upgrade` (≥1.8; 1.7 answers 400) to another template. Both answer 202 `{"uuid"}` after queueing
 * a `cluster_update` operation with the new desired state.
 */
import type { FastifyInstance } from 'fastify';
import { clusterTypeNotSupported, conflict, MagnumError } from '../../core/errors.ts';
import { checkResize, defaultWorker } from '../../core/nodegroup-rules.ts';
import type { Nodegroup } from '../../core/types.ts';
import { setClusterTemplate, updateNodegroup } from '../../store/cluster-changes.ts';
import { coerceBody } from '../body-coercion.ts';
import { findTemplate } from '../cluster-templates/routes.ts';
import { checkGivenImage } from '../cluster-templates/image.ts';
import type { ApiDeps } from '../deps.ts';
import { atLeast } from '../microversion.ts';
import { findNodegroup } from '../nodegroups/find.ts';
import { authorize } from '../policy.ts';
import { identParams } from '../schemas.ts';
import { CLUSTER_RESPONSES } from './responses.ts';
import { checkUpdatable, clusterDriver, queueUpdate } from './queue-update.ts';
import { findCluster } from './routes.ts';
import { resizeBodySchema, upgradeBodySchema } from './schema.ts';

interface ResizeBody {
  node_count: number;
  nodes_to_remove?: string[];
  nodegroup?: string;
}

interface UpgradeBody {
  cluster_template: string;
  max_batch_size?: number;
  nodegroup?: string;
}

export function clusterActionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const target = async (clusterUuid: string, ident: string | undefined, ngs: Nodegroup[]): Promise<Nodegroup> => {
    if (ident) return findNodegroup(deps.store, clusterUuid, ident);
    const worker = defaultWorker(ngs);
    if (!worker)
      throw new MagnumError('NodeGroupNotFound', `Nodegroup default-worker could not be found.`, { status: 404 });
    return worker;
  };

  app.post<{ Params: { ident: string }; Body: ResizeBody }>(
    '/v1/clusters/:ident/actions/resize',
    {
      schema: { params: identParams, body: resizeBodySchema },
      config: {
        minVersion: 7,
        controllerMethod: 'resize',
        bodyArg: 'cluster_resize_req',
        responses: CLUSTER_RESPONSES.resize,
      },
      preValidation: async (req) => coerceBody(req.body, resizeBodySchema),
    },
    async (req, reply) => {
      const b = req.body;
      if (b.node_count === 0 && !atLeast(req.apiVersion, 10)) {
        throw new MagnumError(
          'ZeroNodeCountNotSupported',
          'Resizing a nodegroup to zero is not supported in the provided microversion.',
        );
      }
      // As in Magnum, resize does not widen an admin's scope to every project.
      const c = await findCluster(deps, { ...req.caller, isAdmin: false }, req.params.ident);
      authorize(req, 'cluster:resize', c);
      const ngs = await deps.store.clusters.nodegroups([c.uuid]);
      const ng = await target(c.uuid, b.nodegroup, ngs);
      checkResize(ng, b.node_count);
      await queueUpdate(deps, req, {
        cluster: c,
        verb: 'Resizing a cluster',
        capability: 'resize',
        unsupported: (d) => `Resizing a cluster of driver ${d?.name ?? 'None'} is not supported.`,
        payload: {
          action: 'resize',
          nodegroup: ng.name,
          ...(b.nodes_to_remove?.length ? { nodes_to_remove: b.nodes_to_remove } : {}),
        },
        message: `resize accepted (${ng.name} to ${b.node_count} nodes)`,
        change: (tx) =>
          updateNodegroup(
            tx,
            ng.id,
            { node_count: b.node_count, status: 'UPDATE_IN_PROGRESS' },
            new Date().toISOString(),
          ),
      });
      return reply.code(202).send({ uuid: c.uuid });
    },
  );

  app.post<{ Params: { ident: string }; Body: UpgradeBody }>(
    '/v1/clusters/:ident/actions/upgrade',
    {
      schema: { params: identParams, body: upgradeBodySchema },
      config: {
        minVersion: 7,
        controllerMethod: 'upgrade',
        bodyArg: 'cluster_upgrade_req',
        workingMinVersion: 8,
        responses: CLUSTER_RESPONSES.upgrade,
      },
      preValidation: async (req) => coerceBody(req.body, upgradeBodySchema),
    },
    async (req, reply) => {
      if (!atLeast(req.apiVersion, 8)) {
        throw new MagnumError(
          'ClusterUpgradeNotSupported',
          'Cluster upgrade is not supported in the provided microversion.',
        );
      }
      const b = req.body;
      if (req.caller.isAdmin) authorize(req, 'cluster:upgrade_all_projects');
      const c = await findCluster(deps, req.caller, req.params.ident);
      authorize(req, 'cluster:upgrade', c);
      const next = await findTemplate(deps, req.caller, b.cluster_template);
      await checkGivenImage(deps, req.caller.authToken, next.image_id);
      const ngs = await deps.store.clusters.nodegroups([c.uuid]);
      const ng = await target(c.uuid, b.nodegroup, ngs);
      const current = await deps.store.templates.getByUuid(c.cluster_template_id);
      const invalidTemplate = (reason: string): MagnumError =>
        conflict('InvalidClusterTemplateForUpgrade', `Cluster Template is not valid for upgrade: ${reason}`);
      if (b.nodegroup && next.uuid !== c.cluster_template_id && !ng.is_default) {
        throw invalidTemplate(
          `Nodegroup ${ng.name} can be upgraded only to match cluster's template (${current?.name ?? c.cluster_template_id}).`,
        );
      }
      const driver = await clusterDriver(deps, c);
      const nextDriver = deps.drivers.find(next.server_type, next.cluster_distro, next.coe);
      if (!nextDriver) throw clusterTypeNotSupported(next.server_type, next.cluster_distro, next.coe);
      if (driver && nextDriver !== driver) {
        throw invalidTemplate(
          `its cluster type is served by driver ${nextDriver.name}, the cluster's by ${driver.name}.`,
        );
      }
      // The default groups move with the cluster's template; another group only takes the template's image. The
      // driver checks the versions (Kubernetes: never down, one minor at a time) and says what labels follow.
      const moved = ng.is_default ? ngs.filter((n) => n.is_default) : [ng];
      checkUpdatable(c, 'Upgrading a cluster');
      const labels = await driver?.upgradeLabels?.({
        nodegroup: { name: ng.name, role: ng.role, isDefault: ng.is_default, labels: ng.labels },
        clusterLabels: c.labels,
        next,
      });
      await queueUpdate(deps, req, {
        cluster: c,
        verb: 'Upgrading a cluster',
        capability: 'upgrade',
        unsupported: (d) => `Upgrading a cluster of driver ${d?.name ?? 'None'} is not supported.`,
        payload: {
          action: 'upgrade',
          nodegroup: ng.name,
          max_batch_size: b.max_batch_size ?? 1,
          cluster_template: next.uuid,
        },
        message: `upgrade accepted (${ng.is_default ? 'cluster' : ng.name} to template ${next.name})`,
        change: async (tx) => {
          const now = new Date().toISOString();
          if (ng.is_default) await setClusterTemplate(tx, c.uuid, next.uuid, now, labels);
          for (const n of moved)
            await updateNodegroup(
              tx,
              n.id,
              { image_id: next.image_id, status: 'UPDATE_IN_PROGRESS', ...(labels ? { labels } : {}) },
              now,
            );
        },
      });
      return reply.code(202).send({ uuid: c.uuid });
    },
  );
}
