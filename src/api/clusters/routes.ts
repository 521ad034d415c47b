/** @module /v1/clusters: create (202), list, detail, show, delete (204), and the event timeline. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newCluster, type ClusterCreateBody } from '../../core/cluster-rules.ts';
import { invalid, MagnumError, notFound } from '../../core/errors.ts';
import type { Labels } from '../../core/labels.ts';
import { localProviderRefusal } from '../../core/provider-access.ts';
import { checkClusterQuota } from '../../core/quota-rules.ts';
import type { Caller, Cluster, ClusterTemplate } from '../../core/types.ts';
import { coerceBody } from '../body-coercion.ts';
import { checkFlavors } from '../flavors.ts';
import { findTemplate } from '../cluster-templates/routes.ts';
import { resolveTemplateImage } from '../cluster-templates/image.ts';
import { identityOf } from '../../notify/outbox.ts';
import { UnreadableRowError } from '../../store/row-decode.ts';
import { SLICE_BYTES } from '../../store/page.ts';
import type { ApiDeps } from '../deps.ts';
import { sendJsonInChunks } from '../chunked-body.ts';
import { hostUrl } from '../links.ts';
import { atLeast } from '../microversion.ts';
import { logUnreadable, nextLink, parsePage, type PageQuery } from '../pagination.ts';
import { authorize } from '../policy.ts';
import { resolveOne } from '../resolve.ts';
import { identParams, noQuery } from '../schemas.ts';
import { eventView } from './event-view.ts';
import { CLUSTER_RESPONSES } from './responses.ts';
import { CLUSTER_SORT_KEYS, clusterCreateSchema, clusterListQuery, eventsQuery } from './schema.ts';
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
      if (req.body.node_count === 0 && !zeroNodesAllowed) {
        throw new MagnumError(
          'ZeroNodeCountNotSupported',
          'Resizing a nodegroup to zero is not supported in the provided microversion.',
        );
      }
      let template: ClusterTemplate;
      try {
        template = await findTemplate(deps, req.caller, req.body.cluster_template_id);
      } catch (e) {
        // Before 1.10 a missing template is a 400, from 1.10 a 404 (as Magnum).
        if (e instanceof MagnumError && e.status === 404 && !zeroNodesAllowed) throw invalid(e.message);
        throw e;
      }
      const driver = deps.drivers.get(template.server_type, template.cluster_distro, template.coe);
      policy('cluster:create', req);
      const refusal = localProviderRefusal(deps.config.providers.local.allowedProjects, req.caller, driver.name);
      if (refusal) throw refusal;
      const quota = await deps.store.quotas.get(req.caller.projectId, 'Cluster');
      checkClusterQuota(
        await deps.store.usage.clusterCount(req.caller.projectId),
        quota?.hard_limit ?? deps.config.quotas.maxClustersPerProject,
      );
      const now = new Date().toISOString();
      const { cluster, nodegroups } = newCluster(template, req.body, req.caller, { zeroNodesAllowed, now });
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
      // Keystone mode: the trustee and trust are made by the conductor (observing Keystone first, so a crash at any
      // point converges); the caller's token waits sealed in the cluster's trust row until the trust is made.
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
        const page = parsePage(req.query, CLUSTER_SORT_KEYS, deps.config.api.maxLimit);
        // Read and rendered in a fair turn (api/fair-gate.ts), so no project's lists hold up another's requests.
        const body = await app.listGate.run(req.caller.projectId, async () => {
          let marker;
          if (page.markerUuid) {
            marker = await deps.store.clusters.markerOf(req.caller, page.markerUuid, page.sortKey);
            if (!marker) throw notFound('ClusterNotFound', `Cluster ${page.markerUuid} could not be found.`);
          }
          const skipped = logUnreadable(req);
          const items = await deps.store.clusters.list(
            req.caller,
            { ...page, marker, maxBytes: deps.config.api.maxPageBytes },
            skipped,
          );
          const ngs = await deps.store.clusters.nodegroups(
            items.map((c) => c.uuid),
            skipped,
          );
          const base = hostUrl(req);
          // A detail item also shows its template's labels: the page ends where the rendered items pass the budget
          // (never empty), and a template is read only for an item that is rendered.
          const templates = new Map<string, Labels>();
          // Each item is turned into bytes as it is rendered: no single copy of the whole page into a Buffer.
          const parts: Buffer[] = [];
          let bytes = 0;
          let sinceYield = 0;
          let cut = items.cut;
          for (const c of items) {
            // Rendered in slices like the rows were read (store/page.ts): other requests are served in between.
            if (sinceYield >= SLICE_BYTES) {
              await new Promise<void>((resolve) => setImmediate(resolve));
              sinceYield = 0;
            }
            const own = ngs.filter((n) => n.cluster_id === c.uuid);
            if (detail && !templates.has(c.cluster_template_id)) {
              let labels: Labels = {};
              try {
                labels = (await deps.store.templates.getByUuid(c.cluster_template_id))?.labels ?? {};
              } catch (e) {
                // A template that cannot be read only costs its clusters the template labels in this list.
                if (!(e instanceof UnreadableRowError)) throw e;
                skipped(e);
              }
              templates.set(c.cluster_template_id, labels);
            }
            const part = JSON.stringify(
              detail
                ? clusterDetail(c, own, templates.get(c.cluster_template_id) ?? {}, base, false)
                : clusterListItem(c, own, base),
            );
            if (parts.length > 0 && bytes + part.length > deps.config.api.maxPageBytes) {
              cut = true;
              break;
            }
            parts.push(Buffer.from(parts.length > 0 ? `,${part}` : part));
            bytes += part.length;
            sinceYield += part.length;
          }
          const shown = Object.assign(items.slice(0, parts.length), { cut });
          const next = nextLink(base, path.slice(4), page, shown);
          return Buffer.concat([
            Buffer.from('{"clusters":['),
            ...parts,
            Buffer.from(`]${next ? `,"next":${JSON.stringify(next)}` : ''}}`),
          ]);
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
