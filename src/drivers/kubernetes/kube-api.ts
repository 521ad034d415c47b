/**
 * @module A small Kubernetes API client over node:https with a client certificate (the conductor's own
 * `system:masters` identity from the cluster CA): readyz, nodes, pods, evictions, and server-side apply of the add-on
 * objects. Plain HTTPS calls: the service needs no kubectl.
 */
import https from 'node:https';
import type { KubeObject } from './addons.ts';

/** Where the apiserver answers and who we are. */
export interface KubeEndpoint {
  host: string;
  port: number;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** The apiserver answered with a status of 400 or more. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  constructor(message: string, status: number, reason?: string) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

/** The apiserver could not be reached (refused, reset, TLS failure, timeout). */
export class KubeUnreachableError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'KubeUnreachableError';
  }
}

/** The parts of a Node the driver reads. */
export interface KubeNode {
  metadata: { name: string; labels?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: { unschedulable?: boolean; podCIDR?: string; taints?: { key: string; effect: string }[] };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
    addresses?: { type: string; address: string }[];
    nodeInfo?: { kubeletVersion?: string; containerRuntimeVersion?: string };
  };
}

/** The parts of a Pod the driver reads. */
export interface KubePod {
  metadata: {
    name: string;
    namespace: string;
    ownerReferences?: { kind: string; name: string }[];
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

/** A Node's `Ready` condition status (`True`, `False`, `Unknown`), or `Unknown` when it reports none. */
export function nodeReady(node: KubeNode): string {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
}

/** kind → [API path prefix, plural, namespaced] for the kinds the driver applies. */
const RESOURCES: Readonly<Record<string, readonly [string, string, boolean]>> = {
  'v1/ServiceAccount': ['/api/v1', 'serviceaccounts', true],
  'v1/ConfigMap': ['/api/v1', 'configmaps', true],
  'v1/Service': ['/api/v1', 'services', true],
  'v1/Namespace': ['/api/v1', 'namespaces', false],
  'apps/v1/Deployment': ['/apis/apps/v1', 'deployments', true],
  'rbac.authorization.k8s.io/v1/ClusterRole': ['/apis/rbac.authorization.k8s.io/v1', 'clusterroles', false],
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': [
    '/apis/rbac.authorization.k8s.io/v1',
    'clusterrolebindings',
    false,
  ],
  'rbac.authorization.k8s.io/v1/Role': ['/apis/rbac.authorization.k8s.io/v1', 'roles', true],
  'rbac.authorization.k8s.io/v1/RoleBinding': ['/apis/rbac.authorization.k8s.io/v1', 'rolebindings', true],
  'apiregistration.k8s.io/v1/APIService': ['/apis/apiregistration.k8s.io/v1', 'apiservices', false],
  'policy/v1/PodDisruptionBudget': ['/apis/policy/v1', 'poddisruptionbudgets', true],
};

/** The REST path of an object (for server-side apply). */
export function objectPath(o: KubeObject): string {
  const r = RESOURCES[`${o.apiVersion}/${o.kind}`];
  if (!r) throw new Error(`no REST mapping for ${o.apiVersion} ${o.kind}`);
  const [prefix, plural, namespaced] = r;
  const ns = namespaced ? `/namespaces/${encodeURIComponent(o.metadata.namespace ?? 'default')}` : '';
  return `${prefix}${ns}/${plural}/${encodeURIComponent(o.metadata.name)}`;
}

const FIELD_MANAGER = 'magnetar';

export class KubeApi {
  readonly #ep: KubeEndpoint;
  readonly #agent: https.Agent;
  readonly #timeoutMs: number;

  constructor(ep: KubeEndpoint, opts: { timeoutMs?: number } = {}) {
    this.#ep = ep;
    this.#timeoutMs = opts.timeoutMs ?? 15_000;
    this.#agent = new https.Agent({ keepAlive: true, maxSockets: 8, ca: ep.caPem, cert: ep.certPem, key: ep.keyPem });
  }

  close(): void {
    this.#agent.destroy();
  }

  /** One request; JSON in and out. Returns the status and parsed body (text when not JSON). */
  async request(
    method: string,
    path: string,
    opts: { body?: unknown; contentType?: string; signal?: AbortSignal; timeoutMs?: number; ok?: number[] } = {},
  ): Promise<{ status: number; body: unknown }> {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = https.request(
        {
          host: this.#ep.host,
          port: this.#ep.port,
          method,
          path,
          agent: this.#agent,
          headers: {
            accept: 'application/json',
            ...(payload
              ? { 'content-type': opts.contentType ?? 'application/json', 'content-length': payload.length }
              : {}),
          },
          timeout: opts.timeoutMs ?? this.#timeoutMs,
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          r.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(
          Object.assign(new Error(`timeout after ${opts.timeoutMs ?? this.#timeoutMs} ms`), { code: 'ETIMEDOUT' }),
        ),
      );
      req.on('error', (e) => {
        if ((e as Error).name === 'AbortError') reject(e);
        else
          reject(new KubeUnreachableError(`apiserver ${this.#ep.host}:${this.#ep.port}: ${(e as Error).message}`, e));
      });
      req.end(payload);
    });
    let body: unknown = res.text;
    try {
      body = res.text ? JSON.parse(res.text) : undefined;
    } catch {
      // not JSON (readyz answers text)
    }
    if (res.status >= 400 && !(opts.ok ?? []).includes(res.status)) {
      const status = body as { message?: string; reason?: string } | undefined;
      const msg = typeof status === 'object' && status?.message ? status.message : res.text.slice(0, 300);
      throw new KubeApiError(`${method} ${path}: ${res.status} ${msg}`, res.status, status?.reason);
    }
    return { status: res.status, body };
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return (await this.request('GET', path, signal ? { signal } : {})).body as T;
  }

  /** `GET /readyz`: true when the apiserver says ok. Never throws for a not-ready answer. */
  async readyz(signal?: AbortSignal, timeoutMs?: number): Promise<{ ok: boolean; detail: string }> {
    const r = await this.request('GET', '/readyz', {
      ok: [500, 503],
      ...(signal ? { signal } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    return { ok: r.status === 200, detail: text.trim().slice(0, 300) };
  }

  async listNodes(signal?: AbortSignal, timeoutMs?: number): Promise<KubeNode[]> {
    const r = await this.request('GET', '/api/v1/nodes', {
      ...(signal ? { signal } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    return (r.body as { items: KubeNode[] }).items;
  }

  /** Server-side apply (field manager `magnetar`, conflicts forced: these objects are the driver's). */
  async apply(o: KubeObject, signal?: AbortSignal): Promise<void> {
    await this.request('PATCH', `${objectPath(o)}?fieldManager=${FIELD_MANAGER}&force=true`, {
      body: o,
      contentType: 'application/apply-patch+yaml',
      ...(signal ? { signal } : {}),
    });
  }

  /** Merge-patches a node (labels, unschedulable). */
  async patchNode(name: string, patch: unknown, signal?: AbortSignal): Promise<void> {
    await this.request('PATCH', `/api/v1/nodes/${encodeURIComponent(name)}`, {
      body: patch,
      contentType: 'application/merge-patch+json',
      ...(signal ? { signal } : {}),
    });
  }

  /** Deletes a node object; a node already gone is fine. */
  async deleteNode(name: string, signal?: AbortSignal): Promise<void> {
    await this.request('DELETE', `/api/v1/nodes/${encodeURIComponent(name)}`, {
      ok: [404],
      ...(signal ? { signal } : {}),
    });
  }

  /** Every Service of every namespace. */
  async listServices<T>(signal?: AbortSignal): Promise<T[]> {
    return (await this.get<{ items: T[] }>('/api/v1/services', signal)).items;
  }

  /** Merge-patches a Service's status subresource (e.g. `status.loadBalancer.ingress`); a Service gone is fine. */
  async patchServiceStatus(namespace: string, name: string, status: unknown, signal?: AbortSignal): Promise<void> {
    await this.request(
      'PATCH',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}/status`,
      { body: { status }, contentType: 'application/merge-patch+json', ok: [404], ...(signal ? { signal } : {}) },
    );
  }

  async podsOnNode(name: string, signal?: AbortSignal): Promise<KubePod[]> {
    const q = encodeURIComponent(`spec.nodeName=${name}`);
    return (await this.get<{ items: KubePod[] }>(`/api/v1/pods?fieldSelector=${q}`, signal)).items;
  }

  /**
   * Asks to evict a pod (policy/v1 Eviction). `evicted` when accepted or the pod is gone; `blocked` (429) when a
   * PodDisruptionBudget does not allow it now, with the apiserver's message.
   */
  async evict(pod: KubePod, signal?: AbortSignal): Promise<{ outcome: 'evicted' | 'blocked'; message: string }> {
    const { name, namespace } = pod.metadata;
    const r = await this.request(
      'POST',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/eviction`,
      {
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
        ok: [404, 429],
        ...(signal ? { signal } : {}),
      },
    );
    const message = (r.body as { message?: string } | undefined)?.message ?? '';
    return { outcome: r.status === 429 ? 'blocked' : 'evicted', message };
  }
}
