/**
 * @module Test helper: the real HTTP edge (buildApi) over a real SQLite store, cluster CA, swarm driver and the host
 * Docker engine's image catalog, with no conductor; plus Magnum error-body assertions and the "refused and nothing
 * written" check the table-driven API tests share.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { buildApi } from '../../src/api/app.ts';
import { ClusterCa } from '../../src/certs/cluster-ca.ts';
import { KeySealer } from '../../src/certs/key-sealing.ts';
import { loadConfig, type Config } from '../../src/config/load.ts';
import type { Capability } from '../../src/drivers/contract.ts';
import { KubernetesDriver } from '../../src/drivers/kubernetes/driver.ts';
import { DriverRegistry } from '../../src/drivers/registry.ts';
import { SwarmDriver } from '../../src/drivers/swarm/driver.ts';
import { Engine } from '../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../src/providers/docker/image-build.ts';
import { dockerImageCatalog } from '../../src/providers/docker/image-catalog.ts';
import { DockerProvider } from '../../src/providers/docker/provider.ts';
import { openDb } from '../../src/store/database.ts';
import { Store } from '../../src/store/store.ts';

export const SOCKET = '/var/run/docker.sock';
export const IMAGE = 'magnetar/node:bookworm';
export const V110 = { 'openstack-api-version': 'container-infra 1.10' } as const;
export const LATEST = { 'openstack-api-version': 'container-infra latest' } as const;
/** Headers of microversion `1.<minor>`. */
export const version = (minor: number): Record<string, string> => ({
  'openstack-api-version': `container-infra 1.${minor}`,
});
export const MEMBER_A = { 'x-project-id': 'proj-a', 'x-user-id': 'user-a', 'x-roles': 'member' } as const;
export const MEMBER_B = { 'x-project-id': 'proj-b', 'x-user-id': 'user-b', 'x-roles': 'member' } as const;
/** Tables whose rows a refused request must leave exactly as they were. */
export const TABLES = [
  'cluster_templates',
  'clusters',
  'nodegroups',
  'operations',
  'certificates',
  'quotas',
  'outbox',
] as const;
export const ALL_CAPABILITIES: readonly Capability[] = ['resize', 'upgrade', 'nodegroups', 'rotate-ca', 'health'];

export interface ErrorItem {
  request_id: string;
  code: string;
  status: number;
  title: string;
  detail: string | null;
  links: unknown[];
}

/** Asserts a handler error: status, Magnum's error body shape, title = detail up to the first '.', detail matching. */
export function assertHandlerError(res: LightMyRequestResponse, status: number, detail: RegExp): void {
  assert.equal(res.statusCode, status, `status of ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json<{ errors: ErrorItem[] }>();
  assert.deepEqual(Object.keys(body), ['errors']);
  assert.equal(body.errors.length, 1);
  const e = body.errors[0] as ErrorItem;
  assert.deepEqual(Object.keys(e).sort(), ['code', 'detail', 'links', 'request_id', 'status', 'title']);
  assert.equal(e.request_id, '');
  assert.equal(e.code, 'client');
  assert.equal(e.status, status);
  assert.deepEqual(e.links, []);
  assert.match(e.detail ?? '', detail);
  const text = e.detail ?? '';
  const dot = text.indexOf('.');
  assert.equal(e.title, dot > 0 ? text.slice(0, dot) : text);
}

/** Asserts an error raised while routing: code '' and the HTTP reason phrase as title. */
export function assertRoutingError(
  res: LightMyRequestResponse,
  status: number,
  title: string,
  detail: string | null,
): void {
  assert.equal(res.statusCode, status, `status of ${res.body}`);
  assert.deepEqual(res.json(), { errors: [{ request_id: '', code: '', status, title, detail, links: [] }] });
}

/** One bad request and what it must answer. */
export interface BadCase {
  name: string;
  method?: InjectOptions['method'];
  url: string;
  /** An object is sent as JSON; a string is sent raw with `contentType`. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  status: number;
  detail: RegExp;
}

export interface HarnessOptions {
  /** Capabilities the swarm driver declares in this harness (default: what the driver itself declares). */
  capabilities?: Set<Capability>;
  /** Extra configuration values by key. */
  config?: Record<string, unknown>;
  /** The API's logger (default: none). */
  logger?: Logger;
  /** Also register the kubernetes driver (over the same provider). */
  kubernetes?: boolean;
  /** Domain of the clusters' trustee users, for the policy's `deny_cluster_user` (default: none). */
  trusteeDomainId?: string;
}

/** The API under test and what the tests reach through. */
export interface ApiHarness {
  app: FastifyInstance;
  store: Store;
  engine: Engine;
  config: Config;
  tmp: string;
  /** Capabilities the swarm driver declares now (tests may delete and re-add entries). */
  capabilities: Set<Capability>;
  /** How often the API woke the (absent) conductor. */
  wakes(): number;
  send(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  counts(): Promise<Record<string, number>>;
  /** Every row of {@link TABLES}, for "nothing changed" checks. */
  snapshot(): Promise<string>;
  /** Sends the request, checks the answer, that no row changed and that no conductor was woken. */
  expectRefused(c: BadCase): Promise<void>;
  /** Runs `fn` and asserts it changed no row and woke no conductor; returns what `fn` returned. */
  unchanged<T>(fn: () => Promise<T>): Promise<T>;
  createTemplate(body: Record<string, unknown>, headers?: Record<string, string>): Promise<Record<string, unknown>>;
  createCluster(body: Record<string, unknown>, headers?: Record<string, string>): Promise<string>;
  /** Finishes the cluster's pending operation as the conductor would (CREATE_COMPLETE / UPDATE_COMPLETE, api_address set). */
  completeCluster(uuid: string, status?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startApiHarness(opts: HarnessOptions = {}): Promise<ApiHarness> {
  const tmp = mkdtempSync(join(tmpdir(), 'magnetar-api-'));
  const engine = new Engine({ socketPath: SOCKET });
  await buildNodeImage(engine, {
    repo: 'magnetar/node',
    tag: 'bookworm',
    scriptsDir: fileURLToPath(new URL('../../scripts/', import.meta.url)),
    ifMissing: true,
  });
  const dbPath = join(tmp, 'magnetar.db');
  const config = loadConfig({ env: {}, flags: { state_dir: tmp, 'database.url': dbPath, ...opts.config } as never });
  const store = new Store(await openDb({ url: dbPath }));
  const ca = new ClusterCa(store.certificates, new KeySealer(randomBytes(32)));
  const drivers = new DriverRegistry();
  const provider = new DockerProvider(engine, { probeImage: IMAGE });
  const driver = new SwarmDriver({ provider, serveVm: true });
  const capabilities = opts.capabilities ?? new Set(driver.capabilities);
  Object.defineProperty(driver, 'capabilities', { value: capabilities });
  drivers.register(driver);
  if (opts.kubernetes) drivers.register(new KubernetesDriver({ provider, serveVm: true }));
  let wakes = 0;
  const app = await buildApi(
    {
      store,
      drivers,
      images: dockerImageCatalog(engine, 0),
      ca,
      config,
      wake: () => {
        wakes += 1;
      },
      trusteeDomainId: opts.trusteeDomainId,
    },
    opts.logger,
  );

  const send: ApiHarness['send'] = (method, url, body, headers = {}) =>
    app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }) });

  const counts = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const t of TABLES) {
      const r = await store.db.kysely
        .selectFrom(t)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      out[t] = Number(r.n);
    }
    return out;
  };

  const snapshot = async (): Promise<string> => {
    const out: Record<string, unknown[]> = {};
    for (const t of TABLES) out[t] = await store.db.kysely.selectFrom(t).selectAll().orderBy('id').execute();
    return JSON.stringify(out);
  };

  const expectRefused = async (c: BadCase): Promise<void> => {
    const before = await snapshot();
    const wakesBefore = wakes;
    const headers: Record<string, string> = { ...c.headers };
    let payload: InjectOptions['payload'];
    if (typeof c.body === 'string') {
      payload = c.body;
      headers['content-type'] = c.contentType ?? 'application/json';
    } else if (c.body !== undefined) {
      payload = c.body as InjectOptions['payload'];
    }
    const res = await app.inject({
      method: c.method ?? 'POST',
      url: c.url,
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
    assertHandlerError(res, c.status, c.detail);
    assert.equal(await snapshot(), before, 'no row was written or changed');
    assert.equal(wakes, wakesBefore, 'the conductor was not woken');
  };

  const unchanged = async <T>(fn: () => Promise<T>): Promise<T> => {
    const before = await snapshot();
    const wakesBefore = wakes;
    const out = await fn();
    assert.equal(await snapshot(), before, 'no row was written or changed');
    assert.equal(wakes, wakesBefore, 'the conductor was not woken');
    return out;
  };

  const createTemplate: ApiHarness['createTemplate'] = async (body, headers = {}) => {
    const res = await send(
      'POST',
      '/v1/clustertemplates',
      { coe: 'swarm-mode', image_id: IMAGE, server_type: 'container', ...body },
      headers,
    );
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  };

  const createCluster: ApiHarness['createCluster'] = async (body, headers = {}) => {
    const res = await send('POST', '/v1/clusters', body, headers);
    assert.equal(res.statusCode, 202, res.body);
    return res.json<{ uuid: string }>().uuid;
  };

  const completeCluster: ApiHarness['completeCluster'] = async (uuid, status) => {
    const now = new Date().toISOString();
    for (const op of await store.operations.active(uuid)) {
      const final = status ?? (op.kind === 'cluster_create' ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE');
      await store.clusters.complete(
        uuid,
        final,
        { api_address: 'tcp://127.0.0.1:2376', coe_version: null, container_version: null, addresses: {} },
        op,
        { cluster_id: uuid, phase: 'complete', level: 'info', message: 'completed by the test' },
        now,
      );
    }
  };

  return {
    app,
    store,
    engine,
    config,
    tmp,
    capabilities,
    wakes: () => wakes,
    send,
    counts,
    snapshot,
    expectRefused,
    unchanged,
    createTemplate,
    createCluster,
    completeCluster,
    async close() {
      await app.close();
      await store.close();
      engine.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
