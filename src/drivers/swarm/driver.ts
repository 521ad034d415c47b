/**
 * @module The `swarm` driver on the local Docker provider: a Docker Swarm-mode cluster whose nodes are containers
 * running their own dockerd. Phases: network → nodes → engines → swarm → ready. Each phase observes first
 * (by the cluster's label) and only does what is missing, so a killed and re-run create converges.
 */
import { invalid } from '../../core/errors.ts';
import { parseBool } from '../../core/labels.ts';
import type { Engine } from '../../providers/docker/engine.ts';
import { hostAddress } from '../../providers/docker/subnets.ts';
import { hostResolvers, type LocalMachines, type Machine } from '../../providers/docker/machines.ts';
import { DriverError, type Capability, type ClusterOutputs, type Driver, type DriverContext, type DriverKey, type TemplateView } from '../contract.ts';
import { nodeFiles } from './daemon-config.ts';
import { planNodes, type PlannedNode } from './node-plan.ts';

/** Inner swarms keep their overlays off the node subnets (the notes' pitfall 2). */
const INNER_ADDR_POOL = '10.128.0.0/16';
const ENGINE_UP_MS = 60_000;
const READY_MS = 90_000;

/** Labels this driver understands, with their validators. Unknown labels are stored but unused. */
const LABEL_RULES: Record<string, (v: string) => string | undefined> = {
  swarm_strategy: (v) => (['spread', 'binpack', 'random'].includes(v) ? undefined : 'must be one of spread, binpack, random'),
  auto_healing_enabled: (v) => (parseBool(v) === undefined ? 'must be true or false' : undefined),
  min_node_count: (v) => (/^\d+$/.test(v) ? undefined : 'must be a non-negative integer'),
  max_node_count: (v) => (/^\d+$/.test(v) ? undefined : 'must be a non-negative integer'),
};

export interface SwarmDriverOptions {
  machines: LocalMachines;
  /** Also serve server_type `vm` on this provider, so clients that always send `vm` (python-magnumclient) work. */
  serveVm: boolean;
}

export class SwarmDriver implements Driver {
  readonly name = 'swarm-local';
  readonly provides: readonly DriverKey[];
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>();
  readonly defaultNetworkDriver = 'docker';
  readonly #m: LocalMachines;

  constructor(opts: SwarmDriverOptions) {
    this.#m = opts.machines;
    const types = opts.serveVm ? ['container', 'vm'] : ['container'];
    this.provides = types.flatMap((serverType) => ['swarm', 'swarm-mode'].map((coe) => ({ serverType, os: 'debian', coe })));
  }

  validateTemplate(t: TemplateView): void {
    if (t.network_driver && t.network_driver !== 'docker') {
      throw invalid(`Network driver type ${t.network_driver} is not supported by the ${this.name} driver, expecting docker.`);
    }
    if (t.volume_driver) throw invalid(`Volume driver type ${t.volume_driver} is not supported by the ${this.name} driver.`);
    for (const [k, v] of Object.entries(t.labels)) {
      const why = LABEL_RULES[k]?.(v);
      if (why) throw invalid(`Label ${k}=${v} is not valid: ${why}.`);
    }
  }

  async ensureCluster(ctx: DriverContext): Promise<ClusterOutputs> {
    const { cluster } = ctx;
    let plan: PlannedNode[];
    try {
      plan = planNodes(cluster);
    } catch (e) {
      throw new DriverError('plan', (e as Error).message);
    }
    const masters = plan.filter((p) => p.role === 'master');
    if (masters.length === 0) throw new DriverError('plan', 'a swarm cluster needs at least one master');

    // Phase network
    const net = await phase('network', () =>
      this.#m.ensureNetwork(cluster.uuid, `magnetar-${cluster.uuid}`, cluster.fixedSubnet),
    );
    if (net.created) await ctx.event('network', `network created on ${net.subnet}`);

    // Phase nodes
    const nodes = await phase('nodes', () => this.#ensureNodes(ctx, plan, net.subnet));
    const client = await ctx.pki.conductorClient();
    const tls = cluster.tlsDisabled ? null : { ca: ctx.pki.caPem, cert: client.certPem, key: client.keyPem };
    const engines = new Map(nodes.map((n) => [n.name, this.#m.nodeEngine(n, tls)]));
    try {
      // Phase engines
      await phase('engines', () =>
        Promise.all(nodes.map((n) => (engines.get(n.name) as Engine).waitUntilUp(ENGINE_UP_MS, 100, ctx.signal))),
      );
      await ctx.event('engines', `${nodes.length} node engines answer over mutual TLS`);
      // Phase swarm
      const byName = new Map(nodes.map((n) => [n.name, n]));
      const leaderPlan = masters[0] as PlannedNode;
      const leader = byName.get(leaderPlan.name) as Machine;
      const leaderEngine = engines.get(leader.name) as Engine;
      await phase('swarm', () => this.#formSwarm(ctx, plan, byName, engines, leader, leaderEngine));
      // Phase ready
      await phase('ready', () => waitReady(leaderEngine, plan.map((p) => p.hostname), ctx.signal));
      await ctx.event('ready', `${plan.length} swarm nodes Ready`);
      const version = await leaderEngine.version();
      const addresses: Record<string, string[]> = {};
      for (const p of plan) (addresses[p.nodegroup] ??= []).push(hostAddress(net.subnet, p.host));
      return {
        apiAddress: `tcp://127.0.0.1:${leader.hostPort}`,
        coeVersion: version.Version,
        containerVersion: version.Version,
        addresses,
      };
    } finally {
      for (const e of engines.values()) e.close();
    }
  }

  async removeCluster(ctx: DriverContext): Promise<void> {
    const removed = await phase('teardown', () => this.#m.removeAll(ctx.cluster.uuid));
    if (removed.containers + removed.volumes + removed.networks > 0) {
      await ctx.event('teardown', `removed ${removed.containers} containers, ${removed.volumes} volumes, ${removed.networks} networks`);
    }
    const left = await phase('teardown', () => this.#m.leftovers(ctx.cluster.uuid));
    if (left.containers + left.volumes + left.networks > 0) {
      throw new DriverError('teardown', `still present after removal: ${left.containers} containers, ${left.volumes} volumes, ${left.networks} networks`, { retryable: true });
    }
  }

  /** Creates the missing node containers (in parallel), restarts stopped ones, replaces half-created ones. */
  async #ensureNodes(ctx: DriverContext, plan: PlannedNode[], subnet: string): Promise<Machine[]> {
    const { cluster } = ctx;
    const existing = new Map((await this.#m.list(cluster.uuid)).map((m) => [m.name, m]));
    const wanted = new Set(plan.map((p) => p.name));
    const dns = cluster.dnsNameservers.length ? cluster.dnsNameservers : await hostResolvers();
    await Promise.all(
      [...existing.values()].filter((m) => !wanted.has(m.name)).map((m) => this.#m.remove(m)),
    );
    const made = await Promise.all(
      plan.map(async (p): Promise<Machine> => {
        const have = existing.get(p.name);
        if (have?.state === 'running') return have;
        if (have?.state === 'exited') {
          await this.#m.start(have);
          await ctx.event('nodes', `node ${p.hostname} restarted`);
          return (await this.#m.list(cluster.uuid)).find((m) => m.name === p.name) ?? have;
        }
        if (have) await this.#m.remove(have); // created but never started (interrupted): make it afresh
        ctx.signal.throwIfAborted();
        const ip = hostAddress(subnet, p.host);
        const cert = await ctx.pki.issueServer(p.hostname, [p.hostname, 'localhost'], [ip, '127.0.0.1']);
        const ng = cluster.nodegroups.find((g) => g.name === p.nodegroup);
        const m = await this.#m.create({
          clusterUuid: cluster.uuid,
          name: p.name,
          hostname: p.hostname,
          role: p.role,
          nodegroup: p.nodegroup,
          index: p.index,
          ip,
          image: ng?.imageId ?? cluster.imageId,
          network: `magnetar-${cluster.uuid}`,
          files: nodeFiles({ caPem: ctx.pki.caPem, certPem: cert.certPem, keyPem: cert.keyPem, dns, tlsDisabled: cluster.tlsDisabled }),
        });
        await ctx.event('nodes', `node ${p.hostname} (${p.role}) started at ${ip}`);
        return m;
      }),
    );
    return made;
  }

  async #formSwarm(
    ctx: DriverContext,
    plan: PlannedNode[],
    byName: Map<string, Machine>,
    engines: Map<string, Engine>,
    leader: Machine,
    leaderEngine: Engine,
  ): Promise<void> {
    const info = await leaderEngine.info();
    if (info.Swarm.LocalNodeState !== 'active') {
      await leaderEngine.swarmInit({ ListenAddr: `${leader.ip}:2377`, AdvertiseAddr: leader.ip, DefaultAddrPool: [INNER_ADDR_POOL], SubnetSize: 24 });
      await ctx.event('swarm', `swarm initialised on ${leader.hostname}`);
    }
    const swarm = await leaderEngine.swarmInspect();
    await Promise.all(
      plan
        .filter((p) => p.name !== leader.name)
        .map(async (p) => {
          const m = byName.get(p.name) as Machine;
          const e = engines.get(p.name) as Engine;
          const s = (await e.info()).Swarm;
          if (s.LocalNodeState === 'active' && s.Cluster?.ID === swarm.ID) return;
          if (s.LocalNodeState !== 'inactive') await e.swarmLeave(true); // member of a stale swarm from an earlier attempt
          await e.swarmJoin({
            ListenAddr: '0.0.0.0:2377',
            AdvertiseAddr: m.ip,
            RemoteAddrs: [`${leader.ip}:2377`],
            JoinToken: p.role === 'master' ? swarm.JoinTokens.Manager : swarm.JoinTokens.Worker,
          });
          await ctx.event('swarm', `node ${p.hostname} joined as ${p.role === 'master' ? 'manager' : 'worker'}`);
        }),
    );
  }
}

/** Polls the leader's node list until every wanted hostname is Ready. */
async function waitReady(leader: Engine, hostnames: string[], signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + READY_MS;
  let missing: string[] = hostnames;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    const nodes = await leader.listNodes();
    const ready = new Set(nodes.filter((n) => n.Status.State === 'ready').map((n) => n.Description.Hostname));
    missing = hostnames.filter((h) => !ready.has(h));
    if (missing.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new DriverError('ready', `nodes not Ready after ${READY_MS / 1000}s: ${missing.join(', ')}`, { retryable: true });
}

/** Runs one phase, turning any failure into a DriverError that names it. Engine/network errors are retryable. */
async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DriverError) throw e;
    if ((e as Error).name === 'AbortError') throw e;
    const msg = (e as Error).message;
    const retryable = (e as Error).name === 'EngineUnreachableError' || /timeout|ECONNRESET|ECONNREFUSED|socket hang up/i.test(msg);
    throw new DriverError(name, msg, { retryable, cause: e });
  }
}
