/**
 * @module `PATCH /v1/clusters/{ident}` (202 `{"uuid"}`): JSON PATCH where only node_count (of the default worker
 * group), health_status and health_status_reason may change; `rollback` from microversion 1.3.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clusterDocument, patchCluster, type PatchView } from '../../core/cluster-update-rules.ts';
import { invalid, MagnumError, show } from '../../core/errors.ts';
import { parsePatch, type PatchOp } from '../../core/json-patch.ts';
import type { Cluster } from '../../core/types.ts';
import { parseBool } from '../../core/labels.ts';
import { defaultWorker } from '../../core/nodegroup-rules.ts';
import { setClusterHealth, updateNodegroup } from '../../store/cluster-changes.ts';
import type { ApiDeps } from '../deps.ts';
import { atLeast } from '../microversion.ts';
import { authorize } from '../policy.ts';
import { identParams, patchBody } from '../schemas.ts';
import { CLUSTER_RESPONSES } from './responses.ts';
import { checkUpdatable, queueUpdate } from './queue-update.ts';
import { findCluster } from './routes.ts';
import { clusterPatchQuery } from './schema.ts';

/** Parses a boolean query parameter the way Magnum's boolean type does. */
export function boolQuery(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const b = parseBool(value);
  if (b === undefined) {
    throw new MagnumError(
      'InvalidInput',
      `Invalid input for field/attribute ${name}. Value: '${show(value)}'. Unrecognized value '${show(value)}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`,
    );
  }
  return b;
}

/** A PATCH request's operations and its `rollback` query (a 400 unknown argument below microversion 1.3). */
export function patchRequest(req: FastifyRequest<{ Querystring: { rollback?: string }; Body: unknown }>): {
  ops: PatchOp[];
  rollback: boolean;
} {
  if (req.query.rollback !== undefined && !atLeast(req.apiVersion, 3)) throw invalid('Unknown argument: "rollback"');
  return { ops: parsePatch(req.body), rollback: boolQuery('rollback', req.query.rollback) ?? false };
}

export function clusterUpdateRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.patch<{ Params: { ident: string }; Querystring: { rollback?: string }; Body: unknown }>(
    '/v1/clusters/:ident',
    {
      schema: { params: identParams, querystring: clusterPatchQuery, body: patchBody },
      config: { bodyArg: 'patch', controllerMethod: 'patch', responses: CLUSTER_RESPONSES.update },
      preValidation: async (req) => void parsePatch(req.body),
    },
    async (req, reply) => {
      const { ops, rollback } = patchRequest(req);
      if (req.caller.isAdmin) authorize(req, 'cluster:update_all_projects');
      const c = await findCluster(deps, req.caller, req.params.ident);
      authorize(req, 'cluster:update', c);
      authorize(req, 'cluster:update_health_status');
      await updateCluster(deps, req, c, ops, { zeroNodesAllowed: atLeast(req.apiVersion, 10), rollback });
      return reply.code(202).send({ uuid: c.uuid });
    },
  );
}

/**
 * Applies a cluster JSON PATCH (already authorized): a new default-worker count queues a `cluster_update` (state and
 * capability checked first), health fields alone are written at once, no change queues nothing. Shared by
 * `PATCH /v1/clusters/{ident}` and the legacy `PATCH /v1/bays/{ident}` (`opts.view`: the bay's fields).
 */
export async function updateCluster(
  deps: ApiDeps,
  req: FastifyRequest,
  c: Cluster,
  ops: PatchOp[],
  opts: { zeroNodesAllowed: boolean; rollback: boolean; view?: PatchView },
): Promise<void> {
  const { rollback } = opts;
  const ngs = await deps.store.clusters.nodegroups([c.uuid]);
  const worker = defaultWorker(ngs);
  if (!worker) throw invalid(`Cluster ${c.name} has no default worker nodegroup.`);
  const p = patchCluster(clusterDocument(c, ngs, worker.node_count), ops, opts);
  const countChanged = p.nodeCount !== worker.node_count;
  const healthChanged =
    p.healthStatus !== c.health_status ||
    JSON.stringify(p.healthStatusReason) !== JSON.stringify(c.health_status_reason);
  if (countChanged) {
    await queueUpdate(deps, req, {
      cluster: c,
      verb: 'Updating a cluster',
      capability: 'resize',
      unsupported: (d) => `Changing the node count of a cluster of driver ${d?.name ?? 'None'} is not supported.`,
      payload: { action: 'update', nodegroup: worker.name, rollback },
      message: `update accepted (${worker.name} to ${p.nodeCount} nodes)`,
      change: async (tx) => {
        await updateNodegroup(
          tx,
          worker.id,
          { node_count: p.nodeCount, status: 'UPDATE_IN_PROGRESS' },
          new Date().toISOString(),
        );
        if (healthChanged) await setClusterHealth(tx, c.uuid, p.healthStatus, p.healthStatusReason);
      },
    });
  } else if (healthChanged) {
    // Only the health fields: written at once, no operation (Magnum's conductor just saves them).
    checkUpdatable(c, 'Updating a cluster');
    await deps.store.clusters.setHealth(c.uuid, p.healthStatus, p.healthStatusReason, new Date().toISOString());
  }
}
