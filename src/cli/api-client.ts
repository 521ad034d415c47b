/** @module cli/api-client — typed client of the Magnum container-infra API v1 over `fetch`. */

import type {
  JsonPatchOp,
  MService,
  Nodegroup,
  NodegroupCreateRequest,
  Quota,
  QuotaRequest,
  ResizeRequest,
  Stats,
  UpgradeRequest,
} from './api-types.ts';
import { CliError } from './errors.ts';

/** Microversion header value the client always sends, like magnumclient. */
export const API_VERSION_HEADER = 'container-infra latest';

/** A non-2xx answer of the API; `message` is the server's explanation and `status` the HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status of the answer. */
  readonly status: number;
  /** Decoded body of the answer: JSON when it parsed, else the text (`''` when empty). */
  readonly body: unknown;
  /** `X-Openstack-Request-Id` of the answer, when the server sent one. */
  readonly requestId: string | null;

  constructor(status: number, message: string, body: unknown, requestId: string | null = null) {
    super(message);
    this.status = status;
    this.body = body;
    this.requestId = requestId;
  }
}

/** The API could not be reached at all (connection refused, DNS failure, timeout). */
export class ApiConnectionError extends Error {
  override readonly name = 'ApiConnectionError';
}

/**
 * Message of an error body: `errors[0].detail`, else `errors[0].title` (Magnum's ParsableErrorMiddleware shape, also
 * `description` of a microversion error), else `error.message` / `error.title` (keystonemiddleware's 401 shape).
 */
export function errorMessageFromBody(body: unknown): string | null {
  if (body === null || typeof body !== 'object') return null;
  const record = body as Record<string, unknown>;
  const errors = record['errors'];
  if (Array.isArray(errors) && errors[0] !== null && typeof errors[0] === 'object') {
    const first = errors[0] as Record<string, unknown>;
    for (const key of ['detail', 'title', 'description']) {
      const value = first[key];
      if (typeof value === 'string' && value !== '') return value;
    }
  }
  const error = record['error'];
  if (error !== null && typeof error === 'object') {
    const inner = error as Record<string, unknown>;
    for (const key of ['message', 'title']) {
      const value = inner[key];
      if (typeof value === 'string' && value !== '') return value;
    }
  }
  return null;
}

/** A cluster template as the API represents it (§6.1); only the fields the CLI relies on are typed. */
export interface ClusterTemplate {
  uuid: string;
  name: string | null;
  coe: string;
  tls_disabled: boolean;
  [field: string]: unknown;
}

/** Body of `POST /v1/clustertemplates`; absent fields are left to the server's defaults. */
export interface ClusterTemplateCreateRequest {
  name?: string;
  image_id: string;
  coe: string;
  keypair_id?: string;
  external_network_id?: string;
  fixed_network?: string;
  fixed_subnet?: string;
  network_driver?: string;
  volume_driver?: string;
  dns_nameserver?: string;
  flavor_id?: string;
  master_flavor_id?: string;
  docker_volume_size?: number;
  docker_storage_driver?: string;
  http_proxy?: string;
  https_proxy?: string;
  no_proxy?: string;
  insecure_registry?: string;
  labels?: Record<string, string>;
  tls_disabled?: boolean;
  public?: boolean;
  registry_enabled?: boolean;
  server_type?: string;
  master_lb_enabled?: boolean;
  floating_ip_enabled?: boolean;
  hidden?: boolean;
  /** Comma-separated tags. */
  tags?: string;
}

/** A cluster as the API represents it (§7.1, or the §7.2 list subset). */
export interface Cluster {
  uuid: string;
  name: string | null;
  cluster_template_id: string;
  status: string;
  status_reason?: string | null;
  api_address?: string | null;
  [field: string]: unknown;
}

/** Body of `POST /v1/clusters`; absent fields are inherited from the template by the server. */
export interface ClusterCreateRequest {
  cluster_template_id: string;
  name?: string;
  keypair?: string;
  docker_volume_size?: number;
  labels?: Record<string, string>;
  merge_labels?: boolean;
  master_count?: number;
  node_count?: number;
  create_timeout?: number;
  discovery_url?: string;
  master_flavor_id?: string;
  flavor_id?: string;
  fixed_network?: string;
  fixed_subnet?: string;
  floating_ip_enabled?: boolean;
  master_lb_enabled?: boolean;
}

/** A CA certificate (ca-show) or a signed certificate (ca-sign), §9. */
export interface Certificate {
  cluster_uuid: string;
  pem: string;
  csr?: string;
  [field: string]: unknown;
}

/** One entry of a cluster's progress timeline (`GET /v1/clusters/{id}/events`, a Magnetar addition). */
export interface ClusterEvent {
  /** Event id (increasing); absent from servers that do not send it. */
  id?: number;
  time: string;
  phase: string;
  level: string;
  message: string;
  /** Classified cause of a failure (`provider-unreachable`, `timeout`, `invalid-spec`, `capacity`, `internal`). */
  cause?: string;
}

/** One item of `GET /v1/clusters/{id}/events/stream`: a timeline event, or the end (terminal status, or gone). */
export type ClusterStreamItem =
  { type: 'event'; event: ClusterEvent } | { type: 'end'; status: string; statusReason: string | null; gone: boolean };

/** Paging and sorting of list calls. */
export interface ListOptions {
  /** Total number of items wanted; pages are followed until reached. Absent or 0: all of them. */
  limit?: number;
  /** UUID of the item after which the list starts. */
  marker?: string;
  sortKey?: string;
  sortDir?: 'asc' | 'desc';
  /** List `…/detail` instead of the collection. */
  detail?: boolean;
  /** Further query parameters (`role`, `all_tenants`). */
  query?: Record<string, string>;
}

/** Tokens of a Keystone session: asked before each request, dropped when the service answers 401. */
export interface TokenSource {
  token(): Promise<string>;
  invalidate(token: string): void;
}

/** How to reach and authenticate to the API. */
export interface ApiClientOptions {
  /**
   * Base URL of the service, e.g. `http://127.0.0.1:9511` (a trailing `/v1` is tolerated), or a function finding it
   * (in a Keystone catalog) on the first request.
   */
  endpoint: string | (() => Promise<string>);
  /** Keystone token, sent as `X-Auth-Token`. */
  token?: string;
  /**
   * Keystone session the token comes from (instead of `token`): on a 401 the token is dropped and the request sent
   * once more with a new one.
   */
  tokens?: TokenSource;
  /** Sent as `X-Project-Id` (noauth identity). */
  projectId?: string;
  /** Sent as `X-User-Id` (noauth identity). */
  userId?: string;
  /** Comma-separated roles, sent as `X-Roles`. */
  roles?: string;
  /** Per-request timeout in milliseconds (default 120 000). */
  timeoutMs?: number;
  /** `fetch` implementation (default: the global one). */
  fetch?: typeof fetch;
}

interface RawResponse {
  status: number;
  body: unknown;
  requestId: string | null;
}

/** Typed access to cluster templates, clusters, certificates and cluster events. */
export class ApiClient {
  #base: URL | undefined;
  readonly #findBase: (() => Promise<string>) | undefined;
  readonly #tokens: TokenSource | undefined;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: ApiClientOptions) {
    if (typeof options.endpoint === 'string') this.#base = baseUrl(options.endpoint);
    else this.#findBase = options.endpoint;
    this.#tokens = options.tokens;
    this.#headers = { 'OpenStack-API-Version': API_VERSION_HEADER, Accept: 'application/json' };
    if (options.token) this.#headers['X-Auth-Token'] = options.token;
    if (options.projectId) this.#headers['X-Project-Id'] = options.projectId;
    if (options.userId) this.#headers['X-User-Id'] = options.userId;
    if (options.roles) this.#headers['X-Roles'] = options.roles;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Base URL requests are made against (without `/v1`); `''` while it is still to be found in the catalog. */
  get endpoint(): string {
    return this.#base?.href.replace(/\/$/, '') ?? '';
  }

  /** The base URL, found in the catalog on first use when it was not given. */
  async #baseUrl(): Promise<URL> {
    this.#base ??= baseUrl(await (this.#findBase as () => Promise<string>)());
    return this.#base;
  }

  /** The fixed headers plus the session's current token. */
  async #authHeaders(): Promise<Record<string, string>> {
    const headers: Record<string, string> = { ...this.#headers };
    if (this.#tokens) headers['X-Auth-Token'] = await this.#tokens.token();
    return headers;
  }

  /**
   * Sends one request; with a Keystone session, a 401 drops the token and the request goes once more with a new one
   * (the token expired or was revoked while the process ran).
   */
  async #send(url: string, init: RequestInit): Promise<Response> {
    const headers = await this.#authHeaders();
    const first = await this.#fetch(url, { ...init, headers: { ...headers, ...(init.headers as object) } });
    if (first.status !== 401 || !this.#tokens) return first;
    await first.text().catch(() => '');
    this.#tokens.invalidate(headers['X-Auth-Token'] as string);
    const again = await this.#authHeaders();
    return this.#fetch(url, { ...init, headers: { ...again, ...(init.headers as object) } });
  }

  /** Lists cluster templates, following `next` links until the list or `limit` is exhausted. */
  listClusterTemplates(options: ListOptions = {}): Promise<ClusterTemplate[]> {
    return this.#list<ClusterTemplate>('clustertemplates', options);
  }

  /** Fetches one cluster template by uuid or name. */
  async getClusterTemplate(ident: string): Promise<ClusterTemplate> {
    return (await this.#expect('GET', `/v1/clustertemplates/${encodeURIComponent(ident)}`)) as ClusterTemplate;
  }

  /** Creates a cluster template and returns its representation. */
  async createClusterTemplate(request: ClusterTemplateCreateRequest): Promise<ClusterTemplate> {
    return (await this.#expect('POST', '/v1/clustertemplates', request)) as ClusterTemplate;
  }

  /** Deletes a cluster template by uuid or name. */
  async deleteClusterTemplate(ident: string): Promise<void> {
    await this.#expect('DELETE', `/v1/clustertemplates/${encodeURIComponent(ident)}`);
  }

  /** Asks for a cluster to be created; resolves to the new cluster's uuid. */
  async createCluster(request: ClusterCreateRequest): Promise<string> {
    const body = (await this.#expect('POST', '/v1/clusters', request)) as { uuid?: unknown } | null;
    if (typeof body?.uuid !== 'string') throw new ApiError(202, 'cluster create answer has no uuid', body);
    return body.uuid;
  }

  /** Lists clusters, following `next` links until the list or `limit` is exhausted. */
  listClusters(options: ListOptions = {}): Promise<Cluster[]> {
    return this.#list<Cluster>('clusters', options);
  }

  /** Fetches one cluster (detail representation) by uuid or name. */
  async getCluster(ident: string): Promise<Cluster> {
    return (await this.#expect('GET', `/v1/clusters/${encodeURIComponent(ident)}`)) as Cluster;
  }

  /** Asks for a cluster to be deleted (by uuid or name). */
  async deleteCluster(ident: string): Promise<void> {
    await this.#expect('DELETE', `/v1/clusters/${encodeURIComponent(ident)}`);
  }

  /** The cluster's CA certificate (ca-show). */
  async getCaCertificate(cluster: string): Promise<Certificate> {
    return (await this.#expect('GET', `/v1/certificates/${encodeURIComponent(cluster)}`)) as Certificate;
  }

  /** Has the cluster CA sign a CSR (ca-sign); `pem` of the answer is the signed certificate. */
  async signCertificate(clusterUuid: string, csr: string): Promise<Certificate> {
    return (await this.#expect('POST', '/v1/certificates', { cluster_uuid: clusterUuid, csr })) as Certificate;
  }

  /** Applies JSON PATCH operations to a cluster template and returns the updated template. */
  async updateClusterTemplate(ident: string, patch: readonly JsonPatchOp[]): Promise<ClusterTemplate> {
    return (await this.#expect('PATCH', `/v1/clustertemplates/${encodeURIComponent(ident)}`, patch)) as ClusterTemplate;
  }

  /** Applies JSON PATCH operations to a cluster (`?rollback=True` when asked); the server queues the change. */
  async updateCluster(ident: string, patch: readonly JsonPatchOp[], rollback = false): Promise<void> {
    const query = rollback ? '?rollback=True' : '';
    await this.#expect('PATCH', `/v1/clusters/${encodeURIComponent(ident)}${query}`, patch);
  }

  /** Asks for a node group of the cluster (default: default-worker) to be resized. */
  async resizeCluster(clusterUuid: string, request: ResizeRequest): Promise<void> {
    await this.#expect('POST', `/v1/clusters/${encodeURIComponent(clusterUuid)}/actions/resize`, request);
  }

  /** Asks for the cluster (or one node group) to be upgraded to another cluster template. */
  async upgradeCluster(clusterUuid: string, request: UpgradeRequest): Promise<void> {
    await this.#expect('POST', `/v1/clusters/${encodeURIComponent(clusterUuid)}/actions/upgrade`, request);
  }

  /** Lists a cluster's node groups (`query.role` filters by role). */
  listNodegroups(cluster: string, options: ListOptions = {}): Promise<Nodegroup[]> {
    return this.#list<Nodegroup>(`clusters/${encodeURIComponent(cluster)}/nodegroups`, options, 'nodegroups');
  }

  /** Fetches one node group of a cluster by id, uuid or name. */
  async getNodegroup(cluster: string, nodegroup: string): Promise<Nodegroup> {
    return (await this.#expect('GET', this.#nodegroupPath(cluster, nodegroup))) as Nodegroup;
  }

  /** Creates a node group in a cluster; resolves to the group as the server answered it. */
  async createNodegroup(cluster: string, request: NodegroupCreateRequest): Promise<Nodegroup> {
    return (await this.#expect('POST', `/v1/clusters/${encodeURIComponent(cluster)}/nodegroups`, request)) as Nodegroup;
  }

  /** Applies JSON PATCH operations to a node group. */
  async updateNodegroup(cluster: string, nodegroup: string, patch: readonly JsonPatchOp[]): Promise<void> {
    await this.#expect('PATCH', this.#nodegroupPath(cluster, nodegroup), patch);
  }

  /** Asks for a node group to be deleted. */
  async deleteNodegroup(cluster: string, nodegroup: string): Promise<void> {
    await this.#expect('DELETE', this.#nodegroupPath(cluster, nodegroup));
  }

  /** Asks for the cluster's CA to be replaced (ca-rotate). */
  async rotateCa(clusterUuid: string): Promise<void> {
    await this.#expect('PATCH', `/v1/certificates/${encodeURIComponent(clusterUuid)}`);
  }

  /** Lists quotas (`allTenants`: every project's, for admins). */
  listQuotas(options: ListOptions & { allTenants?: boolean } = {}): Promise<Quota[]> {
    const { allTenants, ...rest } = options;
    return this.#list<Quota>('quotas', {
      ...rest,
      query: { ...rest.query, ...(allTenants ? { all_tenants: 'True' } : {}) },
    });
  }

  /** Fetches the quota of a project for one resource. */
  async getQuota(projectId: string, resource: string): Promise<Quota> {
    return (await this.#expect('GET', this.#quotaPath(projectId, resource))) as Quota;
  }

  /** Creates a quota. */
  async createQuota(request: QuotaRequest): Promise<Quota> {
    return (await this.#expect('POST', '/v1/quotas', request)) as Quota;
  }

  /** Changes a quota's hard limit (the body is the quota object, as magnumclient sends it). */
  async updateQuota(request: QuotaRequest): Promise<Quota> {
    return (await this.#expect('PATCH', this.#quotaPath(request.project_id, request.resource), request)) as Quota;
  }

  /** Deletes a quota. */
  async deleteQuota(projectId: string, resource: string): Promise<void> {
    await this.#expect('DELETE', this.#quotaPath(projectId, resource));
  }

  /** Cluster and node counts, of one project or (admins, no project) of all. */
  async getStats(projectId?: string): Promise<Stats> {
    const query = projectId ? `?project_id=${encodeURIComponent(projectId)}` : '';
    return (await this.#expect('GET', `/v1/stats${query}`)) as Stats;
  }

  /** Magnum's service list: the conductor hosts and their heartbeats (`GET /v1/mservices`). */
  async listServices(): Promise<MService[]> {
    const body = (await this.#expect('GET', '/v1/mservices')) as { mservices?: unknown } | null;
    return Array.isArray(body?.mservices) ? (body.mservices as MService[]) : [];
  }

  /** Every api and conductor process and its heartbeat (`GET /v1/processes`, Magnetar's own). */
  async listProcesses(): Promise<MService[]> {
    const body = (await this.#expect('GET', '/v1/processes')) as { processes?: unknown } | null;
    return Array.isArray(body?.processes) ? (body.processes as MService[]) : [];
  }

  #nodegroupPath(cluster: string, nodegroup: string): string {
    return `/v1/clusters/${encodeURIComponent(cluster)}/nodegroups/${encodeURIComponent(nodegroup)}`;
  }

  #quotaPath(projectId: string, resource: string): string {
    return `/v1/quotas/${encodeURIComponent(projectId)}/${encodeURIComponent(resource)}`;
  }

  /**
   * The cluster's progress timeline, oldest first, or `null` when the server answers 404 (servers without the
   * events route, or a cluster that does not exist yet or any more).
   */
  async listClusterEvents(cluster: string): Promise<ClusterEvent[] | null> {
    const res = await this.#request('GET', `/v1/clusters/${encodeURIComponent(cluster)}/events`);
    if (res.status === 404) return null;
    const body = this.#check(res) as { events?: unknown } | null;
    return Array.isArray(body?.events) ? (body.events as ClusterEvent[]) : [];
  }

  /**
   * Opens the cluster's server-sent event stream, resuming after event `afterId` (sent as `Last-Event-ID`), or
   * resolves to `null` when the server answers 404 (no stream route, or no such cluster). The iterator yields events
   * then one `end` item; it throws {@link ApiConnectionError} when the connection drops or stays silent for
   * `idleTimeoutMs` (the server sends heartbeats every 15 s).
   */
  async openClusterEventStream(
    cluster: string,
    afterId = 0,
    idleTimeoutMs = 60_000,
  ): Promise<AsyncGenerator<ClusterStreamItem> | null> {
    const path = `/v1/clusters/${encodeURIComponent(cluster)}/events/stream`;
    const url = (await this.#baseUrl()).href.replace(/\/$/, '') + path;
    const ctrl = new AbortController();
    let idle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => ctrl.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
    };
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (afterId > 0) headers['Last-Event-ID'] = String(afterId);
    let response: Response;
    arm();
    try {
      response = await this.#send(url, { method: 'GET', headers, signal: ctrl.signal });
    } catch (err) {
      clearTimeout(idle);
      if (err instanceof CliError) throw err;
      throw new ApiConnectionError(`cannot reach ${this.endpoint} (GET ${path}): ${(err as Error).message}`, {
        cause: err,
      });
    }
    const type = response.headers.get('content-type') ?? '';
    if (response.status === 404 || (response.ok && !type.startsWith('text/event-stream')) || !response.body) {
      clearTimeout(idle);
      await response.text().catch(() => '');
      if (response.status === 404 || response.ok) return null;
    }
    if (!response.ok) {
      clearTimeout(idle);
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      this.#check({ status: response.status, body, requestId: response.headers.get('x-openstack-request-id') });
    }
    const body = response.body as ReadableStream<Uint8Array>;
    const endpoint = this.endpoint;
    return (async function* read(): AsyncGenerator<ClusterStreamItem> {
      const reader = body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            throw new ApiConnectionError(
              `event stream from ${endpoint} broke: ${(ctrl.signal.reason as Error | undefined)?.message ?? (err as Error).message}`,
              { cause: err },
            );
          }
          if (chunk.done)
            throw new ApiConnectionError(`event stream from ${endpoint} ended before the cluster's final state`);
          arm();
          buffer += decoder.decode(chunk.value, { stream: true });
          let cut: RegExpExecArray | null;
          while ((cut = /\r?\n\r?\n/.exec(buffer)) !== null) {
            const block = buffer.slice(0, cut.index);
            buffer = buffer.slice(cut.index + cut[0].length);
            const item = parseSseBlock(block);
            if (item === null) continue;
            yield item;
            if (item.type === 'end') return;
          }
        }
      } finally {
        clearTimeout(idle);
        ctrl.abort();
      }
    })();
  }

  async #list<T>(collection: string, options: ListOptions, key = collection): Promise<T[]> {
    const query = new URLSearchParams();
    if (options.limit && options.limit > 0) query.set('limit', String(options.limit));
    if (options.marker) query.set('marker', options.marker);
    if (options.sortKey) query.set('sort_key', options.sortKey);
    if (options.sortDir) query.set('sort_dir', options.sortDir);
    for (const [name, value] of Object.entries(options.query ?? {})) query.set(name, value);
    const qs = query.toString();
    let path: string | null = `/v1/${collection}${options.detail ? '/detail' : ''}${qs ? `?${qs}` : ''}`;
    const wanted = options.limit && options.limit > 0 ? options.limit : Infinity;
    const items: T[] = [];
    const visited = new Set<string>();
    while (path !== null && !visited.has(path)) {
      visited.add(path);
      const body = (await this.#expect('GET', path)) as Record<string, unknown> | null;
      const page = body?.[key];
      if (!Array.isArray(page) || page.length === 0) break;
      for (const item of page as T[]) {
        items.push(item);
        if (items.length >= wanted) return items;
      }
      path = typeof body?.['next'] === 'string' ? this.#relativePath(body['next']) : null;
    }
    return items;
  }

  /** Turns a `next` link into a path below the endpoint, dropping its scheme and host like magnumclient does. */
  #relativePath(link: string): string {
    const base = this.#base as URL;
    const url = new URL(link, base);
    let path = url.pathname;
    const prefix = base.pathname.replace(/\/$/, '');
    if (prefix && path.startsWith(prefix + '/')) path = path.slice(prefix.length);
    return path + url.search;
  }

  async #expect(method: string, path: string, body?: unknown): Promise<unknown> {
    return this.#check(await this.#request(method, path, body));
  }

  #check(res: RawResponse): unknown {
    if (res.status >= 200 && res.status < 300) return res.body;
    let message = errorMessageFromBody(res.body);
    if (message === null) {
      const text = typeof res.body === 'string' ? res.body.trim() : '';
      message = text !== '' && text.length <= 500 ? `HTTP ${res.status}: ${text}` : `HTTP ${res.status}`;
    }
    throw new ApiError(res.status, message, res.body, res.requestId);
  }

  async #request(method: string, path: string, body?: unknown): Promise<RawResponse> {
    const url = (await this.#baseUrl()).href.replace(/\/$/, '') + path;
    const headers: Record<string, string> = {};
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeoutMs) };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response: Response;
    let text: string;
    try {
      response = await this.#send(url, init);
      text = await response.text();
    } catch (err) {
      if (err instanceof CliError) throw err;
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new ApiConnectionError(`cannot reach ${this.endpoint} (${method} ${path}): ${reason}`, { cause: err });
    }
    let parsed: unknown = text;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, body: parsed, requestId: response.headers.get('x-openstack-request-id') };
  }
}

/** The service's base URL without `/v1`, query or fragment. */
function baseUrl(endpoint: string): URL {
  const base = new URL(endpoint);
  base.pathname = base.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  base.search = '';
  base.hash = '';
  return base;
}

/** Parses one server-sent-events block into a stream item; null for comments, `retry:` and unknown events. */
export function parseSseBlock(block: string): ClusterStreamItem | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(data.join('\n')) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (event === 'message') return { type: 'event', event: parsed as unknown as ClusterEvent };
  if (event === 'end') {
    return {
      type: 'end',
      status: String(parsed['status'] ?? ''),
      statusReason: (parsed['status_reason'] as string | null | undefined) ?? null,
      gone: parsed['gone'] === true,
    };
  }
  if (event === 'error') throw new ApiConnectionError(`event stream error: ${String(parsed['message'] ?? 'unknown')}`);
  return null;
}
