/**
 * @module The local Docker provider: each machine is a node container on a private bridge network per cluster, booted
 * from its cloud-init payload by the image's `magnetar-node-init` (see ./payload.ts). Implements the provider contract
 * with host engine calls only; everything is found again by the `magnetar.cluster` label and the container name, so
 * every method is idempotent and safe to re-run after a crash.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { hostAddress } from '../../core/cidr.ts';
import { EngineError, type Engine } from '../../docker-api/engine.ts';
import { execWithInput } from '../../docker-api/exec-stdin.ts';
import type { ContainerCreateSpec, ContainerSummary, Labels, MountSpec } from '../../docker-api/engine-types.ts';
import { CLOUD_INIT_PATHS } from '../cloud-config.ts';
import {
  CLUSTER_LABEL,
  type BootstrapStatus,
  type ClusterResources,
  type Endpoint,
  type ExecOutcome,
  type ImageInfo,
  type LoadBalancer,
  type LoadBalancerSpec,
  type Machine,
  type MachineSpec,
  type MachineState,
  type Network,
  type NetworkRequest,
  type Provider,
} from '../contract.ts';
import { findFreePort } from './free-port.ts';
import { createNetworkOnFreeSubnet } from './free-network.ts';
import { DockerLoadBalancers, KIND_LABEL, LB_IMAGE, LB_KIND } from './load-balancers.ts';
import { probeNodeSecurity, securityHostConfig, type NodeSecurity } from './node-security.ts';
import { payloadArchive } from './payload.ts';
import { readTar, tarFiles } from '../../core/tar.ts';

/** Content given to the bootstrap markers of a previous boot when a stopped machine is started again. */
const STALE_MARKER = 'stale: written by a previous boot\n';

export { CLUSTER_LABEL } from '../contract.ts';
export const ROLE_LABEL = 'magnetar.role';
export const NODEGROUP_LABEL = 'magnetar.nodegroup';
export const INDEX_LABEL = 'magnetar.node-index';
export const IP_LABEL = 'magnetar.ip';
export const HOSTNAME_LABEL = 'magnetar.hostname';
/** The image the node was created from, by the name it was asked for (an upgrade compares names, not ids). */
export const IMAGE_LABEL = 'magnetar.image';
export const FLAVOR_LABEL = 'magnetar.flavor';
/** On volumes: the machine they belong to (removed with it unless kept). */
export const MACHINE_LABEL = 'magnetar.machine';
/** `magnetar.port.<name>=<host port>`: the pinned loopback port of each spec port, readable while the node is stopped. */
export const PORT_LABEL_PREFIX = 'magnetar.port.';
/** The engine port label of nodes made before ports were named (read as the `engine` port). */
const LEGACY_ENGINE_PORT_LABEL = 'magnetar.engine-port';

const RUNNING: ReadonlySet<string> = new Set(['running', 'restarting', 'paused']);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Options of {@link DockerProvider}. */
export interface DockerProviderOptions {
  /** Image of the one-off container that probes the node security mode; default: the first machine's image. */
  probeImage?: string;
  /** Image of the load-balancer containers. @default {@link LB_IMAGE} */
  lbImage?: string;
}

export class DockerProvider implements Provider {
  readonly name = 'docker-local';
  readonly host: Engine;
  readonly #probeImage: string | undefined;
  #security: Promise<NodeSecurity> | undefined;
  #ncpu: Promise<number> | undefined;
  readonly #lbs: DockerLoadBalancers;

  constructor(host: Engine, opts: DockerProviderOptions = {}) {
    this.host = host;
    this.#probeImage = opts.probeImage;
    this.#lbs = new DockerLoadBalancers(host, opts.lbImage ?? LB_IMAGE);
  }

  /** How node containers get the rights to run their daemons on this host (probed once, then cached). */
  security(image?: string): Promise<NodeSecurity> {
    const probe = this.#probeImage ?? image;
    if (!probe) throw new Error('the node security probe needs an image');
    this.#security ??= probeNodeSecurity(this.host, probe).catch((e: unknown) => {
      this.#security = undefined;
      throw e;
    });
    return this.#security;
  }

  /** CPUs of the host engine (asked once). */
  #hostCpus(): Promise<number> {
    this.#ncpu ??= this.host.info().then(
      (i) => i.NCPU,
      (e: unknown) => {
        this.#ncpu = undefined;
        throw e;
      },
    );
    return this.#ncpu;
  }

  async findNetwork(clusterUuid: string): Promise<Network | null> {
    const existing = (await this.host.listNetworks([`${CLUSTER_LABEL}=${clusterUuid}`]))[0];
    if (!existing) return null;
    const c = existing.IPAM?.Config?.[0];
    const cidr = c?.Subnet ?? '';
    return { id: existing.Id, name: existing.Name, cidr, gateway: c?.Gateway ?? hostAddress(cidr, 1), created: false };
  }

  async ensureNetwork(req: NetworkRequest): Promise<Network> {
    const name = `magnetar-${req.clusterUuid}`;
    const existing = await this.findNetwork(req.clusterUuid);
    if (existing) return existing;
    const net = await createNetworkOnFreeSubnet(this.host, {
      name,
      labels: { [CLUSTER_LABEL]: req.clusterUuid },
      preferred: req.subnetHint ?? undefined,
    });
    return { ...net, name, created: true };
  }

  async listMachines(clusterUuid: string): Promise<Machine[]> {
    const all = await this.host.listContainers([`${CLUSTER_LABEL}=${clusterUuid}`]);
    return all.filter((c) => c.Labels[ROLE_LABEL]).map(toMachine);
  }

  /** ONE host call (`GET /containers/json` filtered by the label key), grouped by cluster. */
  async observeMachines(): Promise<Map<string, Machine[]>> {
    const all = await this.host.listContainers([CLUSTER_LABEL]);
    const out = new Map<string, Machine[]>();
    for (const c of all) {
      const uuid = c.Labels[CLUSTER_LABEL];
      if (!uuid || !c.Labels[ROLE_LABEL]) continue;
      let list = out.get(uuid);
      if (!list) out.set(uuid, (list = []));
      list.push(toMachine(c));
    }
    return out;
  }

  async ensureMachine(spec: MachineSpec, signal?: AbortSignal): Promise<Machine> {
    if (!spec.name.includes(spec.clusterUuid))
      throw new RangeError(`machine name ${spec.name} does not contain the cluster UUID ${spec.clusterUuid}`);
    const archive = payloadArchive(spec.userData); // refuses a payload outside the subset before anything is made
    const existing = await this.host.inspectContainer(spec.name);
    if (existing) {
      const labels = existing.Config.Labels ?? {};
      if (labels[IMAGE_LABEL] === spec.image && RUNNING.has(existing.State.Status)) {
        const found = (await this.host.listContainers([`${CLUSTER_LABEL}=${spec.clusterUuid}`])).find(
          (c) => c.Id === existing.Id,
        );
        if (found) return toMachine(found);
      }
      await this.host.removeContainer(existing.Id);
    }
    const sec = await this.security(spec.image);
    for (const v of spec.volumes) if (!v.keep) await this.host.removeVolume(v.name);
    const limits = spec.flavor?.limits;
    const nanoCpus = limits?.nanoCpus ? Math.min(limits.nanoCpus, (await this.#hostCpus()) * 1e9) : undefined;
    const mounts: MountSpec[] = spec.volumes.map((v) => ({
      Type: 'volume',
      Source: v.name,
      Target: v.mountPath,
      VolumeOptions: { Labels: { [CLUSTER_LABEL]: spec.clusterUuid, [MACHINE_LABEL]: spec.name } },
    }));
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const ports: Record<string, number> = {};
      for (const p of spec.ports) {
        const previous = spec.previousEndpoints?.[p.name]?.port;
        ports[p.name] = attempt === 0 && previous ? previous : await findFreePort();
      }
      const labels: Labels = {
        ...spec.labels,
        [CLUSTER_LABEL]: spec.clusterUuid,
        [ROLE_LABEL]: spec.role,
        [NODEGROUP_LABEL]: spec.nodegroup,
        [INDEX_LABEL]: String(spec.index),
        [IP_LABEL]: spec.network.address,
        [HOSTNAME_LABEL]: spec.hostname,
        [IMAGE_LABEL]: spec.image,
        ...(spec.flavor ? { [FLAVOR_LABEL]: spec.flavor.name } : {}),
        ...Object.fromEntries(spec.ports.map((p) => [`${PORT_LABEL_PREFIX}${p.name}`, String(ports[p.name])])),
      };
      const body: ContainerCreateSpec = {
        Image: spec.image,
        Hostname: spec.hostname,
        Labels: labels,
        ExposedPorts: Object.fromEntries(spec.ports.map((p) => [`${p.port}/tcp`, {}])),
        StopTimeout: 30,
        HostConfig: {
          Init: true,
          ...securityHostConfig(sec),
          CgroupnsMode: 'private',
          Mounts: mounts,
          PortBindings: Object.fromEntries(
            spec.ports.map((p) => [`${p.port}/tcp`, [{ HostIp: '127.0.0.1', HostPort: String(ports[p.name]) }]]),
          ),
          RestartPolicy: { Name: 'unless-stopped' },
          ...(limits?.memoryBytes ? { Memory: limits.memoryBytes } : {}),
          ...(nanoCpus ? { NanoCpus: nanoCpus } : {}),
        },
        NetworkingConfig: {
          EndpointsConfig: { [spec.network.id]: { IPAMConfig: { IPv4Address: spec.network.address } } },
        },
      };
      const { Id } = await this.host.createContainer(spec.name, body);
      try {
        await this.host.putArchive(Id, '/', archive);
        await this.host.startContainer(Id);
      } catch (e) {
        await this.host.removeContainer(Id);
        const clash = e instanceof EngineError && /already allocated|address already in use/i.test(e.message);
        if (!clash || attempt >= 5) throw e;
        continue;
      }
      return {
        id: Id,
        name: spec.name,
        hostname: spec.hostname,
        clusterUuid: spec.clusterUuid,
        role: spec.role,
        nodegroup: spec.nodegroup,
        index: spec.index,
        image: spec.image,
        flavor: spec.flavor?.name ?? '',
        address: spec.network.address,
        state: 'running',
        status: 'running',
        endpoints: Object.fromEntries(spec.ports.map((p) => [p.name, { host: '127.0.0.1', port: ports[p.name] ?? 0 }])),
      };
    }
  }

  async startMachine(m: Pick<Machine, 'id' | 'name'>): Promise<void> {
    const id = m.id || m.name;
    // A stopped container keeps the markers of its previous boot until its init removes them: a bootstrap wait right
    // after the start would take them for this boot's. They are marked stale first (the init deletes them either way).
    const c = await this.host.inspectContainer(id);
    if (c && !c.State.Running) {
      const dir = CLOUD_INIT_PATHS.bootFinished.slice(0, CLOUD_INIT_PATHS.bootFinished.lastIndexOf('/'));
      const names = new Set((await this.#archive(id, dir)).map((e) => `/var/lib/cloud/${e.path}`));
      const stale = [CLOUD_INIT_PATHS.bootFinished, CLOUD_INIT_PATHS.bootFailed].filter((p) => names.has(p));
      if (stale.length > 0)
        await this.host.putArchive(id, '/', tarFiles(stale.map((p) => ({ path: p, content: STALE_MARKER }))));
    }
    await this.host.startContainer(id);
  }

  async removeMachine(m: Pick<Machine, 'id' | 'name'>, opts: { keepVolumes?: boolean } = {}): Promise<void> {
    await this.host.removeContainer(m.id || m.name);
    if (opts.keepVolumes) return;
    const volumes = await this.host.listVolumes([`${MACHINE_LABEL}=${m.name}`]);
    await Promise.all(volumes.map((v) => this.host.removeVolume(v.Name)));
  }

  async removeCluster(clusterUuid: string): Promise<ClusterResources> {
    const filter = [`${CLUSTER_LABEL}=${clusterUuid}`];
    const removed: ClusterResources = { machines: 0, volumes: 0, networks: 0, loadBalancers: 0 };
    // A container attached meanwhile (a load-balancer sync that read the cluster before its deletion began) keeps the
    // network busy: the containers are listed and removed again, a few rounds at most.
    for (let round = 0; ; round++) {
      removed.loadBalancers += await this.#lbs.removeCluster(clusterUuid);
      const containers = await this.host.listContainers(filter);
      await Promise.all(containers.map((c) => this.host.removeContainer(c.Id)));
      removed.machines += containers.length;
      const volumes = await this.host.listVolumes(filter);
      await Promise.all(volumes.map((v) => this.host.removeVolume(v.Name)));
      removed.volumes += volumes.length;
      const networks = await this.host.listNetworks(filter);
      try {
        await Promise.all(networks.map((n) => this.host.removeNetwork(n.Id)));
        removed.networks += networks.length;
        return removed;
      } catch (e) {
        if (round >= 2 || !(e instanceof EngineError && /active endpoints/i.test(e.message))) throw e;
      }
    }
  }

  async leftovers(clusterUuid: string): Promise<ClusterResources> {
    const filter = [`${CLUSTER_LABEL}=${clusterUuid}`];
    const [c, v, n] = await Promise.all([
      this.host.listContainers(filter),
      this.host.listVolumes(filter),
      this.host.listNetworks(filter),
    ]);
    const lbs = c.filter((x) => x.Labels[KIND_LABEL] === LB_KIND).length;
    return { machines: c.length - lbs, volumes: v.length, networks: n.length, loadBalancers: lbs };
  }

  ensureLoadBalancer(spec: LoadBalancerSpec, signal?: AbortSignal): Promise<LoadBalancer> {
    return this.#lbs.ensure(spec, signal);
  }

  listLoadBalancers(clusterUuid: string): Promise<LoadBalancer[]> {
    return this.#lbs.list(clusterUuid);
  }

  observeLoadBalancers(): Promise<Map<string, LoadBalancer[]>> {
    return this.#lbs.observe();
  }

  removeLoadBalancer(lb: Pick<LoadBalancer, 'id' | 'name'>): Promise<void> {
    return this.#lbs.remove(lb);
  }

  endpoint(m: Pick<Machine, 'endpoints'>, port: string): Endpoint | null {
    return m.endpoints[port] ?? null;
  }

  /** Reads `/var/lib/cloud/instance` (one archive call) and, when it failed or asked, the output log's tail. */
  async bootstrapStatus(
    m: Pick<Machine, 'id' | 'name'>,
    opts: { tailLines?: number; signal?: AbortSignal } = {},
  ): Promise<BootstrapStatus> {
    const id = m.id || m.name;
    const dir = CLOUD_INIT_PATHS.bootFinished.slice(0, CLOUD_INIT_PATHS.bootFinished.lastIndexOf('/'));
    const names = new Set(
      (await this.#archive(id, dir))
        .filter((e) => e.content.toString('utf8') !== STALE_MARKER)
        .map((e) => `/var/lib/cloud/${e.path}`),
    );
    const state = names.has(CLOUD_INIT_PATHS.bootFailed)
      ? 'failed'
      : names.has(CLOUD_INIT_PATHS.bootFinished)
        ? 'done'
        : 'pending';
    const tail = opts.tailLines ?? (state === 'failed' ? 20 : 0);
    let output = '';
    if (tail > 0) {
      const log = (await this.#archive(id, CLOUD_INIT_PATHS.outputLog))[0]?.content.toString('utf8') ?? '';
      output = log.trimEnd().split('\n').slice(-tail).join('\n');
    }
    return { state, output };
  }

  async waitBootstrap(
    m: Pick<Machine, 'id' | 'name'>,
    opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
  ): Promise<BootstrapStatus> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      opts.signal?.throwIfAborted();
      const s = await this.bootstrapStatus(m, { signal: opts.signal });
      if (s.state !== 'pending') return s;
      if (Date.now() >= deadline) return this.bootstrapStatus(m, { tailLines: 20 });
      await sleep(Math.min(opts.intervalMs ?? 200, Math.max(1, deadline - Date.now())));
    }
  }

  /** An exec in the node container (root), `input` on its standard input. */
  async exec(
    m: Pick<Machine, 'id' | 'name'>,
    argv: readonly string[],
    opts: { input?: string; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<ExecOutcome> {
    opts.signal?.throwIfAborted();
    const input = Readable.from(opts.input === undefined ? [] : [Buffer.from(opts.input, 'utf8')]);
    return execWithInput(this.host, m.id || m.name, argv, input, opts.timeoutMs);
  }

  async image(ref: string): Promise<ImageInfo | null> {
    const i = await this.host.inspectImage(ref);
    return i ? { id: i.Id, properties: { ...(i.Config?.Labels ?? {}) } } : null;
  }

  resolvers(): Promise<string[]> {
    return hostResolvers();
  }

  /** Entries of a path's archive; none when the path (or the container) does not exist. */
  async #archive(id: string, path: string): Promise<ReturnType<typeof readTar>> {
    try {
      return readTar(await this.host.getArchive(id, path));
    } catch (e) {
      if (e instanceof EngineError && e.status === 404) return [];
      throw e;
    }
  }
}

/** A node container's state in the contract's words. */
export function machineState(dockerState: string): MachineState {
  switch (dockerState) {
    case 'running':
      return 'running';
    case 'restarting':
      return 'pending';
    case 'paused':
      return 'paused';
    case 'exited':
      return 'stopped';
    default:
      return 'failed'; // created (never started), dead, removing
  }
}

function toMachine(c: ContainerSummary): Machine {
  const endpoints: Record<string, Endpoint> = {};
  for (const [k, v] of Object.entries(c.Labels)) {
    if (!k.startsWith(PORT_LABEL_PREFIX)) continue;
    endpoints[k.slice(PORT_LABEL_PREFIX.length)] = { host: '127.0.0.1', port: Number(v) };
  }
  if (!endpoints.engine && c.Labels[LEGACY_ENGINE_PORT_LABEL]) {
    const published = c.Ports.find((p) => p.PrivatePort === 2376 && p.PublicPort)?.PublicPort;
    endpoints.engine = { host: '127.0.0.1', port: published ?? Number(c.Labels[LEGACY_ENGINE_PORT_LABEL]) };
  }
  const name = (c.Names[0] ?? '').replace(/^\//, '');
  return {
    id: c.Id,
    name,
    hostname: c.Labels[HOSTNAME_LABEL] ?? name,
    clusterUuid: c.Labels[CLUSTER_LABEL] ?? '',
    role: c.Labels[ROLE_LABEL] ?? 'worker',
    nodegroup: c.Labels[NODEGROUP_LABEL] ?? '',
    index: Number(c.Labels[INDEX_LABEL] ?? 0),
    image: c.Labels[IMAGE_LABEL] ?? c.Image,
    flavor: c.Labels[FLAVOR_LABEL] ?? '',
    address: c.Labels[IP_LABEL] ?? '',
    state: machineState(c.State),
    status: c.State,
    endpoints,
  };
}

/** Upstream resolvers of this host (not loopback ones), for nodes of clusters that name no DNS servers. */
export async function hostResolvers(path = '/etc/resolv.conf'): Promise<string[]> {
  try {
    const text = await readFile(path, 'utf8');
    return [...text.matchAll(/^nameserver\s+(\S+)/gm)]
      .map((m) => m[1] as string)
      .filter((ip) => !ip.startsWith('127.') && ip !== '::1');
  } catch {
    return [];
  }
}
