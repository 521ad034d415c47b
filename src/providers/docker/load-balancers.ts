/**
 * @module The local provider's load balancers, the stand-in for Octavia: one container per load balancer, running
 * haproxy (image `magnetar/lb-haproxy`, built by `magnetar image build`), on the cluster's bridge network at a fixed
 * VIP which the host reaches directly. Listeners, pools, members, health monitors and allowed CIDRs are its haproxy
 * configuration (./haproxy-config.ts), PUT into the container; a change is PUT again and haproxy reloads (SIGUSR2 to
 * its master process) without dropping connections. The applied listeners are written last, as canonical JSON, so
 * a run killed half-way is seen as "not applied" and done again. Found again by name and labels only.
 */
import { EngineError, type Engine } from '../../docker-api/engine.ts';
import type { ContainerCreateSpec, ContainerSummary } from '../../docker-api/engine-types.ts';
import {
  CLUSTER_LABEL,
  LB_PURPOSE_LABEL,
  type Endpoint,
  type LbListenerSpec,
  type LoadBalancer,
  type LoadBalancerSpec,
  type LoadBalancerState,
} from '../contract.ts';
import {
  APPLIED_LISTENERS,
  canonicalListeners,
  checkLbSpec,
  HAPROXY_CONFIG,
  renderHaproxyConfig,
  sameListeners,
} from './haproxy-config.ts';
import { readTar, tarFiles } from '../../core/tar.ts';

/** Says what a labelled container is: `load-balancer` (node containers carry a role label instead). */
export const KIND_LABEL = 'magnetar.kind';
export const LB_KIND = 'load-balancer';
export const LB_VIP_LABEL = 'magnetar.lb-vip';
export const LB_NETWORK_LABEL = 'magnetar.lb-network';
export const LB_NAME_LABEL = 'magnetar.lb-name';
/** The image the load balancer runs (haproxy from Debian on the Kubernetes images' base). */
export const LB_IMAGE = 'magnetar/lb-haproxy:bookworm';
/** Memory bound of one load-balancer container (haproxy with maxconn 4096 needs far less). */
const LB_MEMORY = 128 * 1024 * 1024;

/** A load-balancer container's state in the contract's words. */
export function lbState(dockerState: string): LoadBalancerState {
  switch (dockerState) {
    case 'running':
      return 'active';
    case 'restarting':
    case 'created':
      return 'pending';
    case 'exited':
    case 'paused':
      return 'stopped';
    default:
      return 'error'; // dead, removing
  }
}

/** What {@link DockerLoadBalancers.ensure} must do to an observed load balancer to serve a spec. */
export type LbAction = 'create' | 'recreate' | 'start' | 'reconfigure' | 'none';

/**
 * The decision (pure): none there → create; on another VIP, network or image, or dead → recreate; stopped → PUT the
 * configuration and start; running with other listeners (or none readable) → reconfigure; else nothing.
 */
export function lbAction(
  observed: {
    vip: string;
    network: string;
    image: string;
    state: LoadBalancerState;
    applied: LbListenerSpec[] | null;
  } | null,
  spec: LoadBalancerSpec,
  image: string,
): LbAction {
  if (!observed) return 'create';
  if (
    observed.vip !== spec.network.vipAddress ||
    observed.network !== spec.network.id ||
    observed.image !== image ||
    observed.state === 'error'
  )
    return 'recreate';
  if (observed.state !== 'active') return 'start';
  return observed.applied && sameListeners(observed.applied, spec.listeners) ? 'none' : 'reconfigure';
}

export class DockerLoadBalancers {
  readonly #host: Engine;
  readonly #image: string;

  constructor(host: Engine, image = LB_IMAGE) {
    this.#host = host;
    this.#image = image;
  }

  async ensure(spec: LoadBalancerSpec, signal?: AbortSignal): Promise<LoadBalancer> {
    checkLbSpec(spec);
    const existing = await this.#host.inspectContainer(spec.name);
    const labels = existing?.Config.Labels ?? {};
    const state = existing ? lbState(existing.State.Status) : 'error';
    const applied = existing && state === 'active' ? await this.#applied(existing.Id) : null;
    const action = lbAction(
      existing
        ? {
            vip: labels[LB_VIP_LABEL] ?? '',
            network: labels[LB_NETWORK_LABEL] ?? '',
            image: existing.Config.Image,
            state,
            applied,
          }
        : null,
      spec,
      this.#image,
    );
    signal?.throwIfAborted();
    const files = configFiles(spec);
    let id = existing?.Id ?? '';
    switch (action) {
      case 'none':
        break;
      case 'reconfigure':
        // The configuration, then the reload, then the marker: a run killed before the marker is done again.
        await this.#host.putArchive(id, '/', tarFiles([files.config], { parents: false }));
        await this.#host.killContainer(id, 'SIGUSR2');
        await this.#host.putArchive(id, '/', tarFiles([files.applied], { parents: false }));
        break;
      case 'start':
        await this.#host.putArchive(id, '/', tarFiles([files.config, files.applied], { parents: false }));
        await this.#host.startContainer(id);
        break;
      case 'recreate':
      case 'create':
        if (existing) await this.#host.removeContainer(existing.Id);
        id = await this.#create(spec, files);
        break;
    }
    const found = (await this.#host.listContainers([`${LB_NAME_LABEL}=${spec.name}`])).find((c) => c.Id === id);
    if (!found) throw new Error(`load balancer ${spec.name} vanished while it was being made`);
    return toLoadBalancer(found, canonicalListeners(spec.listeners));
  }

  async list(clusterUuid: string): Promise<LoadBalancer[]> {
    const all = await this.#host.listContainers([`${CLUSTER_LABEL}=${clusterUuid}`, `${KIND_LABEL}=${LB_KIND}`]);
    return Promise.all(
      all.map(async (c) => toLoadBalancer(c, (c.State === 'running' ? await this.#applied(c.Id) : null) ?? [])),
    );
  }

  async remove(lb: Pick<LoadBalancer, 'id' | 'name'>): Promise<void> {
    await this.#host.removeContainer(lb.id || lb.name);
  }

  /** ONE host call (`GET /containers/json` filtered by the kind label), grouped by cluster; state only. */
  async observe(): Promise<Map<string, LoadBalancer[]>> {
    const out = new Map<string, LoadBalancer[]>();
    for (const c of await this.#host.listContainers([`${KIND_LABEL}=${LB_KIND}`])) {
      const lb = toLoadBalancer(c, []);
      const list = out.get(lb.clusterUuid);
      if (list) list.push(lb);
      else out.set(lb.clusterUuid, [lb]);
    }
    return out;
  }

  /** Removes every load balancer of the cluster; returns how many there were. */
  async removeCluster(clusterUuid: string): Promise<number> {
    const all = await this.#host.listContainers([`${CLUSTER_LABEL}=${clusterUuid}`, `${KIND_LABEL}=${LB_KIND}`]);
    await Promise.all(all.map((c) => this.#host.removeContainer(c.Id)));
    return all.length;
  }

  async #create(spec: LoadBalancerSpec, files: ReturnType<typeof configFiles>): Promise<string> {
    if (!(await this.#host.inspectImage(this.#image)))
      throw new Error(
        `the load balancer image ${this.#image} does not exist: build it with magnetar image build --coe kubernetes`,
      );
    const body: ContainerCreateSpec = {
      Image: this.#image,
      Hostname: 'lb',
      Labels: {
        ...spec.labels,
        [CLUSTER_LABEL]: spec.clusterUuid,
        [KIND_LABEL]: LB_KIND,
        [LB_PURPOSE_LABEL]: spec.purpose,
        [LB_NAME_LABEL]: spec.name,
        [LB_VIP_LABEL]: spec.network.vipAddress,
        [LB_NETWORK_LABEL]: spec.network.id,
      },
      StopTimeout: 5,
      HostConfig: {
        Init: true,
        RestartPolicy: { Name: 'unless-stopped' },
        Memory: LB_MEMORY,
        CapDrop: ['ALL'],
        CapAdd: ['NET_BIND_SERVICE'],
      },
      NetworkingConfig: {
        EndpointsConfig: { [spec.network.id]: { IPAMConfig: { IPv4Address: spec.network.vipAddress } } },
      },
    };
    const { Id } = await this.#host.createContainer(spec.name, body);
    try {
      await this.#host.putArchive(Id, '/', tarFiles([files.config, files.applied], { parents: false }));
      await this.#host.startContainer(Id);
    } catch (e) {
      await this.#host.removeContainer(Id);
      if (e instanceof EngineError && /already allocated|address already in use/i.test(e.message))
        throw new Error(`VIP ${spec.network.vipAddress} of load balancer ${spec.name} is in use on the network`, {
          cause: e,
        });
      throw e;
    }
    return Id;
  }

  /** The listeners last applied, or null when the marker cannot be read (then the configuration is PUT again). */
  async #applied(id: string): Promise<LbListenerSpec[] | null> {
    try {
      const entry = readTar(await this.#host.getArchive(id, APPLIED_LISTENERS))[0];
      const parsed: unknown = entry ? JSON.parse(entry.content.toString('utf8')) : null;
      return Array.isArray(parsed) ? (parsed as LbListenerSpec[]) : null;
    } catch (e) {
      if ((e instanceof EngineError && e.status === 404) || e instanceof SyntaxError) return null;
      throw e;
    }
  }
}

/** The two files of a load balancer: its haproxy configuration and the applied-listeners marker. */
function configFiles(spec: LoadBalancerSpec): {
  config: { path: string; content: string; mode: number };
  applied: { path: string; content: string; mode: number };
} {
  return {
    config: { path: HAPROXY_CONFIG, content: renderHaproxyConfig(spec), mode: 0o644 },
    applied: {
      path: APPLIED_LISTENERS,
      content: `${JSON.stringify(canonicalListeners(spec.listeners))}\n`,
      mode: 0o644,
    },
  };
}

function toLoadBalancer(c: ContainerSummary, listeners: LbListenerSpec[]): LoadBalancer {
  const vip = c.Labels[LB_VIP_LABEL] ?? '';
  const endpoints: Record<string, Endpoint> = {};
  for (const l of listeners) endpoints[l.name] = { host: vip, port: l.port };
  return {
    id: c.Id,
    name: c.Labels[LB_NAME_LABEL] ?? (c.Names[0] ?? '').replace(/^\//, ''),
    clusterUuid: c.Labels[CLUSTER_LABEL] ?? '',
    purpose: c.Labels[LB_PURPOSE_LABEL] ?? '',
    vipAddress: vip,
    state: lbState(c.State),
    status: c.State,
    labels: { ...c.Labels },
    listeners,
    endpoints,
  };
}
