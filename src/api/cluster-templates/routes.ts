/**
 * @module /v1/clustertemplates: create, list, detail, show, update (JSON PATCH), delete — and, with the baymodel
 * resource (api/baymodels/resource.ts), the same routes under Magnum's legacy `/v1/baymodels`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, invalid, MagnumError, notFound } from '../../core/errors.ts';
import { applyPatch, parsePatch } from '../../core/json-patch.ts';
import { checkKubeImage } from '../../core/kube-versions.ts';
import { normalizeLabels } from '../../core/labels.ts';
import { canonicalUuid, generateName } from '../../core/names.ts';
import {
  checkCoe,
  checkDns,
  checkFixedSubnet,
  checkNetworkDriver,
  checkServerType,
  checkStorage,
  checkVolumeDriver,
} from '../../core/template-rules.ts';
import type { Caller, ClusterTemplate } from '../../core/types.ts';
import { coerceBody } from '../body-coercion.ts';
import { checkFlavors } from '../flavors.ts';
import { ResponseCache } from '../response-cache.ts';
import type { ApiDeps } from '../deps.ts';
import { CHUNK_BYTES } from '../chunked-body.ts';
import { bodyBytes, DIRECT_BYTES, sendJsonInChunks } from '../chunked-body.ts';
import { hostUrl } from '../links.ts';
import { logUnreadable, nextLink, parsePage, type PageQuery } from '../pagination.ts';
import { authorize } from '../policy.ts';
import { resolveOne } from '../resolve.ts';
import { identParams, noQuery, patchBody } from '../schemas.ts';
import { makeValidatorCompiler, validationError } from '../validation.ts';
import { resolveTemplateImage } from './image.ts';
import type { ResponsesDoc } from '../schemas.ts';
import { TEMPLATE_RESPONSES } from './responses.ts';
import { TEMPLATE_SORT_KEYS, templateBodySchema, templateListQuery } from './schema.ts';
import { templateView } from './view.ts';

const WHAT = { notFoundCode: 'ClusterTemplateNotFound', label: 'ClusterTemplate', plural: 'ClusterTemplates' };
type Body = Record<string, unknown>;

/** Finds a template visible to the caller by uuid or name (404 / 409). */
export function findTemplate(deps: ApiDeps, caller: Caller, ident: string): Promise<ClusterTemplate> {
  return resolveOne(ident, (by) => deps.store.templates.findVisible(caller, by), WHAT);
}

/** A collection of templates as the API serves it: cluster templates, or Magnum's legacy baymodels. */
export interface TemplateResource {
  /** The collection path, e.g. `/v1/clustertemplates`. */
  path: string;
  /** The collection key of list bodies. */
  key: string;
  /** wsme's name of the body argument. */
  bodyArg: string;
  /** Policy prefix (`clustertemplate`, `baymodel`): the actions are `<action>:create`, … (in the API's policy table). */
  action: string;
  /** Admins pass `<action>:*_all_projects` and see every project (Magnum's baymodel routes never widen). */
  adminAllProjects: boolean;
  /** The body schema: create and the re-validation of a patched template. */
  schema: { properties: Record<string, object> };
  /** Paths a JSON PATCH may not remove. */
  mandatory: readonly string[];
  /** Generated names end with `-<nameKind>`. */
  nameKind: 'template' | 'model';
  /** Whether the new template needs `<action>:publish` (create). */
  publishOnCreate: (t: Omit<ClusterTemplate, 'id'>) => boolean;
  /** Whether a change needs `<action>:publish` (PATCH). */
  publishOnUpdate: (before: ClusterTemplate, after: Omit<ClusterTemplate, 'id'>, caller: Caller) => boolean;
  view: (t: ClusterTemplate, base: string) => Record<string, unknown>;
  responses: {
    create: ResponsesDoc;
    list: ResponsesDoc;
    show: ResponsesDoc;
    update: ResponsesDoc;
    delete: ResponsesDoc;
  };
}

/** Magnum's cluster templates. */
export const CLUSTER_TEMPLATES: TemplateResource = {
  path: '/v1/clustertemplates',
  key: 'clustertemplates',
  bodyArg: 'cluster_template',
  action: 'clustertemplate',
  adminAllProjects: true,
  schema: templateBodySchema,
  mandatory: [
    '/image_id',
    '/network_driver',
    '/external_network_id',
    '/tls_disabled',
    '/public',
    '/server_type',
    '/coe',
    '/registry_enabled',
    '/cluster_distro',
    '/hidden',
  ],
  nameKind: 'template',
  publishOnCreate: (t) => t.public || t.hidden,
  publishOnUpdate: (before, after, caller) =>
    (after.public !== before.public && after.public) ||
    after.hidden !== before.hidden ||
    (after.public !== before.public && !caller.isAdmin),
  view: templateView,
  responses: TEMPLATE_RESPONSES,
};

export function templateRoutes(app: FastifyInstance, deps: ApiDeps, resource: TemplateResource): void {
  const { path: base, action } = resource;
  const policy = (name: string, req: FastifyRequest, t?: ClusterTemplate): void =>
    authorize(req, `${action}:${name}`, t);
  /** Whose templates a request reaches: Magnum's baymodel routes never widen an admin to every project. */
  const lookupAs = (req: FastifyRequest): Caller =>
    resource.adminAllProjects ? req.caller : { ...req.caller, isAdmin: false };
  const allProjects = (req: FastifyRequest, name: string): void => {
    if (req.caller.isAdmin && resource.adminAllProjects) policy(`${name}_all_projects`, req);
  };
  // A patched template is re-validated as a full resource (types, ranges, patterns), without POST's integer coercion.
  const validatePatched = makeValidatorCompiler()({ schema: resource.schema, httpPart: 'body' });

  app.post<{ Body: Body }>(
    base,
    {
      schema: { querystring: noQuery, body: resource.schema },
      config: { bodyArg: resource.bodyArg, responses: resource.responses.create, errors: [409] },
      preValidation: async (req) => coerceBody(req.body, resource.schema),
    },
    async (req, reply) => {
      const t = await buildTemplate(deps, req.caller, req.caller.authToken, req.body, resource.nameKind);
      policy('create', req);
      if (resource.publishOnCreate(t)) {
        try {
          policy('publish', req);
        } catch {
          throw forbidden(
            'ClusterTemplatePublishDenied',
            'Not authorized to set public or hidden flag for cluster template.',
          );
        }
      }
      // Only a client-chosen uuid can collide (a generated one is random): no lookup for the usual create.
      if (typeof req.body.uuid === 'string' && (await deps.store.templates.getByUuid(t.uuid))) {
        throw new MagnumError('ClusterTemplateAlreadyExists', `A ClusterTemplate with UUID ${t.uuid} already exists.`, {
          status: 409,
        });
      }
      const saved = await deps.store.templates.insert(t);
      const url = hostUrl(req);
      return reply.code(201).header('Location', `${url}${base}/${saved.uuid}`).send(resource.view(saved, url));
    },
  );

  const listCache = new ResponseCache(deps.config.api.listCacheBytes);
  for (const path of [base, `${base}/detail`]) {
    const config = { responses: resource.responses.list, errors: [404] };
    app.get<{ Querystring: PageQuery }>(
      path,
      { schema: { querystring: templateListQuery }, config },
      async (req, reply) => {
        const name = path.endsWith('detail') ? 'detail' : 'get_all';
        policy(name, req);
        allProjects(req, name);
        const scope = lookupAs(req);
        const page = parsePage(req.query, TEMPLATE_SORT_KEYS, deps.config.api.maxLimit);
        const base = hostUrl(req);
        const key = `${path}|${scope.isAdmin ? '*' : scope.projectId}|${base}|${page.limit}|${page.sortKey}|${page.sortDir}|${page.markerUuid ?? ''}`;
        // A page rendered before and unchanged since (the revision is the same) and small enough to send in one
        // write costs less than a fair turn's bookkeeping: it is sent at once, like a single object.
        const seen = await deps.store.templates.revision();
        const ready = listCache.get(key, seen);
        if (ready !== undefined && bodyBytes(ready) <= DIRECT_BYTES) return sendJsonInChunks(reply, ready);
        // Otherwise read (or found in the cache) and rendered in a fair turn (api/fair-gate.ts), so no project's
        // lists hold up another's requests.
        const body = await app.listGate.run(req.caller.projectId, async () => {
          // Read the revision before the rows: a write in between only makes the entry fresher than its revision.
          const revision = await deps.store.templates.revision();
          const cached = listCache.get(key, revision);
          if (cached !== undefined) return cached;
          let marker;
          if (page.markerUuid) {
            marker = await deps.store.templates.markerOf(scope, page.markerUuid, page.sortKey);
            if (!marker)
              throw notFound('ClusterTemplateNotFound', `ClusterTemplate ${page.markerUuid} could not be found.`);
          }
          const items = await deps.store.templates.listForView(
            scope,
            { ...page, marker, maxBytes: deps.config.api.maxPageBytes },
            logUnreadable(req),
          );
          const next = nextLink(
            base,
            path.slice(4),
            page,
            Object.assign(
              items.map((i) => i.template),
              { cut: items.cut },
            ),
          );
          // Rendered in slices like the rows were read (store/page.ts): other requests are served in between.
          const parts: Buffer[] = [Buffer.from(`{${JSON.stringify(resource.key)}:[`)];
          let slice: string[] = [];
          let sliceBytes = 0;
          for (const [n, i] of items.entries()) {
            const part = renderWithLabels(resource.view(i.template, base), i.labelsJson);
            slice.push(n > 0 ? `,${part}` : part);
            sliceBytes += part.length;
            if (sliceBytes >= CHUNK_BYTES) {
              parts.push(Buffer.from(slice.join('')));
              slice = [];
              sliceBytes = 0;
              await new Promise<void>((resolve) => setImmediate(resolve));
            }
          }
          parts.push(Buffer.from(`${slice.join('')}]${next ? `,"next":${JSON.stringify(next)}` : ''}}`));
          // A small page is kept as one Buffer (sent in one write); a large one as its parts (no 1 MB copy).
          const size = bodyBytes(parts);
          const rendered = size <= DIRECT_BYTES ? Buffer.concat(parts, size) : parts;
          listCache.set(key, revision, rendered);
          return rendered;
        });
        return sendJsonInChunks(reply, body);
      },
    );
  }

  app.get<{ Params: { ident: string } }>(
    `${base}/:ident`,
    { schema: { params: identParams, querystring: noQuery }, config: { responses: resource.responses.show } },
    async (req) => {
      allProjects(req, 'get_one');
      const t = await findTemplate(deps, lookupAs(req), req.params.ident);
      if (!t.public) policy('get', req, t);
      return resource.view(t, hostUrl(req));
    },
  );

  app.patch<{ Params: { ident: string }; Body: unknown }>(
    `${base}/:ident`,
    {
      schema: { params: identParams, querystring: noQuery, body: patchBody },
      config: { bodyArg: 'patch', responses: resource.responses.update },
      preValidation: async (req) => void parsePatch(req.body),
    },
    async (req) => {
      const ops = parsePatch(req.body);
      allProjects(req, 'update');
      const t = await findTemplate(deps, lookupAs(req), req.params.ident);
      policy('update', req, t);
      const { id: _id, uuid, project_id, user_id, created_at, updated_at, ...doc } = t;
      const patched = applyPatch({ uuid, project_id, user_id, created_at, updated_at, ...doc }, ops, {
        internal: [],
        mandatory: resource.mandatory,
        mappings: ['/labels'],
        defaults: {
          registry_enabled: false,
          tls_disabled: false,
          public: false,
          hidden: false,
          server_type: 'vm',
          master_lb_enabled: false,
          floating_ip_enabled: true,
          labels: {},
        },
      });
      // Re-validate as a full resource: booleans accept their string forms, integers do not (as in Magnum).
      const body: Body = {};
      for (const [k, v] of Object.entries(patched))
        if (v !== null && !['uuid', 'project_id', 'user_id', 'created_at', 'updated_at'].includes(k)) body[k] = v;
      for (const k of [
        'registry_enabled',
        'tls_disabled',
        'public',
        'hidden',
        'master_lb_enabled',
        'floating_ip_enabled',
      ]) {
        if (typeof body[k] === 'number') body[k] = String(body[k]);
      }
      coerceBody(body, {
        properties: Object.fromEntries(
          Object.entries(resource.schema.properties).filter(([, p]) => 'type' in p && p.type === 'boolean'),
        ),
      });
      if (!validatePatched(body)) throw validationError(validatePatched.errors ?? [], 'body', resource.bodyArg, body);
      const next = await buildTemplate(
        deps,
        req.caller,
        req.caller.authToken,
        { ...body, uuid: t.uuid },
        resource.nameKind,
        t,
      );
      const changed = Object.keys(next).filter(
        (k) => JSON.stringify((next as unknown as Body)[k]) !== JSON.stringify((t as unknown as Body)[k]),
      );
      if (resource.publishOnUpdate(t, next, req.caller)) {
        try {
          policy('publish', req);
        } catch {
          throw forbidden(
            'ClusterTemplatePublishDenied',
            'Not authorized to set public or hidden flag for cluster template.',
          );
        }
      }
      if (
        changed.length > 0 &&
        (await deps.store.templates.isReferenced(t.uuid)) &&
        !inUseChangeAllowed(changed, t, next)
      ) {
        throw invalid(`ClusterTemplate ${t.uuid} is referenced by one or multiple clusters.`);
      }
      if (changed.length === 0) return resource.view(t, hostUrl(req));
      const saved = await deps.store.templates.update(t.id, { ...next, updated_at: new Date().toISOString() });
      return resource.view(saved, hostUrl(req));
    },
  );

  app.delete<{ Params: { ident: string } }>(
    `${base}/:ident`,
    { schema: { params: identParams, querystring: noQuery }, config: { responses: resource.responses.delete } },
    async (req, reply) => {
      allProjects(req, 'delete');
      const t = await findTemplate(deps, lookupAs(req), req.params.ident);
      policy('delete', req, t);
      if (!(await deps.store.templates.deleteUnlessReferenced(t))) {
        throw invalid(`ClusterTemplate ${t.uuid} is referenced by one or multiple clusters.`);
      }
      return reply.code(204).send();
    },
  );
}

/** Stands in for the labels while a view is stringified; JSON.stringify writes it as the text below. */
const LABELS_SLOT = '\u0000labels\u0000';
const LABELS_SLOT_JSON = '"labels":"\\u0000labels\\u0000"';

/**
 * A view as JSON with `labelsJson` (a labels map's stored JSON text, written by JSON.stringify of the same map) as its
 * labels: the large part is copied, not parsed and stringified again.
 */
function renderWithLabels(view: Record<string, unknown>, labelsJson: string): string {
  return JSON.stringify({ ...view, labels: LABELS_SLOT }).replace(LABELS_SLOT_JSON, () => `"labels":${labelsJson}`);
}

/** Magnum's in-use rule: a referenced template may only change its name, be made public, change hidden, or set tags. */
function inUseChangeAllowed(changed: string[], before: ClusterTemplate, after: Omit<ClusterTemplate, 'id'>): boolean {
  const set = new Set(changed.filter((k) => k !== 'updated_at'));
  if (set.size !== 1) return false;
  const [only] = [...set];
  return (
    only === 'name' ||
    (only === 'public' && after.public && !before.public) ||
    only === 'hidden' ||
    (only === 'tags' && after.tags !== null)
  );
}

/** Validates a create (or re-validates a patched) body in Magnum's order and returns the record to store. */
async function buildTemplate(
  deps: ApiDeps,
  caller: Caller,
  token: string | undefined,
  b: Body,
  nameKind: 'template' | 'model',
  existing?: ClusterTemplate,
): Promise<Omit<ClusterTemplate, 'id'>> {
  const s = (k: string): string | null => (typeof b[k] === 'string' ? (b[k] as string) : null);
  const n = (k: string): number | null => (typeof b[k] === 'number' ? (b[k] as number) : null);
  const bool = (k: string, d: boolean): boolean => (typeof b[k] === 'boolean' ? (b[k] as boolean) : d);
  const coe = checkCoe(s('coe') ?? undefined);
  const serverType = s('server_type') ?? 'vm';
  checkServerType(serverType);
  let networkDriver = checkNetworkDriver(coe, s('network_driver'));
  checkVolumeDriver(coe, s('volume_driver'));
  checkStorage(s('docker_storage_driver'), n('docker_volume_size'));
  checkDns(s('dns_nameserver'));
  checkFixedSubnet(s('fixed_subnet'));
  const labels = normalizeLabels(b.labels);
  const imageId = s('image_id') as string;
  const os = (await resolveTemplateImage(deps, token, imageId, { nodeImage: true })).osDistro;
  checkFlavors(deps.config.flavors, s('flavor_id'), s('master_flavor_id'));
  const driver = deps.drivers.get(serverType, s('cluster_distro') ?? os, coe);
  if (!s('network_driver')) networkDriver = driver.defaultNetworkDriver;
  if (coe === 'kubernetes') await checkKubeImage(deps.images, labels);
  const masterLb = bool('master_lb_enabled', false);
  await driver.validateTemplate({
    coe,
    network_driver: networkDriver,
    volume_driver: s('volume_driver'),
    labels,
    master_lb_enabled: masterLb,
    tls_disabled: bool('tls_disabled', false),
    fixed_subnet: s('fixed_subnet'),
  });
  const now = new Date().toISOString();
  return {
    uuid: s('uuid') ? canonicalUuid(s('uuid') as string) : randomUUID(),
    name: s('name') ?? existing?.name ?? generateName(nameKind),
    project_id: existing?.project_id ?? caller.projectId,
    user_id: existing?.user_id ?? caller.userId,
    coe,
    image_id: imageId,
    flavor_id: s('flavor_id'),
    master_flavor_id: s('master_flavor_id'),
    keypair_id: s('keypair_id'),
    dns_nameserver: s('dns_nameserver'),
    external_network_id: s('external_network_id'),
    fixed_network: s('fixed_network'),
    fixed_subnet: s('fixed_subnet'),
    network_driver: networkDriver,
    volume_driver: s('volume_driver'),
    apiserver_port: n('apiserver_port'),
    docker_volume_size: n('docker_volume_size'),
    docker_storage_driver: s('docker_storage_driver'),
    cluster_distro: os,
    http_proxy: s('http_proxy'),
    https_proxy: s('https_proxy'),
    no_proxy: s('no_proxy'),
    registry_enabled: bool('registry_enabled', false),
    insecure_registry: s('insecure_registry'),
    labels,
    tls_disabled: bool('tls_disabled', false),
    public: bool('public', false),
    hidden: bool('hidden', false),
    server_type: serverType,
    master_lb_enabled: masterLb,
    floating_ip_enabled: bool('floating_ip_enabled', true),
    tags: s('tags'),
    created_at: existing?.created_at ?? now,
    updated_at: existing?.updated_at ?? null,
  };
}
