/**
 * @module bench/create-shared: what bench/create's floors (swarm, kubernetes) and its Magnetar side share: the floor's
 * engine steps (a bridge network on a free /24, a node container created with its cloud-init payload archive and
 * started on a free loopback port, cleanup by the bench label), the in-process API client (timed POST →
 * CREATE_COMPLETE, untimed delete) and the memory/image figures read from the Engine API.
 */
import { EngineError, type Engine } from '../src/docker-api/engine.ts';
import type { ContainerCreateSpec } from '../src/docker-api/engine-types.ts';
import { CLUSTER_LABEL } from '../src/providers/contract.ts';
import type { NodeSecurity } from '../src/providers/docker/node-security.ts';
import { findFreePort } from '../src/providers/docker/free-port.ts';
import { hostAddress, pickFreeSubnet, usedSubnets } from '../src/providers/docker/subnets.ts';
import { containerMemory, type MemoryStats } from './create-figures.ts';

export const BENCH_LABEL = 'magnetar.bench';
export const CLUSTER_TIMEOUT_MS = 5 * 60_000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- floor steps ---------------------------------------------------------------------------------

/** A floor run: its time and when each of its steps ended (ms after its start), printed beside Magnetar's timeline. */
export interface FloorResult {
  ms: number;
  marks: { at: number; what: string }[];
}

/** Times a floor run's steps. */
export class FloorClock {
  readonly #t0 = performance.now();
  readonly marks: FloorResult['marks'] = [];
  mark(what: string): void {
    this.marks.push({ at: performance.now() - this.#t0, what });
  }
  done(): FloorResult {
    return { ms: performance.now() - this.#t0, marks: this.marks };
  }
}

/** What stays the same across floor runs: the host engine and the node security mode (probed once, like DockerProvider). */
export interface FloorHost {
  host: Engine;
  security: NodeSecurity | undefined;
}

/** Creates a bridge network on a free 10.x.y.0/24 (as DockerProvider.ensureNetwork does); returns its id and subnet. */
export async function floorNetwork(
  host: Engine,
  name: string,
  labels: Record<string, string>,
): Promise<{ id: string; cidr: string; gateway: string }> {
  const refused: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const cidr = pickFreeSubnet([...(await usedSubnets(host)), ...refused]);
    if (!cidr) throw new Error('no free 10.x.y.0/24 subnet left on this host');
    const gateway = hostAddress(cidr, 1);
    try {
      const { Id } = await host.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        IPAM: { Config: [{ Subnet: cidr, Gateway: gateway }] },
        Labels: labels,
      });
      return { id: Id, cidr, gateway };
    } catch (e) {
      if (!(e instanceof EngineError && /overlap/i.test(e.message))) throw e;
      refused.push(cidr);
    }
  }
  throw new Error('could not find a free subnet after 20 attempts');
}

/**
 * Creates a node container from `spec(port)` (port: a free loopback port to publish, when it publishes one), PUTs the
 * payload archive at `/` and starts it, retrying on a port taken meanwhile, as DockerProvider.ensureMachine does.
 * Returns the container id and the port.
 */
export async function floorStartNode(
  host: Engine,
  name: string,
  spec: (port: number) => ContainerCreateSpec,
  archive: Buffer,
): Promise<{ id: string; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const port = await findFreePort();
    const { Id } = await host.createContainer(name, spec(port));
    try {
      await host.putArchive(Id, '/', archive);
      await host.startContainer(Id);
    } catch (e) {
      await host.removeContainer(Id);
      const clash = e instanceof EngineError && /already allocated|address already in use/i.test(e.message);
      if (!clash || attempt >= 5) throw e;
      continue;
    }
    return { id: Id, port };
  }
}

/** Removes every container, volume and network labelled `magnetar.bench=<id>`. */
export async function floorCleanup(host: Engine, id: string): Promise<void> {
  const filter = [`${BENCH_LABEL}=${id}`];
  await Promise.all((await host.listContainers(filter)).map((c) => host.removeContainer(c.Id)));
  await Promise.all((await host.listVolumes(filter)).map((v) => host.removeVolume(v.Name)));
  await Promise.all((await host.listNetworks(filter)).map((n) => host.removeNetwork(n.Id)));
}

// ---- the Magnetar side ---------------------------------------------------------------------------

/** A tiny JSON client for the in-process API. */
export async function api<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      'OpenStack-API-Version': 'container-infra latest',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
}

export async function apiOk<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await api<T>(base, method, path, body);
  if (r.status >= 400) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

interface ClusterView {
  status: string;
  status_reason: string | null;
}

export interface EventView {
  phase: string;
  level: string;
  message: string;
  time: string;
}

/** One timed Magnetar create: POST, then GET every 20 ms until CREATE_COMPLETE. Returns the time and the cluster uuid. */
export async function magnetarCreate(
  base: string,
  templateId: string,
  name: string,
  onUuid: (uuid: string) => void,
  masterCount = 1,
): Promise<{ ms: number; postedAt: number; uuid: string }> {
  const postedAt = Date.now();
  const started = performance.now();
  const { uuid } = await apiOk<{ uuid: string }>(base, 'POST', '/v1/clusters', {
    name,
    cluster_template_id: templateId,
    master_count: masterCount,
    node_count: 2,
  });
  onUuid(uuid);
  for (;;) {
    const c = await apiOk<ClusterView>(base, 'GET', `/v1/clusters/${uuid}`);
    if (c.status === 'CREATE_COMPLETE') return { ms: performance.now() - started, postedAt, uuid };
    if (c.status === 'CREATE_FAILED')
      throw new Error(`cluster ${name} CREATE_FAILED: ${c.status_reason ?? '(no reason)'}`);
    if (performance.now() - started > CLUSTER_TIMEOUT_MS)
      throw new Error(`cluster ${name} still ${c.status} after ${CLUSTER_TIMEOUT_MS / 1000} s`);
    await sleep(20);
  }
}

/** DELETE and wait until GET answers 404 (untimed). */
export async function magnetarDelete(base: string, uuid: string): Promise<void> {
  const del = await api<unknown>(base, 'DELETE', `/v1/clusters/${uuid}`);
  if (del.status >= 400 && del.status !== 404)
    throw new Error(`DELETE cluster ${uuid}: HTTP ${del.status} ${JSON.stringify(del.json)}`);
  const deadline = Date.now() + CLUSTER_TIMEOUT_MS;
  for (;;) {
    const r = await api<ClusterView>(base, 'GET', `/v1/clusters/${uuid}`);
    if (r.status === 404) return;
    if (r.json.status === 'DELETE_FAILED')
      throw new Error(`cluster ${uuid} DELETE_FAILED: ${r.json.status_reason ?? '(no reason)'}`);
    if (Date.now() > deadline) throw new Error(`cluster ${uuid} not gone after ${CLUSTER_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

// ---- figures from the engine ---------------------------------------------------------------------

/** Memory (bytes, as `docker stats` counts it) of each running node container of a Magnetar cluster, by name. */
export async function clusterMemory(host: Engine, clusterUuid: string): Promise<{ name: string; bytes: number }[]> {
  const containers = await host.listContainers([`${CLUSTER_LABEL}=${clusterUuid}`]);
  const out = await Promise.all(
    containers.map(async (c) => {
      const stats = await host.request<MemoryStats>('GET', `/containers/${c.Id}/stats?stream=false&one-shot=true`);
      return { name: (c.Names[0] ?? c.Id).replace(/^\//, ''), bytes: containerMemory(stats) ?? 0 };
    }),
  );
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Size in bytes of each image that is present (absent ones are left out). */
export async function imageSizes(host: Engine, refs: readonly string[]): Promise<{ ref: string; bytes: number }[]> {
  const out: { ref: string; bytes: number }[] = [];
  for (const ref of refs) {
    const i = await host.inspectImage(ref);
    if (i) out.push({ ref, bytes: i.Size });
  }
  return out;
}
