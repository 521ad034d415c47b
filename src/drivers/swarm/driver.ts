/**
 * @module The `swarm` driver on the local Docker provider: a Docker Swarm-mode cluster whose nodes are containers
 * running their own dockerd. One `ensureCluster` serves create, resize, node groups, upgrade and heal: it observes the
 * nodes (by the cluster's label) and the swarm, plans from the desired counts and what exists, then
 * scale-in (drain, remove) → nodes (create, restart) → engines → swarm (init, join) → ready → labels → upgrade (replace
 * nodes whose image differs, workers first) → prune stale entries. Each step only does what is missing, so a killed
 * and re-run operation converges.
 */
import { invalid } from '../../core/errors.ts';
import { parseBool } from '../../core/labels.ts';
import type { SwarmNode } from '../../docker-api/engine-types.ts';
import type { Machine, Network, Provider } from '../../providers/contract.ts';
import {
  DriverError,
  type Capability,
  type ClusterOutputs,
  type Driver,
  type DriverContext,
  type DriverKey,
  type HealthContext,
  type HealthReport,
  type TemplateView,
} from '../contract.ts';
import { ENGINE_PORT_NAME } from '../local-common/docker-node-payload.ts';
import {
  hostPrefix,
  planNodes,
  resolveNodesToRemove,
  type NodePlan,
  type PlanInput,
  type PlannedNode,
} from '../local-common/node-plan.ts';
import {
  createNode,
  ensureClusterNetwork,
  ensureMachines,
  localOutputs,
  nodeEngineAt,
  NodeEngines,
  nodeTls,
  phase,
  removeClusterResources,
  waitEngine,
  waitEngines,
  type NodeEngineFactory,
} from '../local-common/provisioning.ts';
import {
  drainNode,
  ensureNodeLabels,
  findManager,
  INNER_ADDR_POOL,
  nodesByHostname,
  removeNodeEntry,
  setAvailability,
  swarmView,
  waitReady,
  type Manager,
  type SwarmView,
} from './swarm-ops.ts';

const READY_MS = 90_000;
const HEALTH_CALL_MS = 5_000;
/** Driver-state key: hostnames this driver drained and must make active again if it was interrupted. */
const DRAINING = 'draining';
/** Swarm node label naming the node's node group. */
export const NODEGROUP_NODE_LABEL = 'magnetar.nodegroup';

/** Labels this driver understands, with their validators. Unknown labels are stored but unused. */
const LABEL_RULES: Record<string, (v: string) => string | undefined> = {
  swarm_strategy: (v) =>
    ['spread', 'binpack', 'random'].includes(v) ? undefined : 'must be one of spread, binpack, random',
  auto_healing_enabled: (v) => (parseBool(v) === undefined ? 'must be true or false' : undefined),
  min_node_count: (v) => (/^\d+$/.test(v) ? undefined : 'must be a non-negative integer'),
  max_node_count: (v) => (/^\d+$/.test(v) ? undefined : 'must be a non-negative integer'),
};

export interface SwarmDriverOptions {
  /** Where the nodes come from. */
  provider: Provider;
  /** Makes node engine clients (benchmarks count their calls). */
  nodeEngine?: NodeEngineFactory;
  /** Also serve server_type `vm` on this provider, so clients that always send `vm` (python-magnumclient) work. */
  serveVm: boolean;
  /** How long a drain waits for a node's tasks to move before the node goes anyway. @default 30000 */
  drainTimeoutMs?: number;
}

export class SwarmDriver implements Driver {
  readonly name = 'swarm-local';
  readonly provides: readonly DriverKey[];
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['resize', 'upgrade', 'nodegroups', 'health']);
  readonly defaultNetworkDriver = 'docker';
  readonly #p: Provider;
  readonly #nodeEngine: NodeEngineFactory | undefined;
  readonly #drainMs: number;

  constructor(opts: SwarmDriverOptions) {
    this.#p = opts.provider;
    this.#nodeEngine = opts.nodeEngine;
    this.#drainMs = opts.drainTimeoutMs ?? 30_000;
    const types = opts.serveVm ? ['container', 'vm'] : ['container'];
    this.provides = types.flatMap((serverType) =>
      ['swarm', 'swarm-mode'].map((coe) => ({ serverType, os: 'debian', coe })),
    );
  }

  validateTemplate(t: TemplateView): void {
    if (t.network_driver && t.network_driver !== 'docker') {
      throw invalid(
        `Network driver type ${t.network_driver} is not supported by the ${this.name} driver, expecting docker.`,
      );
    }
    if (t.volume_driver)
      throw invalid(`Volume driver type ${t.volume_driver} is not supported by the ${this.name} driver.`);
    for (const [k, v] of Object.entries(t.labels)) {
      const why = LABEL_RULES[k]?.(v);
      if (why) throw invalid(`Label ${k}=${v} is not valid: ${why}.`);
    }
  }

  async ensureCluster(ctx: DriverContext): Promise<ClusterOutputs> {
    const { cluster, intent } = ctx;
    if (!cluster.nodegroups.some((g) => g.role === 'master' && g.nodeCount > 0)) {
      throw new DriverError('plan', 'a swarm cluster needs at least one master');
    }
    const network = await ensureClusterNetwork(this.#p, ctx);
    const engines = new NodeEngines(this.#p, await nodeTls(ctx), this.#nodeEngine);
    try {
      // Observe: the node containers, and (when nodes must go) the swarm's view of them.
      const observed = await phase('observe', () => this.#p.listMachines(cluster.uuid, ctx.signal));
      const input: PlanInput<Machine> = {
        uuid: cluster.uuid,
        name: cluster.name,
        groups: cluster.nodegroups.map((g) => ({
          name: g.name,
          role: g.role,
          nodeCount: g.nodeCount,
          imageId: g.imageId,
        })),
        observed,
      };
      let plan = planOrFail(input);
      let manager = await findManager(observed, engines);
      let view: SwarmView | undefined;
      if (plan.remove.length > 0) {
        if (manager) view = await phase('observe', () => swarmView((manager as Manager).engine));
        const ids = new Map([...(view?.byHostname ?? [])].map(([h, n]) => [h, n.ID]));
        const named = resolveNodesToRemove(intent.nodesToRemove ?? [], observed, ids);
        if (named.unmatched.length)
          await ctx.event('plan', `nodes_to_remove: ${named.unmatched.join(', ')} match no node; ignored`, 'warning');
        const tasks = new Map(observed.map((x) => [x.name, view?.tasksByHostname.get(x.hostname) ?? 0]));
        plan = planOrFail({ ...input, removeFirst: named.names, tasks });
      }
      const masterGoing = plan.remove.find((r) => r.machine.role === 'master');
      if (masterGoing)
        throw new DriverError(
          'plan',
          `the number of masters cannot be reduced (${masterGoing.machine.hostname} would go)`,
        );

      // Scale-in and removed node groups: drain, then remove, one node at a time.
      for (const r of plan.remove) {
        await phase('scale-in', () => this.#removeNode(ctx, r.machine, r.reason, manager, view));
      }

      // Nodes, engines, swarm, ready, labels.
      const removed = new Set(plan.remove.map((r) => r.machine.name));
      const existing = new Map(observed.filter((x) => !removed.has(x.name)).map((x) => [x.name, x]));
      const machines = await phase('nodes', () => ensureMachines(this.#p, ctx, plan.nodes, existing, network));
      await phase('engines', () => waitEngines(this.#p, engines, machines.values(), ctx.signal));
      if (plan.create.length > 0)
        await ctx.event(
          'engines',
          `${machines.size} node engines answer over ${cluster.tlsDisabled ? 'plain TCP' : 'mutual TLS'}`,
        );
      manager = await phase('swarm', () => this.#formSwarm(ctx, plan.nodes, machines, engines));
      await phase('ready', () =>
        waitReady(
          (manager as Manager).engine,
          plan.nodes.map((p) => p.hostname),
          READY_MS,
          ctx.signal,
        ),
      );
      if (plan.create.length > 0) await ctx.event('ready', `${plan.nodes.length} swarm nodes Ready`);
      await phase('labels', () => this.#settle(ctx, (manager as Manager).engine, plan.nodes, true));

      // Upgrade: nodes whose image differs are replaced, workers first, max_batch_size at a time.
      if (plan.replace.length > 0) {
        manager = await phase('upgrade', () =>
          this.#upgrade(ctx, plan, machines, engines, network, manager as Manager),
        );
      }
      await phase('prune', () => this.#prune(ctx, (manager as Manager).engine, plan.nodes));

      const version = await phase('ready', () => (manager as Manager).engine.version());
      const first = plan.nodes.find((p) => p.role === 'master') as PlannedNode;
      const leader = machines.get(first.name) as Machine;
      return localOutputs(this.#p, leader, version.Version, plan.nodes, network);
    } finally {
      engines.closeAll();
    }
  }

  removeCluster(ctx: DriverContext): Promise<void> {
    return removeClusterResources(this.#p, ctx);
  }

  /**
   * Health from the shared observation plus ONE `GET /nodes` on the first running manager (none when no manager runs).
   * A node is Ready when its container runs and the swarm reports it ready; fewer nodes than wanted is unhealthy too.
   */
  async checkHealth(ctx: HealthContext): Promise<HealthReport> {
    const { cluster, nodes } = ctx;
    if (nodes.length === 0)
      return { status: 'UNKNOWN', reason: { api: `The cluster ${cluster.name} has no nodes.` }, failed: [] };
    const running = new Map(nodes.map((n) => [n.hostname, n.state === 'running']));
    const manager = nodes
      .filter((n) => n.role === 'master' && n.state === 'running' && this.#p.endpoint(n, ENGINE_PORT_NAME))
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))[0];
    let swarm: SwarmNode[] | undefined;
    let apiError = 'no manager node is running';
    const endpoint = manager && this.#p.endpoint(manager, ENGINE_PORT_NAME);
    if (endpoint) {
      const engine = nodeEngineAt(endpoint, await nodeTls(ctx), HEALTH_CALL_MS, this.#nodeEngine);
      try {
        swarm = await engine.listNodes();
      } catch (e) {
        apiError = (e as Error).message;
      } finally {
        engine.close();
      }
    }
    const reason: Record<string, string> = { api: swarm ? 'ok' : apiError };
    const failed: string[] = [];
    const entries = nodesByHostname(swarm ?? []);
    const hostnames = new Set([
      ...nodes.map((n) => n.hostname),
      ...[...entries.values()].filter((n) => n.Status.State === 'ready').map((n) => n.Description.Hostname),
    ]);
    for (const h of [...hostnames].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
      const up = running.get(h);
      if (!swarm && up !== false) continue; // without the swarm's view only a dead container is known
      const ready = swarm ? up !== false && entries.get(h)?.Status.State === 'ready' : false;
      reason[`${h}.Ready`] = ready ? 'True' : 'False';
      if (!ready) failed.push(h);
    }
    const wanted = cluster.nodegroups.reduce((n, g) => n + g.nodeCount, 0);
    if (nodes.length < wanted) {
      reason.nodes = `${nodes.length} of ${wanted} nodes exist`;
      failed.push(`${wanted - nodes.length} missing`);
    }
    const status = swarm ? (failed.length ? 'UNHEALTHY' : 'HEALTHY') : failed.length ? 'UNHEALTHY' : 'UNKNOWN';
    return { status, reason, failed };
  }

  /** Drains a node (when the swarm knows it and it runs), removes its container and its swarm entry. */
  async #removeNode(
    ctx: DriverContext,
    machine: Machine,
    reason: string,
    manager: Manager | undefined,
    view: SwarmView | undefined,
  ): Promise<void> {
    const h = machine.hostname;
    const node = view?.byHostname.get(h);
    if (manager && node && machine.state === 'running') await this.#drain(ctx, manager, node, 'scale-in');
    await this.#p.removeMachine(machine, {}, ctx.signal);
    if (manager)
      for (const n of view?.nodes.filter((x) => x.Description.Hostname === h) ?? [])
        await removeNodeEntry(manager.engine, n);
    await this.#track(ctx, h, false);
    await ctx.event(
      'scale-in',
      `node ${h} removed (${reason === 'scale-in' ? 'scale-in' : `node group ${machine.nodegroup} deleted`})`,
    );
  }

  /** Drains a node, remembering it in the driver state until it is removed or made active again. */
  async #drain(ctx: DriverContext, manager: Manager, node: SwarmNode, phaseName: string): Promise<void> {
    const h = node.Description.Hostname;
    await this.#track(ctx, h, true);
    const d = await drainNode(manager.engine, node.ID, this.#drainMs, ctx.signal);
    if (d.moved) await ctx.event(phaseName, `node ${h} drained (${d.tasks} tasks moved)`);
    else
      await ctx.event(
        phaseName,
        `node ${h} drained; its ${d.tasks} tasks had not all moved after ${this.#drainMs / 1000}s, going on`,
        'warning',
      );
  }

  async #track(ctx: DriverContext, hostname: string, draining: boolean): Promise<void> {
    const now = (ctx.state.get()[DRAINING] as string[] | undefined) ?? [];
    const next = draining ? [...new Set([...now, hostname])] : now.filter((h) => h !== hostname);
    if (next.length !== now.length) await ctx.state.merge({ [DRAINING]: next });
  }

  /** Finds the manager (or initialises the swarm on the first master) and joins every node that is not a member. */
  async #formSwarm(
    ctx: DriverContext,
    nodes: readonly PlannedNode[],
    machines: ReadonlyMap<string, Machine>,
    engines: NodeEngines,
  ): Promise<Manager> {
    let manager = await findManager(machines.values(), engines);
    if (!manager) {
      const first = machines.get((nodes.find((p) => p.role === 'master') as PlannedNode).name) as Machine;
      const engine = engines.of(first);
      // A manager that restarted with its raft state may still be settling: wait, never re-initialise over it.
      let info = await engine.info();
      for (
        let i = 0;
        i < 120 &&
        (info.Swarm.LocalNodeState === 'pending' ||
          (info.Swarm.LocalNodeState === 'active' && !info.Swarm.ControlAvailable));
        i++
      ) {
        ctx.signal.throwIfAborted();
        await new Promise((r) => setTimeout(r, 250));
        info = await engine.info();
      }
      manager = await findManager(machines.values(), engines);
      if (!manager) {
        const sw = info.Swarm;
        if (sw.LocalNodeState !== 'inactive') {
          throw new DriverError(
            'swarm',
            `${first.hostname} is not an active manager (state ${sw.LocalNodeState}${sw.Error ? `: ${sw.Error}` : ''})`,
            { retryable: true },
          );
        }
        await engine.swarmInit({
          ListenAddr: `${first.address}:2377`,
          AdvertiseAddr: first.address,
          DefaultAddrPool: [INNER_ADDR_POOL],
          SubnetSize: 24,
        });
        await ctx.event('swarm', `swarm initialised on ${first.hostname}`);
        manager = { machine: first, engine, swarmId: (await engine.swarmInspect()).ID };
      }
    }
    const m = manager;
    const swarm = await m.engine.swarmInspect();
    let entries: Promise<SwarmNode[]> | undefined;
    await Promise.all(
      nodes
        .filter((p) => p.name !== m.machine.name)
        .map(async (p) => {
          const machine = machines.get(p.name) as Machine;
          const engine = engines.of(machine);
          let s = (await engine.info()).Swarm;
          for (let i = 0; i < 40 && s.LocalNodeState === 'pending'; i++) {
            await new Promise((r) => setTimeout(r, 250)); // a restarted node reconnecting
            s = (await engine.info()).Swarm;
          }
          entries ??= m.engine.listNodes();
          const known = await entries;
          // Workers do not see the cluster id (only managers do); a node id the manager lists is a member of this swarm.
          const member = known.some((n) => n.ID === s.NodeID) && (!s.Cluster?.ID || s.Cluster.ID === swarm.ID);
          if (s.LocalNodeState === 'active' && member) return;
          if (s.LocalNodeState !== 'inactive') await engine.swarmLeave(true);
          // Entries left by an earlier life of this node (made again) would shadow the new one.
          for (const n of known.filter((x) => x.Description.Hostname === p.hostname))
            await removeNodeEntry(m.engine, n).catch(() => undefined);
          await engine.swarmJoin({
            ListenAddr: '0.0.0.0:2377',
            AdvertiseAddr: machine.address,
            RemoteAddrs: [`${m.machine.address}:2377`],
            JoinToken: p.role === 'master' ? swarm.JoinTokens.Manager : swarm.JoinTokens.Worker,
          });
          await ctx.event('swarm', `node ${p.hostname} joined as ${p.role === 'master' ? 'manager' : 'worker'}`);
        }),
    );
    return m;
  }

  /**
   * Node labels from the node groups, and `nodes` an interrupted run drained made active again. With `all` (`nodes` is
   * the whole cluster), drained hostnames of nodes that no longer exist are forgotten too.
   */
  async #settle(
    ctx: DriverContext,
    manager: Manager['engine'],
    nodes: readonly PlannedNode[],
    all: boolean,
  ): Promise<void> {
    const entries = nodesByHostname(await manager.listNodes());
    for (const p of nodes) {
      const node = entries.get(p.hostname);
      const ng = ctx.cluster.nodegroups.find((g) => g.name === p.nodegroup);
      if (!node || !ng) continue;
      await ensureNodeLabels(manager, node, { ...ng.labels, [NODEGROUP_NODE_LABEL]: ng.name });
    }
    const planned = new Set(nodes.map((p) => p.hostname));
    for (const h of (ctx.state.get()[DRAINING] as string[] | undefined) ?? []) {
      if (!planned.has(h) && !all) continue;
      const node = entries.get(h);
      if (node && planned.has(h) && (await setAvailability(manager, node.ID, 'active'))) {
        await ctx.event('labels', `node ${h} active again (an earlier run had drained it)`);
      }
      await this.#track(ctx, h, false);
    }
  }

  async #upgrade(
    ctx: DriverContext,
    plan: NodePlan<Machine>,
    machines: Map<string, Machine>,
    engines: NodeEngines,
    network: Network,
    manager: Manager,
  ): Promise<Manager> {
    const batch = Math.max(1, ctx.intent.maxBatchSize ?? 1);
    const workers = plan.replace.filter((p) => p.role === 'worker');
    const masters = plan.replace.filter((p) => p.role === 'master');
    await ctx.event(
      'upgrade',
      `replacing ${plan.replace.length} node(s) running another image: ${workers.length} worker(s) ${batch} at a time, then ${masters.length} master(s) one at a time`,
    );
    for (let i = 0; i < workers.length; i += batch) {
      const results = await Promise.allSettled(
        workers.slice(i, i + batch).map((p) => this.#replaceWorker(ctx, p, machines, engines, network, manager)),
      );
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
    let m = manager;
    for (const p of masters) m = await this.#replaceMaster(ctx, p, plan.nodes, machines, engines, network, m);
    return m;
  }

  /** Drain, remove, create on the new image (empty data), join, Ready. */
  async #replaceWorker(
    ctx: DriverContext,
    p: PlannedNode,
    machines: Map<string, Machine>,
    engines: NodeEngines,
    network: Network,
    manager: Manager,
  ): Promise<void> {
    const old = machines.get(p.name) as Machine;
    const known = (await manager.engine.listNodes()).filter((n) => n.Description.Hostname === p.hostname);
    const node = nodesByHostname(known).get(p.hostname);
    if (node && old.state === 'running') await this.#drain(ctx, manager, node, 'upgrade');
    await this.#p.removeMachine(old, {}, ctx.signal);
    for (const n of known) await removeNodeEntry(manager.engine, n);
    const made = await createNode(this.#p, ctx, p, network, { previous: old, keepData: false });
    machines.set(p.name, made);
    const engine = engines.of(made);
    await waitEngine(this.#p, engines, made, ctx.signal);
    const swarm = await manager.engine.swarmInspect();
    await engine.swarmJoin({
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: made.address,
      RemoteAddrs: [`${manager.machine.address}:2377`],
      JoinToken: swarm.JoinTokens.Worker,
    });
    await waitReady(manager.engine, [p.hostname], READY_MS, ctx.signal);
    await this.#track(ctx, p.hostname, false);
    await this.#settle(ctx, manager.engine, [p], false);
    await ctx.event('upgrade', `node ${p.hostname} replaced: ${old.image} → ${p.image}`);
  }

  /** Drain, remove keeping its data (raft state), create on the new image, rejoin by itself, Ready, active again. */
  async #replaceMaster(
    ctx: DriverContext,
    p: PlannedNode,
    nodes: readonly PlannedNode[],
    machines: Map<string, Machine>,
    engines: NodeEngines,
    network: Network,
    manager: Manager,
  ): Promise<Manager> {
    const old = machines.get(p.name) as Machine;
    const node = nodesByHostname(await manager.engine.listNodes()).get(p.hostname);
    if (node && old.state === 'running' && nodes.length > 1) await this.#drain(ctx, manager, node, 'upgrade');
    await this.#p.removeMachine(old, { keepVolumes: true }, ctx.signal);
    const made = await createNode(this.#p, ctx, p, network, { previous: old, keepData: true });
    machines.set(p.name, made);
    await waitEngine(this.#p, engines, made, ctx.signal);
    const m = await this.#formSwarm(ctx, nodes, machines, engines);
    await waitReady(
      m.engine,
      nodes.map((x) => x.hostname),
      READY_MS,
      ctx.signal,
    );
    const entry = nodesByHostname(await m.engine.listNodes()).get(p.hostname);
    if (entry) await setAvailability(m.engine, entry.ID, 'active');
    await this.#track(ctx, p.hostname, false);
    await ctx.event('upgrade', `node ${p.hostname} replaced: ${old.image} → ${p.image}`);
    return m;
  }

  /**
   * Removes stale swarm entries: entries of this cluster's naming scheme that belong to no wanted node (their machine
   * is gone, even if the swarm has not noticed yet), and entries that are not Ready and either belong to no wanted node
   * or are shadowed by a Ready one of the same hostname.
   */
  async #prune(ctx: DriverContext, manager: Manager['engine'], nodes: readonly PlannedNode[]): Promise<void> {
    const wanted = new Set(nodes.map((p) => p.hostname));
    const ours = new RegExp(`^${hostPrefix(ctx.cluster.name)}-(master|node)-\\d+$`); // the prefix is [a-z0-9-] only
    const entries = await manager.listNodes();
    const ready = new Set(entries.filter((n) => n.Status.State === 'ready').map((n) => n.Description.Hostname));
    for (const n of entries) {
      const h = n.Description.Hostname;
      const orphan = !wanted.has(h) && ours.test(h);
      if (!orphan && (n.Status.State === 'ready' || (wanted.has(h) && !ready.has(h)))) continue;
      await removeNodeEntry(manager, n);
      await ctx.event('prune', `stale swarm entry of ${h} (${n.Status.State}) removed`);
    }
  }
}

/** The plan, or a DriverError when the layout cannot hold the counts. */
function planOrFail(input: PlanInput<Machine>): NodePlan<Machine> {
  try {
    return planNodes(input);
  } catch (e) {
    throw new DriverError('plan', (e as Error).message);
  }
}
