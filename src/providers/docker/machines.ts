/**
 * @module Local "machines": each node is a container running its own dockerd, on a private bridge network per cluster.
 * COE-agnostic; drivers build clusters from these. Everything is found again by the `magnetar.cluster` label, so every
 * method is idempotent and safe to re-run after a crash.
 */
import { readFile } from 'node:fs/promises';
import { Engine, EngineError, type EngineEndpoint, type EngineOptions } from './engine.ts';
import type { ContainerCreateSpec, ContainerSummary } from './engine-types.ts';
import { findFreePort } from './free-port.ts';
import { probeNodeSecurity, securityHostConfig, type NodeSecurity } from './node-security.ts';
import { hostAddress, pickFreeSubnet, usedSubnets } from './subnets.ts';
import { tarFiles } from './tar.ts';

export const CLUSTER_LABEL = 'magnetar.cluster';
export const ROLE_LABEL = 'magnetar.role';
export const NODEGROUP_LABEL = 'magnetar.nodegroup';
export const INDEX_LABEL = 'magnetar.node-index';
export const IP_LABEL = 'magnetar.ip';
export const HOSTNAME_LABEL = 'magnetar.hostname';
/** The image the node was created from, by the name it was asked for (an upgrade compares names, not ids). */
export const IMAGE_LABEL = 'magnetar.image';
export const FLAVOR_LABEL = 'magnetar.flavor';
/** The pinned loopback port (also readable while the node is stopped, when the engine lists no ports). */
export const PORT_LABEL = 'magnetar.engine-port';
export const ENGINE_PORT = 2376;

/** The named volume holding a node's /var/lib/docker (kept across an in-place replacement, e.g. of a manager). */
export const dataVolumeName = (machineName: string): string => `${machineName}-data`;

/** Makes the Engine clients of node engines (tests and benchmarks wrap them to count calls). */
export type NodeEngineFactory = (endpoint: EngineEndpoint, opts: EngineOptions) => Engine;

/** A node container as observed. */
export interface Machine {
  id: string;
  name: string;
  hostname: string;
  role: string;
  nodegroup: string;
  index: number;
  ip: string;
  /** Pinned 127.0.0.1 port of the node's TLS engine API. */
  hostPort: number;
  state: string;
  /** Image name the node was created from. */
  image: string;
  flavor: string;
}

/** What a new node needs. */
export interface MachineSpec {
  clusterUuid: string;
  name: string;
  hostname: string;
  role: string;
  nodegroup: string;
  index: number;
  ip: string;
  image: string;
  network: string;
  /** Files written into the node before it starts (daemon.json, TLS material): path → content. */
  files: Record<string, string>;
  memoryBytes?: number;
  /** CPU limit; capped at the host's CPU count (the engine refuses more). */
  nanoCpus?: number;
  /** Flavor name, recorded as a label. */
  flavor?: string;
  /** Loopback port to publish the engine on when free (a replaced node keeps its address); else any free port. */
  hostPort?: number;
  /** Keep an existing data volume of this node (in-place replacement) instead of starting from an empty one. */
  keepData?: boolean;
}

export class LocalMachines {
  readonly host: Engine;
  #security: Promise<NodeSecurity> | undefined;
  readonly #image: string;
  readonly #nodeEngine: NodeEngineFactory;
  #ncpu: Promise<number> | undefined;

  constructor(host: Engine, probeImage: string, opts: { nodeEngine?: NodeEngineFactory } = {}) {
    this.host = host;
    this.#image = probeImage;
    this.#nodeEngine = opts.nodeEngine ?? ((endpoint, o) => new Engine(endpoint, o));
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

  /** How node containers get the rights to run dockerd on this host (probed once, then cached). */
  security(): Promise<NodeSecurity> {
    this.#security ??= probeNodeSecurity(this.host, this.#image).catch((e: unknown) => {
      this.#security = undefined;
      throw e;
    });
    return this.#security;
  }

  /** The cluster's network, created on `preferred` or on the first free 10.x.y.0/24 when missing. */
  async ensureNetwork(
    clusterUuid: string,
    name: string,
    preferred: string | null,
  ): Promise<{ id: string; subnet: string; created: boolean }> {
    const existing = (await this.host.listNetworks([`${CLUSTER_LABEL}=${clusterUuid}`]))[0];
    const subnetOf = (n: { IPAM?: { Config?: { Subnet?: string }[] | null } }): string =>
      n.IPAM?.Config?.[0]?.Subnet ?? '';
    if (existing) return { id: existing.Id, subnet: subnetOf(existing), created: false };
    // A network another create is still setting up already holds its pool but is not listed yet: remember the
    // subnets refused as overlapping, or concurrent creates keep picking the same one.
    const refused: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const used = await usedSubnets(this.host);
      const subnet = preferred && attempt === 0 ? preferred : pickFreeSubnet([...used, ...refused]);
      if (!subnet) throw new Error('no free 10.x.y.0/24 subnet left on this host');
      try {
        const { Id } = await this.host.createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          IPAM: { Config: [{ Subnet: subnet, Gateway: hostAddress(subnet, 1) }] },
          Labels: { [CLUSTER_LABEL]: clusterUuid },
        });
        return { id: Id, subnet, created: true };
      } catch (e) {
        const overlap = e instanceof EngineError && /overlap/i.test(e.message);
        if (overlap && preferred && attempt === 0)
          throw new Error(`fixed_subnet ${preferred} overlaps a network in use on this host`, { cause: e });
        if (!overlap) throw e;
        refused.push(subnet);
      }
    }
    throw new Error('could not find a free subnet after 20 attempts');
  }

  /** Node containers of the cluster, as they are now. */
  async list(clusterUuid: string): Promise<Machine[]> {
    const all = await this.host.listContainers([`${CLUSTER_LABEL}=${clusterUuid}`]);
    return all.filter((c) => c.Labels[ROLE_LABEL]).map(toMachine);
  }

  /** Node containers of EVERY cluster, by cluster UUID, from one host call (`GET /containers/json` by label key). */
  async listAll(): Promise<Map<string, Machine[]>> {
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

  /** Creates, configures and starts a node; a port clash at start is retried with another port. */
  async create(spec: MachineSpec): Promise<Machine> {
    const sec = await this.security();
    const volume = dataVolumeName(spec.name);
    if (!spec.keepData) await this.host.removeVolume(volume);
    const nanoCpus = spec.nanoCpus ? Math.min(spec.nanoCpus, (await this.#hostCpus()) * 1e9) : undefined;
    for (let attempt = 0; ; attempt++) {
      const port = attempt === 0 && spec.hostPort ? spec.hostPort : await findFreePort();
      const body: ContainerCreateSpec = {
        Image: spec.image,
        Hostname: spec.hostname,
        Labels: {
          [CLUSTER_LABEL]: spec.clusterUuid,
          [ROLE_LABEL]: spec.role,
          [NODEGROUP_LABEL]: spec.nodegroup,
          [INDEX_LABEL]: String(spec.index),
          [IP_LABEL]: spec.ip,
          [HOSTNAME_LABEL]: spec.hostname,
          [IMAGE_LABEL]: spec.image,
          [PORT_LABEL]: String(port),
          ...(spec.flavor ? { [FLAVOR_LABEL]: spec.flavor } : {}),
        },
        ExposedPorts: { [`${ENGINE_PORT}/tcp`]: {} },
        StopTimeout: 30,
        HostConfig: {
          Init: true,
          ...securityHostConfig(sec),
          CgroupnsMode: 'private',
          Mounts: [
            {
              Type: 'volume',
              Source: volume,
              Target: '/var/lib/docker',
              VolumeOptions: { Labels: { [CLUSTER_LABEL]: spec.clusterUuid } },
            },
          ],
          PortBindings: { [`${ENGINE_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
          RestartPolicy: { Name: 'unless-stopped' },
          ...(spec.memoryBytes ? { Memory: spec.memoryBytes } : {}),
          ...(nanoCpus ? { NanoCpus: nanoCpus } : {}),
        },
        NetworkingConfig: { EndpointsConfig: { [spec.network]: { IPAMConfig: { IPv4Address: spec.ip } } } },
      };
      const { Id } = await this.host.createContainer(spec.name, body);
      await this.host.putArchive(
        Id,
        '/',
        tarFiles(
          Object.entries(spec.files).map(([path, content]) => ({
            path,
            content,
            mode: path.includes('key') ? 0o600 : 0o644,
          })),
        ),
      );
      try {
        await this.host.startContainer(Id);
      } catch (e) {
        await this.host.removeContainer(Id);
        const clash = e instanceof EngineError && /already allocated|address already in use/i.test(e.message);
        if (!clash || attempt >= 5) throw e;
        continue;
      }
      const { name, hostname, role, nodegroup, index, ip, image } = spec;
      return {
        id: Id,
        name,
        hostname,
        role,
        nodegroup,
        index,
        ip,
        hostPort: port,
        state: 'running',
        image,
        flavor: spec.flavor ?? '',
      };
    }
  }

  async start(m: Machine): Promise<void> {
    await this.host.startContainer(m.id);
  }

  /** Removes a node container and (unless `keepData`) its data volume. */
  async remove(m: Machine, opts: { keepData?: boolean } = {}): Promise<void> {
    await this.host.removeContainer(m.id);
    if (!opts.keepData) await this.host.removeVolume(dataVolumeName(m.name));
  }

  /** Removes every container, volume and network labelled with the cluster; returns what was still there. */
  async removeAll(clusterUuid: string): Promise<{ containers: number; volumes: number; networks: number }> {
    const filter = [`${CLUSTER_LABEL}=${clusterUuid}`];
    const containers = await this.host.listContainers(filter);
    await Promise.all(containers.map((c) => this.host.removeContainer(c.Id)));
    const volumes = await this.host.listVolumes(filter);
    await Promise.all(volumes.map((v) => this.host.removeVolume(v.Name)));
    const networks = await this.host.listNetworks(filter);
    await Promise.all(networks.map((n) => this.host.removeNetwork(n.Id)));
    return { containers: containers.length, volumes: volumes.length, networks: networks.length };
  }

  /** Anything labelled with the cluster that is left. */
  async leftovers(clusterUuid: string): Promise<{ containers: number; volumes: number; networks: number }> {
    const filter = [`${CLUSTER_LABEL}=${clusterUuid}`];
    const [c, v, n] = await Promise.all([
      this.host.listContainers(filter),
      this.host.listVolumes(filter),
      this.host.listNetworks(filter),
    ]);
    return { containers: c.length, volumes: v.length, networks: n.length };
  }

  /** An Engine client for a node's own dockerd on its pinned loopback port: mutual TLS, or plain for TLS-disabled clusters. */
  nodeEngine(
    m: Pick<Machine, 'hostPort'>,
    tls: { ca: string; cert: string; key: string } | null,
    timeoutMs = 30_000,
  ): Engine {
    const endpoint = {
      host: '127.0.0.1',
      port: m.hostPort,
      ...(tls ? { tls: { ...tls, servername: 'localhost' } } : {}),
    };
    return this.#nodeEngine(endpoint, { timeoutMs });
  }
}

function toMachine(c: ContainerSummary): Machine {
  const port =
    c.Ports.find((p) => p.PrivatePort === ENGINE_PORT && p.PublicPort)?.PublicPort ?? Number(c.Labels[PORT_LABEL] ?? 0);
  return {
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    hostname: c.Labels[HOSTNAME_LABEL] ?? (c.Names[0] ?? '').replace(/^\//, ''),
    role: c.Labels[ROLE_LABEL] ?? 'worker',
    nodegroup: c.Labels[NODEGROUP_LABEL] ?? '',
    index: Number(c.Labels[INDEX_LABEL] ?? 0),
    ip: c.Labels[IP_LABEL] ?? '',
    hostPort: port,
    state: c.State,
    image: c.Labels[IMAGE_LABEL] ?? c.Image,
    flavor: c.Labels[FLAVOR_LABEL] ?? '',
  };
}

/** Upstream resolvers of this host (not loopback ones), for the nodes' dockerd `dns` setting. */
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
