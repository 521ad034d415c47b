/**
 * @module One page of a cluster list, read and rendered in a fair turn: `GET /v1/clusters[/detail]` and the legacy
 * `GET /v1/bays[/detail]` (the same rows under another key and view).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../core/errors.ts';
import type { Labels } from '../../core/labels.ts';
import type { Caller, Cluster, Nodegroup } from '../../core/types.ts';
import { CHUNK_BYTES } from '../chunked-body.ts';
import { UnreadableRowError } from '../../store/row-decode.ts';
import type { ApiDeps } from '../deps.ts';
import { hostUrl } from '../links.ts';
import { logUnreadable, nextLink, parsePage, type PageQuery } from '../pagination.ts';
import { CLUSTER_SORT_KEYS } from './schema.ts';

export interface ClusterListOptions {
  /** The route path (`/v1/clusters/detail`): the `next` link repeats it. */
  path: string;
  /** The collection key of the body (`clusters`, `bays`). */
  key: string;
  /** Whose clusters are listed (admins see every project's unless the route narrows them). */
  lookupAs: Caller;
  /** Read the template labels of each rendered item (the detail form shows the label diff). */
  withTemplateLabels: boolean;
  render: (c: Cluster, ngs: Nodegroup[], templateLabels: Labels, base: string) => Record<string, unknown>;
}

/** The JSON body of one page (`{"<key>": [...], "next"?}`), as its parts in order. */
export async function clusterListBody(
  app: FastifyInstance,
  deps: ApiDeps,
  req: FastifyRequest<{ Querystring: PageQuery }>,
  opts: ClusterListOptions,
): Promise<Buffer[]> {
  const page = parsePage(req.query, CLUSTER_SORT_KEYS, deps.config.api.maxLimit);
  // Read and rendered in a fair turn (api/fair-gate.ts), so no project's lists hold up another's requests.
  return app.listGate.run(req.caller.projectId, async () => {
    let marker;
    if (page.markerUuid) {
      marker = await deps.store.clusters.markerOf(opts.lookupAs, page.markerUuid, page.sortKey);
      if (!marker) throw notFound('ClusterNotFound', `Cluster ${page.markerUuid} could not be found.`);
    }
    const skipped = logUnreadable(req);
    const items = await deps.store.clusters.list(
      opts.lookupAs,
      { ...page, marker, maxBytes: deps.config.api.maxPageBytes },
      skipped,
    );
    const ngs = await deps.store.clusters.nodegroups(
      items.map((c) => c.uuid),
      skipped,
      true,
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
      if (sinceYield >= CHUNK_BYTES) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sinceYield = 0;
      }
      const own = ngs.filter((n) => n.cluster_id === c.uuid);
      if (opts.withTemplateLabels && !templates.has(c.cluster_template_id)) {
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
      const part = JSON.stringify(opts.render(c, own, templates.get(c.cluster_template_id) ?? {}, base));
      if (parts.length > 0 && bytes + part.length > deps.config.api.maxPageBytes) {
        cut = true;
        break;
      }
      parts.push(Buffer.from(parts.length > 0 ? `,${part}` : part));
      bytes += part.length;
      sinceYield += part.length;
    }
    const shown = Object.assign(items.slice(0, parts.length), { cut });
    const next = nextLink(base, opts.path.slice(4), page, shown);
    // Its parts, not one Buffer: copying a ~1 MB page into one Buffer holds the event loop for milliseconds.
    return [
      Buffer.from(`{${JSON.stringify(opts.key)}:[`),
      ...parts,
      Buffer.from(`]${next ? `,"next":${JSON.stringify(next)}` : ''}}`),
    ];
  });
}
