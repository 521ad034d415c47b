/**
 * @module Creating a cluster from a request: template, driver, policy, quota, inheritance, driver checks, a new CA,
 * then ONE transaction (cluster, node groups, CA, queued operation, first event, and in Keystone mode the trust row). Shared by `POST /v1/clusters` and
 * the legacy `POST /v1/bays`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { newCluster, type ClusterCreateBody } from '../../core/cluster-rules.ts';
import { invalid, MagnumError } from '../../core/errors.ts';
import { localProviderRefusal } from '../../core/provider-access.ts';
import { checkClusterQuota } from '../../core/quota-rules.ts';
import type { Caller, Cluster, ClusterTemplate } from '../../core/types.ts';
import { identityOf } from '../../notify/outbox.ts';
import { resolveTemplateImage } from '../cluster-templates/image.ts';
import { findTemplate } from '../cluster-templates/routes.ts';
import type { ApiDeps } from '../deps.ts';
import { checkFlavors } from '../flavors.ts';

export interface CreateOptions {
  zeroNodesAllowed: boolean;
  /** A template that cannot be found is a 400 (Magnum before 1.10, and always for bays) rather than a 404. */
  missingTemplateIsInvalid: boolean;
  /** The caller whose project the template is looked up in (bays: never widened for admins). */
  lookupAs: Caller;
  /** Checks the create policy (`cluster:create`, `bay:create`). */
  authorize: () => void;
}

/** Validates and stores a new cluster and queues its create; returns the stored cluster. */
export async function createCluster(
  deps: ApiDeps,
  req: FastifyRequest,
  body: ClusterCreateBody,
  opts: CreateOptions,
): Promise<Omit<Cluster, 'id'>> {
  const { zeroNodesAllowed } = opts;
  if (body.node_count === 0 && !zeroNodesAllowed) {
    throw new MagnumError(
      'ZeroNodeCountNotSupported',
      'Resizing a nodegroup to zero is not supported in the provided microversion.',
    );
  }
  let template: ClusterTemplate;
  try {
    template = await findTemplate(deps, opts.lookupAs, body.cluster_template_id);
  } catch (e) {
    if (e instanceof MagnumError && e.status === 404 && opts.missingTemplateIsInvalid) throw invalid(e.message);
    throw e;
  }
  const driver = deps.drivers.get(template.server_type, template.cluster_distro, template.coe);
  opts.authorize();
  const refusal = localProviderRefusal(deps.config.providers.local.allowedProjects, req.caller, driver.name);
  if (refusal) throw refusal;
  const quota = await deps.store.quotas.get(req.caller.projectId, 'Cluster');
  checkClusterQuota(
    await deps.store.usage.clusterCount(req.caller.projectId),
    quota?.hard_limit ?? deps.config.quotas.maxClustersPerProject,
  );
  const now = new Date().toISOString();
  const { cluster, nodegroups } = newCluster(template, body, req.caller, { zeroNodesAllowed, now });
  checkFlavors(deps.config.flavors, cluster.flavor_id, cluster.master_flavor_id);
  await driver.validateTemplate({
    ...template,
    labels: cluster.labels,
    master_lb_enabled: cluster.master_lb_enabled,
    fixed_subnet: cluster.fixed_subnet,
    master_count: nodegroups.filter((g) => g.role === 'master').reduce((n, g) => n + g.node_count, 0),
  });
  const token = req.caller.authToken;
  await resolveTemplateImage(deps, token, template.image_id, { nodeImage: false });
  // Keystone mode: the trustee and trust are made by the conductor (observing Keystone first, so a crash at any point
  // converges); the caller's token waits sealed in the cluster's trust row until the trust is made.
  const trust = deps.cloud && token ? deps.cloud.newTrust(cluster.uuid, req.caller, token) : undefined;
  const ca = await deps.ca.newCa(cluster.name);
  await deps.store.clusters.createWithOperation(
    cluster,
    nodegroups,
    {
      uuid: randomUUID(),
      cluster_id: cluster.uuid,
      kind: 'cluster_create',
      deadline: Date.parse(now) + cluster.create_timeout * 60_000,
      created_at: now,
    },
    {
      cluster_id: cluster.uuid,
      phase: 'accepted',
      level: 'info',
      message: `create accepted (driver ${driver.name})`,
      at: now,
    },
    ca,
    deps.notifier?.cluster('create', 'pending', identityOf(req.caller, req.id)),
    trust,
  );
  deps.wake();
  return cluster;
}

/** Marks the cluster for deletion and queues the delete (nothing new when one is already queued). */
export async function deleteCluster(deps: ApiDeps, req: FastifyRequest, c: Cluster): Promise<void> {
  const now = new Date().toISOString();
  const queued = await deps.store.clusters.requestDelete(
    c.uuid,
    {
      uuid: randomUUID(),
      cluster_id: c.uuid,
      kind: 'cluster_delete',
      deadline: Date.parse(now) + 30 * 60_000,
      created_at: now,
    },
    { cluster_id: c.uuid, phase: 'accepted', level: 'info', message: 'delete accepted', at: now },
    now,
    deps.notifier?.cluster('delete', 'pending', identityOf(req.caller, req.id)),
  );
  if (queued) deps.wake();
}
