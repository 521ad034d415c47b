/**
 * @module The `kubernetes` driver: a Kubernetes cluster (etcd with TLS and the control plane on the master; containerd,
 * kubelet, kube-proxy and flanneld on every node) whose nodes come from a provider, each booted by its cloud-init
 * payload (`./payload.ts`). One `ensureCluster` serves create, resize, node groups, heal and ca-rotate (`./ca-rotate.ts`,
 * after the machines are there and before the apiserver is asked anything): it observes the machines
 * (by the cluster's label) and, when nodes must go, the cluster's pods; plans from the desired counts (stable node
 * numbering, `../local-common/node-plan.ts`); scale-in (cordon, drain through the Eviction API, delete the Node, then
 * the machine) → machines (create with their payloads, start stopped ones) → bootstrap → apiserver ready → add-ons →
 * nodes labelled and Ready → CoreDNS available. Every step only does what is missing, so a killed run converges.
 */
import { conflict, MagnumError, invalid } from '../../core/errors.ts';
import {
  checkKubeTag,
  checkKubeUpgrade,
  groupKubeTag,
  KUBE_TAG_LABEL,
  parseKubeTag,
} from '../../core/kube-versions.ts';
import type { Labels } from '../../core/labels.ts';
import type { Endpoint, Machine, Network, Provider } from '../../providers/contract.ts';
import {
  API_LOAD_BALANCER_STATE,
  DriverError,
  type Capability,
  type ClusterOutputs,
  type ClusterSpec,
  type Driver,
  type DriverContext,
  type DriverKey,
  type HealthContext,
  type HealthReport,
  type LoadBalancerSyncContext,
  type LoadBalancerSyncReport,
  type TemplateView,
  type UpgradeView,
} from '../contract.ts';
import {
  MAX_MASTERS,
  planNodes,
  resolveNodesToRemove,
  hostPrefix,
  type NodePlan,
  type PlanInput,
  type PlannedNode,
} from '../local-common/node-plan.ts';
import { describeResources, resourceCount } from '../local-common/resources.ts';
import { addons, DEFAULT_ADDON_IMAGES, nodeLabels, type AddonImages } from './addons.ts';
import { overlaps, parseCidr } from './cidr.ts';
import { rotateCa } from './ca-rotate.ts';
import { applyAll, staleNodes, waitApiReady, waitDeployment, waitNodesReady } from './cluster-ops.ts';
import { drain, evictable, uncordon } from './drain.ts';
import { kubeHealth, type ApiAnswer } from './health.ts';
import { KubeApi, KubeApiError, KubeUnreachableError, type KubeNode, type KubePod } from './kube-api.ts';
import { API_LB_LISTENER, apiBalancerSpec } from './api-balancer.ts';
import { controlPlane, etcdQuorum } from './control-plane.ts';
import { APISERVER_PORT } from './layout.ts';
import {
  clusterSecrets,
  KUBE_API_PORT,
  machineSpec,
  nodeAddress,
  nodeConfig,
  kubeImage,
  type SpecContext,
} from './machines.ts';
import { newSyncMemory, syncServiceLoadBalancers, type SyncMemory } from './service-lb-sync.ts';
import { kubeSettings, type KubeSettings } from './settings.ts';
import { imageTag, REPLACED_ENDPOINTS, rollingUpgrade, waitNodeAt } from './upgrade.ts';

const HEALTH_CALL_MS = 5_000;
/** Bound of each apiserver call of a load-balancer sync. */
const LB_SYNC_CALL_MS = 10_000;
/** How long a worker's kubelet may report NotReady (Ready=False) before auto-healing makes the node again. */
const NOT_READY_GRACE_MS = 60_000;
/** Driver-state key: hostnames this driver cordoned and must make schedulable again if it was interrupted. */
const CORDONED = 'cordoned';
/** Driver-state key: the masters' etcd members formed the cluster (a member made again later joins it). */
const ETCD_FORMED = 'etcd_formed';

export interface KubernetesDriverOptions {
  provider: Provider;
  /** Also serve server_type `vm` on this provider (clients such as python-magnumclient always send it). */
  serveVm: boolean;
  /** How long a drain waits for evictions (PodDisruptionBudgets) before the node goes anyway. @default 60000 */
  drainTimeoutMs?: number;
  /**
   * How long an upgrade's drain of one node waits for evictions; when they have not all happened by then the upgrade
   * stops (UPDATE_FAILED) and the node stays, schedulable, on its old version. @default 180000
   */
  upgradeDrainTimeoutMs?: number;
  /** The add-on images preloaded on the nodes. @default {@link DEFAULT_ADDON_IMAGES} */
  addonImages?: AddonImages;
  /** Time limits of the waits, in ms. */
  timeouts?: Partial<Record<'bootstrap' | 'apiserver' | 'nodes' | 'addons', number>>;
}

const DEFAULT_TIMEOUTS = { bootstrap: 180_000, apiserver: 180_000, nodes: 240_000, addons: 180_000 };

/** Runs one phase, turning any failure into a DriverError that names it; unreachable/timeouts are retryable. */
async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DriverError) throw e;
    if ((e as Error).name === 'AbortError') throw e;
    const msg = (e as Error).message;
    const retryable =
      e instanceof KubeUnreachableError ||
      (e instanceof KubeApiError && (e.status >= 500 || e.status === 429 || e.status === 409)) ||
      /timeout|ECONNRESET|ECONNREFUSED|socket hang up|unreachable/i.test(msg);
    throw new DriverError(name, msg, { retryable, cause: e });
  }
}

export class KubernetesDriver implements Driver {
  readonly name = 'kubernetes';
  readonly provides: readonly DriverKey[];
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>([
    'resize',
    'upgrade',
    'nodegroups',
    'health',
    'load-balancers',
    'rotate-ca',
  ]);
  readonly #lbMemory: SyncMemory = newSyncMemory();
  readonly defaultNetworkDriver = 'flannel';
  readonly #p: Provider;
  readonly #drainMs: number;
  readonly #upgradeDrainMs: number;
  readonly #images: AddonImages;
  readonly #t: typeof DEFAULT_TIMEOUTS;

  constructor(opts: KubernetesDriverOptions) {
    this.#p = opts.provider;
    this.#drainMs = opts.drainTimeoutMs ?? 60_000;
    this.#upgradeDrainMs = opts.upgradeDrainTimeoutMs ?? 180_000;
    this.#images = opts.addonImages ?? DEFAULT_ADDON_IMAGES;
    this.#t = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    const types = opts.serveVm ? ['container', 'vm'] : ['container'];
    this.provides = types.map((serverType) => ({ serverType, os: 'debian', coe: 'kubernetes' }));
  }

  /**
   * Labels (see `./settings.ts`), network driver flannel, no volume driver, several masters only behind a load
   * balancer (Magnum's rule and message; even counts are accepted, as Magnum does) and at most {@link MAX_MASTERS},
   * and the node image of the asked Kubernetes version built.
   */
  async validateTemplate(t: TemplateView): Promise<void> {
    kubeSettings(t.labels, { networkDriver: t.network_driver, fixedSubnet: t.fixed_subnet ?? null });
    if (t.volume_driver)
      throw invalid(`Volume driver type ${t.volume_driver} is not supported by the ${this.name} driver.`);
    if (t.tls_disabled)
      throw invalid(`tls_disabled is not supported by the ${this.name} driver: the apiserver always uses TLS.`);
    if (t.master_count !== undefined && t.master_count > 1 && !t.master_lb_enabled)
      throw invalid('master_count must be 1 when master_lb_enabled is False');
    if (t.master_count !== undefined && t.master_count > MAX_MASTERS)
      throw invalid(
        `master_count ${t.master_count} is not valid: the ${this.name} driver runs at most ${MAX_MASTERS} masters per cluster.`,
      );
    await kubeImage(this.#p, t.labels);
  }

  /**
   * An upgrade, checked before it is queued as Magnum's Kubernetes driver checks it: the template must name a
   * `kube_tag` (409 InvalidClusterTemplateForUpgrade, Magnum's message), never down from the node group's version
   * and one minor at a time (400 InvalidVersion, `core/kube-versions.ts`), and its node image built (400 naming the
   * build command). The group — for a default group also the cluster and the other default group — then carries the
   * template's `kube_tag` (Magnum's `get_new_labels`).
   */
  async upgradeLabels(u: UpgradeView): Promise<Labels> {
    const next = u.next.labels[KUBE_TAG_LABEL];
    if (!next) {
      throw conflict(
        'InvalidClusterTemplateForUpgrade',
        `Cluster Template is not valid for upgrade: Cluster template ${u.next.name} does not contain any supported ` +
          `upgrade labels: [${KUBE_TAG_LABEL}]`,
      );
    }
    checkKubeTag(u.next.labels);
    checkKubeUpgrade(groupKubeTag(u.nodegroup.labels, u.clusterLabels), next);
    await kubeImage(this.#p, { [KUBE_TAG_LABEL]: next });
    return { ...u.nodegroup.labels, [KUBE_TAG_LABEL]: next };
  }

  async ensureCluster(ctx: DriverContext): Promise<ClusterOutputs> {
    const { cluster } = ctx;
    const s = settingsOf(cluster);
    const masterCount = cluster.nodegroups.filter((g) => g.role === 'master').reduce((n, g) => n + g.nodeCount, 0);
    if (masterCount < 1) throw new DriverError('plan', 'a kubernetes cluster needs at least one master');
    if (masterCount > 1 && !cluster.masterLbEnabled)
      throw new DriverError('plan', 'master_count must be 1 when master_lb_enabled is False');

    const network = await phase('network', () =>
      this.#p.ensureNetwork({ clusterUuid: cluster.uuid, subnetHint: cluster.fixedSubnet }, ctx.signal),
    );
    if (network.created) await ctx.event('network', `network created on ${network.cidr}`);
    checkNetwork(network, s);

    const images = await phase('image', () => this.#groupImages(cluster, ctx.signal));
    const observed = await phase('observe', () => this.#p.listMachines(cluster.uuid, ctx.signal));
    const input: PlanInput<Machine> = {
      uuid: cluster.uuid,
      name: cluster.name,
      groups: cluster.nodegroups.map((g) => ({
        name: g.name,
        role: g.role,
        nodeCount: g.nodeCount,
        imageId: images.get(g.name) as string,
      })),
      observed,
    };
    let plan = planOrFail(input);
    const masters = plan.nodes
      .filter((p) => p.role === 'master')
      .map((p) => ({ plan: p, hostname: p.hostname, ip: nodeAddress(network, p) }));
    // The masters' load balancer first: its address is in every node's kubeconfig and every apiserver certificate.
    const lb = cluster.masterLbEnabled
      ? await phase('loadbalancer', () => this.#ensureApiBalancer(ctx, network, masters))
      : null;
    const firstMaster = observed.find((m) => m.role === 'master' && m.state === 'running');
    let api = lb ? await this.#apiAt(ctx, lb.endpoint) : firstMaster ? await this.#api(ctx, firstMaster) : undefined;
    try {
      if (plan.remove.length > 0) {
        const view = api ? await this.#podView(api, ctx.signal) : undefined;
        const named = resolveNodesToRemove(ctx.intent.nodesToRemove ?? [], observed, view?.uids);
        if (named.unmatched.length)
          await ctx.event('plan', `nodes_to_remove: ${named.unmatched.join(', ')} match no node; ignored`, 'warning');
        const byHost = new Map(observed.map((m) => [m.name, view?.pods.get(m.hostname) ?? 0]));
        plan = planOrFail({ ...input, removeFirst: named.names, tasks: byHost });
      }
      const masterGoing = plan.remove.find((r) => r.machine.role === 'master');
      if (masterGoing)
        throw new DriverError(
          'plan',
          `the number of masters cannot be reduced (${masterGoing.machine.hostname} would go)`,
        );

      // Scale-in and removed node groups: cordon, drain, delete the Node, then the machine; one node at a time.
      for (const r of plan.remove) {
        await phase('scale-in', () => this.#removeNode(ctx, api, r.machine, r.reason));
      }

      // Machines: nodes reach the API servers at the load balancer, or at the only master.
      const master = (masters[0] as (typeof masters)[number]).plan;
      const etcdFormed = ctx.state.get()[ETCD_FORMED] === true;
      const cp = controlPlane({
        masters: masters.map((m) => ({ hostname: m.hostname, ip: m.ip })),
        balancer: lb ? { address: lb.vip, port: lb.port, altNames: [lb.endpoint.host] } : null,
        etcdStart: etcdFormed ? 'existing' : 'new',
        etcdToken: cluster.uuid,
      });
      if (!etcdFormed && masters.length % 2 === 0)
        await ctx.event(
          'plan',
          `${masters.length} masters: etcd keeps its quorum with ${etcdQuorum(masters.length).tolerates} of them down, as ${masters.length - 1} would; an odd number is the usual choice`,
          'warning',
        );
      const resolvers = cluster.dnsNameservers.length > 0 ? cluster.dnsNameservers : await this.#p.resolvers();
      let secrets: ReturnType<SpecContext['secrets']> | undefined;
      const specCtx: SpecContext = {
        cluster,
        pki: ctx.pki,
        settings: s,
        network,
        controlPlane: cp,
        resolvers,
        secrets: () => (secrets ??= clusterSecrets(ctx.pki, cluster.name)),
      };
      const removed = new Set(plan.remove.map((r) => r.machine.name));
      const existing = new Map(observed.filter((m) => !removed.has(m.name)).map((m) => [m.name, m]));
      if (ctx.intent.action === 'heal' && api) {
        for (const name of await phase('heal', () => this.#notReadyWorkers(ctx, api as KubeApi, existing)))
          existing.delete(name);
      }
      const { machines, booted } = await phase('nodes', () => this.#ensureMachines(ctx, specCtx, plan.nodes, existing));
      const replacing = new Set(plan.replace.map((p) => p.hostname));
      await phase('bootstrap', () => this.#waitBootstrap(ctx, booted));
      // ca-rotate (see ./ca-rotate.ts) works on the nodes themselves: the conductor's client of the new CA is only
      // accepted once it has finished.
      if (ctx.intent.action === 'rotate_ca')
        await phase('rotate-ca', () => this.#rotateCa(ctx, specCtx, plan.nodes, machines));

      const apiMachine = machines.get(master.name) as Machine;
      const fresh = booted.some((m) => m.role === 'master');
      if (lb) {
        // Every master's own apiserver, whose readyz includes its local etcd member: the whole control plane runs.
        await phase('apiserver', () =>
          Promise.all(masters.map((m) => this.#waitMasterReady(ctx, machines.get(m.plan.name) as Machine))),
        );
      }
      api?.close();
      api = lb ? await this.#apiAt(ctx, lb.endpoint) : await this.#api(ctx, apiMachine);
      await phase('apiserver', () => waitApiReady(api as KubeApi, this.#t.apiserver, ctx.signal));
      if (!etcdFormed) await ctx.state.merge({ [ETCD_FORMED]: true });
      const apiAddress = lb
        ? `https://${lb.endpoint.host}:${lb.endpoint.port}`
        : `https://127.0.0.1:${apiPort(this.#p, apiMachine)}`;
      if (fresh)
        await ctx.event(
          'apiserver',
          lb
            ? `apiserver ready on ${masters.length} masters (etcd: ${masters.length} members), through the load balancer at ${apiAddress}`
            : `apiserver ready at ${apiAddress}`,
        );

      const objects = addons(s, resolvers, this.#images);
      await phase('addons', () => applyAll(api as KubeApi, objects, ctx.signal));
      if (fresh)
        await ctx.event(
          'addons',
          `applied ${objects.length} objects: flannel RBAC, CoreDNS on ${s.dnsServiceIp}` +
            `${s.metricsServer ? ', metrics-server' : ''}${s.monitoring ? ', Prometheus' : ''}`,
        );

      const wanted = new Map(
        plan.nodes.map((p) => {
          const g = cluster.nodegroups.find((x) => x.name === p.nodegroup);
          return [p.hostname, nodeLabels({ name: p.nodegroup, role: g?.role ?? p.role })] as const;
        }),
      );
      await phase('prune', () => this.#prune(ctx, api as KubeApi, new Set(wanted.keys())));
      const nodes = await phase('ready', () => waitNodesReady(api as KubeApi, wanted, this.#t.nodes, ctx.signal));
      if (booted.length > 0) await ctx.event('ready', `${wanted.size} nodes Ready`);
      const versions = new Map(plan.nodes.map((p) => [p.hostname, imageTag(p.image)]));
      await phase('ready', () =>
        this.#uncordonTracked(ctx, api as KubeApi, new Set(wanted.keys()), versions, replacing),
      );

      // Rolling upgrade: nodes whose machine runs another version than their group's, control plane first.
      let nodesNow = nodes;
      if (plan.replace.length > 0) {
        api = await phase('upgrade', () =>
          rollingUpgrade(
            {
              provider: this.#p,
              ctx,
              specCtx,
              drainTimeoutMs: this.#upgradeDrainMs,
              timeouts: this.#t,
              connect: (m) => this.#api(ctx, m),
              track: (h, cordoned) => this.#track(ctx, h, cordoned),
            },
            plan.replace,
            machines,
            api as KubeApi,
          ),
        );
        nodesNow = await phase('upgrade', () => (api as KubeApi).listNodes(ctx.signal));
        await ctx.event(
          'upgrade',
          `every node runs its group's version (${[...new Set(versions.values())].join(', ')})`,
        );
      }

      const dns = await phase('addons', () =>
        waitDeployment(api as KubeApi, 'kube-system', 'coredns', this.#t.addons, ctx.signal),
      );
      if (!dns.available)
        throw new DriverError('addons', `CoreDNS is not available after ${this.#t.addons / 1000}s (${dns.detail})`, {
          retryable: true,
        });
      if (fresh) await ctx.event('addons', `CoreDNS available (${dns.detail})`);
      // metrics-server is not waited for: it turns ready only after its first scrape (~15 s more), and the cluster is
      // usable without it; `kubectl top` answers once it is. Prometheus (monitoring labels) is not waited for either.
      const apiNow = machines.get(master.name) ?? apiMachine;
      return outputs(
        lb ? apiAddress : `https://127.0.0.1:${apiPort(this.#p, apiNow)}`,
        nodesNow,
        master.hostname,
        s,
        plan,
        network,
      );
    } finally {
      api?.close();
    }
  }

  async removeCluster(ctx: DriverContext): Promise<void> {
    const removed = await phase('teardown', () => this.#p.removeCluster(ctx.cluster.uuid, ctx.signal));
    if (resourceCount(removed) > 0) {
      await ctx.event('teardown', `removed ${describeResources(removed)}`);
    }
    const left = await phase('teardown', () => this.#p.leftovers(ctx.cluster.uuid, ctx.signal));
    if (resourceCount(left) > 0) {
      throw new DriverError('teardown', `still present after removal: ${describeResources(left)}`, { retryable: true });
    }
  }

  /**
   * Health from the shared machine observation plus ONE ask of the first running master's apiserver (readyz and the
   * node list, together); none when no master runs.
   */
  async checkHealth(ctx: HealthContext): Promise<HealthReport> {
    const { cluster, nodes } = ctx;
    const wanted = cluster.nodegroups.reduce((n, g) => n + g.nodeCount, 0);
    const master = nodes
      .filter((m) => m.role === 'master' && m.state === 'running' && this.#p.endpoint(m, KUBE_API_PORT))
      .sort((a, b) => a.index - b.index)[0];
    let answer: ApiAnswer | undefined;
    if (master) {
      const api = await this.#api(ctx, master, HEALTH_CALL_MS);
      try {
        const [ready, list] = await Promise.all([
          api.readyz(ctx.signal, HEALTH_CALL_MS),
          api.listNodes(ctx.signal, HEALTH_CALL_MS),
        ]);
        answer = { ok: true, ready: ready.ok, detail: ready.detail, nodes: list };
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        answer = { ok: false, error: (e as Error).message };
      } finally {
        api.close();
      }
    }
    return kubeHealth(cluster.name, nodes, wanted, answer);
  }

  /** The conductor's client of the apiserver published by a master machine. */
  /**
   * Services of type LoadBalancer → the provider's load balancers (`./service-lb-sync.ts`), through the first running
   * master's apiserver; nothing while no master runs.
   */
  async syncLoadBalancers(ctx: LoadBalancerSyncContext): Promise<LoadBalancerSyncReport> {
    const machines = await this.#p.listMachines(ctx.cluster.uuid, ctx.signal);
    const master = machines
      .filter((m) => m.role === 'master' && m.state === 'running' && this.#p.endpoint(m, KUBE_API_PORT))
      .sort((a, b) => a.index - b.index)[0];
    if (!master) return { ensured: [], removed: [], published: [] };
    const api = await this.#api(ctx, master, LB_SYNC_CALL_MS);
    try {
      return await syncServiceLoadBalancers(this.#p, api, ctx, this.#lbMemory);
    } finally {
      api.close();
    }
  }

  async #api(
    ctx: { pki: Pick<DriverContext['pki'], 'caPem' | 'conductorClient'> },
    master: Machine,
    timeoutMs?: number,
  ): Promise<KubeApi> {
    const ep = this.#p.endpoint(master, KUBE_API_PORT);
    if (!ep) throw new DriverError('apiserver', `${master.hostname} publishes no ${KUBE_API_PORT} port`);
    return this.#apiAt(ctx, ep, timeoutMs);
  }

  /** The conductor's client of an apiserver at an endpoint (a master's, or the load balancer's). */
  async #apiAt(
    ctx: { pki: Pick<DriverContext['pki'], 'caPem' | 'conductorClient'> },
    ep: Endpoint,
    timeoutMs?: number,
  ): Promise<KubeApi> {
    const client = await ctx.pki.conductorClient();
    return new KubeApi(
      { ...ep, caPem: ctx.pki.caPem, certPem: client.certPem, keyPem: client.keyPem },
      timeoutMs ? { timeoutMs } : {},
    );
  }

  /**
   * The masters' load balancer, made or brought up to date (members = every planned master). Returns its VIP and port
   * (where nodes reach it) and its endpoint (where the conductor and the host reach it: on the local provider the
   * same VIP, which the host reaches on the cluster's bridge).
   */
  async #ensureApiBalancer(
    ctx: DriverContext,
    network: Network,
    masters: readonly { hostname: string; ip: string }[],
  ): Promise<{ vip: string; port: number; endpoint: Endpoint }> {
    const spec = apiBalancerSpec({ clusterUuid: ctx.cluster.uuid, network, masters });
    const before = (await this.#p.listLoadBalancers(ctx.cluster.uuid, ctx.signal)).find((b) => b.name === spec.name);
    const lb = await this.#p.ensureLoadBalancer(spec, ctx.signal);
    // Recorded for the health pass, which makes it again from this spec when it is gone or stopped.
    if (JSON.stringify(ctx.state.get()[API_LOAD_BALANCER_STATE]) !== JSON.stringify(spec))
      await ctx.state.merge({ [API_LOAD_BALANCER_STATE]: spec });
    const ep = lb.endpoints[API_LB_LISTENER];
    if (!ep)
      throw new DriverError('loadbalancer', `the load balancer ${lb.name} reports no ${API_LB_LISTENER} endpoint`);
    if (!before)
      await ctx.event(
        'loadbalancer',
        `API load balancer made at ${lb.vipAddress}:${ep.port} in front of ${masters.map((m) => m.hostname).join(', ')}`,
      );
    else if (before.state !== 'active')
      await ctx.event('loadbalancer', `API load balancer was ${before.status}; brought back`);
    return { vip: lb.vipAddress, port: APISERVER_PORT, endpoint: ep };
  }

  /** Waits until one master's own apiserver is ready (readyz includes its local etcd member). */
  async #waitMasterReady(ctx: DriverContext, m: Machine): Promise<void> {
    const api = await this.#api(ctx, m);
    try {
      await waitApiReady(api, this.#t.apiserver, ctx.signal);
    } catch (e) {
      if (e instanceof DriverError)
        throw new DriverError(e.phase, `${m.hostname}: ${e.message}`, { retryable: e.retryable });
      throw e;
    } finally {
      api.close();
    }
  }

  /**
   * The node image per node group: the group's Kubernetes version (its `kube_tag` label, else the cluster's; an
   * upgrade moves the labels). A missing image fails with how to build it; a worker group newer than the control
   * plane (kubelets may not be newer than the apiserver) fails the plan.
   */
  async #groupImages(cluster: ClusterSpec, signal: AbortSignal): Promise<Map<string, string>> {
    const tags = new Map(cluster.nodegroups.map((g) => [g.name, groupKubeTag(g.labels, cluster.labels)]));
    const masterTag = cluster.nodegroups.find((g) => g.role === 'master');
    const control = parseKubeTag(masterTag ? (tags.get(masterTag.name) as string) : '');
    for (const g of cluster.nodegroups) {
      const v = parseKubeTag(tags.get(g.name) as string);
      if (control && v && g.role !== 'master' && (v.major - control.major || v.minor - control.minor) > 0)
        throw new DriverError(
          'plan',
          `node group ${g.name} asks for Kubernetes ${tags.get(g.name)}, newer than the control plane's ` +
            `${tags.get(masterTag?.name ?? '')}: upgrade the cluster first`,
        );
    }
    const images = new Map<string, string>();
    for (const tag of new Set(tags.values())) {
      try {
        images.set(tag, await kubeImage(this.#p, { [KUBE_TAG_LABEL]: tag }, signal));
      } catch (e) {
        if (e instanceof MagnumError) throw new DriverError('image', e.message);
        throw e;
      }
    }
    return new Map(cluster.nodegroups.map((g) => [g.name, images.get(tags.get(g.name) as string) as string]));
  }

  /**
   * Auto-healing: running worker machines whose Node is Unknown (its kubelet stopped reporting) or has reported not
   * Ready for over {@link NOT_READY_GRACE_MS} are removed, so that they are made again. Returns their machine names. Masters are not replaced (their
   * etcd member and the API would go with them); a stopped master is started like any stopped machine.
   */
  async #notReadyWorkers(ctx: DriverContext, api: KubeApi, machines: ReadonlyMap<string, Machine>): Promise<string[]> {
    let nodes: KubeNode[];
    try {
      nodes = await api.listNodes(ctx.signal, HEALTH_CALL_MS);
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      return []; // the API does not answer: nothing is known about the nodes
    }
    const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
    const out: string[] = [];
    for (const m of machines.values()) {
      if (m.role === 'master' || m.state !== 'running') continue;
      const node = byName.get(m.hostname);
      const ready = node?.status?.conditions?.find((c) => c.type === 'Ready');
      if (!node || ready?.status === 'True') continue; // not registered yet: the Ready wait below decides
      // Unknown: the kubelet stopped reporting (the node controller already waited its grace period); False: the
      // kubelet reports a problem, which may pass.
      const since = Date.parse(ready?.lastTransitionTime ?? node.metadata.creationTimestamp ?? '');
      const grace = ready?.status === 'False' ? NOT_READY_GRACE_MS : 0;
      if (!Number.isFinite(since) || Date.now() - since < grace) continue;
      await this.#p.removeMachine(m, {}, ctx.signal);
      await ctx.event(
        'heal',
        `node ${m.hostname} not Ready since ${new Date(since).toISOString()} (${ready?.reason ?? 'no Ready condition'}); making it again`,
        'warning',
      );
      out.push(m.name);
    }
    return out;
  }

  /** Pods a drain would move per node hostname, and Node UIDs by hostname (nodes_to_remove may name them). */
  async #podView(
    api: KubeApi,
    signal: AbortSignal,
  ): Promise<{ pods: Map<string, number>; uids: Map<string, string> } | undefined> {
    try {
      const [nodes, pods] = await Promise.all([
        api.get<{ items: (KubeNode & { metadata: { uid?: string } })[] }>('/api/v1/nodes', signal),
        api.get<{ items: KubePod[] }>('/api/v1/pods', signal),
      ]);
      const count = new Map<string, number>();
      for (const p of evictable(pods.items)) {
        const n = p.spec?.nodeName;
        if (n) count.set(n, (count.get(n) ?? 0) + 1);
      }
      const uids = new Map<string, string>();
      for (const n of nodes.items) if (n.metadata.uid) uids.set(n.metadata.name, n.metadata.uid);
      return { pods: count, uids };
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      return undefined; // the apiserver does not answer: scale-in picks without the pod counts
    }
  }

  /** ca-rotate on the running nodes, through the provider's exec on each. */
  async #rotateCa(
    ctx: DriverContext,
    specCtx: SpecContext,
    planned: readonly PlannedNode[],
    machines: ReadonlyMap<string, Machine>,
  ): Promise<void> {
    const p = this.#p;
    if (!p.exec)
      throw new DriverError('rotate-ca', `the ${p.name} provider cannot run commands on nodes, which ca-rotate needs`);
    const exec = p.exec.bind(p);
    const byName = new Map(planned.map((n) => [n.name, n]));
    const nodes = [...machines.values()].map((m) => {
      if (m.state !== 'running')
        throw new DriverError('rotate-ca', `node ${m.hostname} is ${m.status}, not running`, { retryable: true });
      return { machine: m, master: m.role === 'master' };
    });
    await rotateCa({
      nodes,
      caPem: ctx.pki.caPem,
      previousCaPem: await ctx.pki.previousCaPem(),
      files: async (n, caPem) =>
        (await nodeConfig(specCtx, byName.get(n.machine.name) as PlannedNode, caPem)).write_files,
      exec: (m, argv, input) =>
        exec(m, argv, { ...(input === undefined ? {} : { input }), timeoutMs: 600_000, signal: ctx.signal }),
      forgetPreviousCa: () => ctx.pki.forgetPreviousCa(),
      event: (message, level) => ctx.event('rotate-ca', message, level),
      signal: ctx.signal,
    });
  }

  /** Cordon, drain (bounded), delete the Node object, remove the machine. */
  async #removeNode(ctx: DriverContext, api: KubeApi | undefined, m: Machine, reason: string): Promise<void> {
    const h = m.hostname;
    let node: KubeNode | undefined;
    if (api && m.state === 'running') {
      try {
        node = await api.get<KubeNode>(`/api/v1/nodes/${encodeURIComponent(h)}`, ctx.signal);
      } catch (e) {
        if (!(e instanceof KubeApiError && e.status === 404)) throw e;
      }
    }
    if (api && node) {
      await this.#track(ctx, h, true);
      const d = await drain(api, h, {
        timeoutMs: this.#drainMs,
        signal: ctx.signal,
        onBlocked: (pod, why) =>
          ctx.event(
            'scale-in',
            `eviction of ${pod} from ${h} refused (${why}); asking again for up to ${this.#drainMs / 1000}s`,
            'warning',
          ),
      });
      if (d.drained) await ctx.event('scale-in', `node ${h} cordoned and drained (${d.pods} pods evicted)`);
      else
        await ctx.event(
          'scale-in',
          `node ${h} cordoned; its pods had not all left after ${this.#drainMs / 1000}s${d.blocked.length ? ` (still blocked: ${d.blocked.join('; ')})` : ''}; removing it anyway`,
          'warning',
        );
      await api.deleteNode(h, ctx.signal);
    }
    await this.#p.removeMachine(m, {}, ctx.signal);
    if (api && !node) await api.deleteNode(h, ctx.signal).catch(() => undefined);
    await this.#track(ctx, h, false);
    await ctx.event(
      'scale-in',
      `node ${h} removed (${reason === 'scale-in' ? 'scale-in' : `node group ${m.nodegroup} deleted`})`,
    );
  }

  async #track(ctx: DriverContext, hostname: string, cordoned: boolean): Promise<void> {
    const now = (ctx.state.get()[CORDONED] as string[] | undefined) ?? [];
    const next = cordoned ? [...new Set([...now, hostname])] : now.filter((h) => h !== hostname);
    if (next.length !== now.length) await ctx.state.merge({ [CORDONED]: next });
  }

  /**
   * Nodes an interrupted scale-in or upgrade cordoned but that stay: schedulable again once their kubelet is Ready at
   * the node's version (`versions`, by hostname; a node made again by an interrupted upgrade may still show its old
   * kubelet's last status). Nodes in `pending` (still to be replaced) are left to the upgrade. Forgets the others.
   */
  async #uncordonTracked(
    ctx: DriverContext,
    api: KubeApi,
    wanted: ReadonlySet<string>,
    versions: ReadonlyMap<string, string>,
    pending: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    for (const h of (ctx.state.get()[CORDONED] as string[] | undefined) ?? []) {
      if (pending.has(h)) continue;
      if (wanted.has(h)) {
        const tag = versions.get(h);
        if (tag) await waitNodeAt(api, h, tag, this.#t.nodes, ctx.signal);
        await uncordon(api, h, ctx.signal);
        await ctx.event('ready', `node ${h} schedulable again (an earlier run had cordoned it)`);
      }
      await this.#track(ctx, h, false);
    }
  }

  /**
   * Makes every planned node's machine exist and run: creates the missing ones (in parallel, each with its payload),
   * starts stopped ones, makes again failed ones. Returns the machines by name and those that (re)booted.
   */
  async #ensureMachines(
    ctx: DriverContext,
    specCtx: SpecContext,
    nodes: readonly PlannedNode[],
    existing: ReadonlyMap<string, Machine>,
  ): Promise<{ machines: Map<string, Machine>; booted: Machine[] }> {
    const booted: Machine[] = [];
    const made = await Promise.all(
      nodes.map(async (p): Promise<Machine> => {
        const have = existing.get(p.name);
        if (have && ['running', 'pending', 'paused'].includes(have.state)) return have;
        if (have?.state === 'stopped') {
          try {
            await this.#p.startMachine(have, ctx.signal);
            await ctx.event('nodes', `node ${p.hostname} was ${have.status}; started`);
            const started = { ...have, state: 'running' as const };
            booted.push(started);
            return started;
          } catch (e) {
            await ctx.event(
              'nodes',
              `node ${p.hostname} did not start (${(e as Error).message}); making it again`,
              'warning',
            );
          }
        }
        if (have) await this.#p.removeMachine(have, { keepVolumes: p.role === 'master' }, ctx.signal);
        ctx.signal.throwIfAborted();
        // A machine an interrupted upgrade removed is made on the ports it had (recorded before it went).
        const recorded = (ctx.state.get()[REPLACED_ENDPOINTS] as Record<string, Machine['endpoints']> | undefined)?.[
          p.name
        ];
        const spec = await machineSpec(specCtx, p, p.image, have?.endpoints ?? recorded);
        const m = await this.#p.ensureMachine(spec, ctx.signal);
        await ctx.event('nodes', `node ${p.hostname} (${p.role}, ${p.nodegroup}) started at ${m.address}`);
        booted.push(m);
        return m;
      }),
    );
    return { machines: new Map(made.map((m) => [m.name, m])), booted };
  }

  /** Waits until each (re)booted machine ran its payload; a failed one fails the run with the tail of its output. */
  async #waitBootstrap(ctx: DriverContext, machines: readonly Machine[]): Promise<void> {
    await Promise.all(
      machines.map(async (m) => {
        const st = await this.#p.waitBootstrap(m, { timeoutMs: this.#t.bootstrap, signal: ctx.signal });
        if (st.state === 'failed')
          throw new DriverError(
            'bootstrap',
            `${m.hostname}: the node's payload failed: ${st.output.trim().slice(-600)}`,
          );
        if (st.state === 'pending')
          throw new DriverError(
            'bootstrap',
            `${m.hostname}: the node's payload did not finish in ${this.#t.bootstrap / 1000}s`,
            {
              retryable: true,
            },
          );
      }),
    );
  }

  /** Deletes Node objects of this cluster's naming scheme whose node is no longer wanted. */
  async #prune(ctx: DriverContext, api: KubeApi, wanted: ReadonlySet<string>): Promise<void> {
    const nodes = await api.listNodes(ctx.signal);
    for (const name of staleNodes(nodes, wanted, hostPrefix(ctx.cluster.name))) {
      await api.deleteNode(name, ctx.signal);
      await ctx.event('prune', `stale Node ${name} deleted`);
    }
  }
}

/** The settings of a cluster; labels the API let through but that no longer validate fail the run. */
function settingsOf(cluster: ClusterSpec): KubeSettings {
  try {
    return kubeSettings(cluster.labels, { networkDriver: cluster.networkDriver, fixedSubnet: cluster.fixedSubnet });
  } catch (e) {
    if (e instanceof MagnumError) throw new DriverError('plan', e.message);
    throw e;
  }
}

/** The pod and service ranges must stay off the node network (a picked /24 could collide with a custom range). */
function checkNetwork(network: Network, s: KubeSettings): void {
  const net = parseCidr(network.cidr);
  if (!net) return;
  for (const [label, range] of [
    ['pods_network_cidr', s.podsCidr],
    ['service_cluster_ip_range', s.serviceCidr],
  ] as const) {
    if (overlaps(net, range))
      throw new DriverError('network', `${label} ${range.text} overlaps the cluster network ${network.cidr}`);
  }
}

function apiPort(p: Provider, master: Machine): number {
  return p.endpoint(master, KUBE_API_PORT)?.port ?? APISERVER_PORT;
}

/** The plan, or a DriverError when the layout cannot hold the counts. */
function planOrFail(input: PlanInput<Machine>): NodePlan<Machine> {
  try {
    return planNodes(input);
  } catch (e) {
    throw new DriverError('plan', (e as Error).message);
  }
}

/** What a finished run reports: the API on its loopback port, Kubernetes and containerd versions, node addresses. */
function outputs(
  apiAddress: string,
  nodes: readonly KubeNode[],
  masterHostname: string,
  s: KubeSettings,
  plan: NodePlan<Machine>,
  network: Network,
): ClusterOutputs {
  const info = (nodes.find((n) => n.metadata.name === masterHostname) ?? nodes[0])?.status?.nodeInfo as
    { kubeletVersion?: string; containerRuntimeVersion?: string } | undefined;
  const addresses: Record<string, string[]> = {};
  for (const p of plan.nodes) (addresses[p.nodegroup] ??= []).push(nodeAddress(network, p));
  return {
    apiAddress,
    coeVersion: info?.kubeletVersion ?? s.kubeTag,
    containerVersion: info?.containerRuntimeVersion?.replace(/^containerd:\/\//, '') ?? null,
    addresses,
  };
}
