/**
 * @module The `docker` driver on the local Docker provider: one node running a Docker engine, reached over mutual TLS
 * like a swarm manager (`api_address` tcp://127.0.0.1:<port>). The node comes from the master node group; worker node
 * groups get no nodes (node_count is kept but not used). Shares node provisioning with the swarm driver; an image
 * change replaces the node in place, keeping its /var/lib/docker (images, containers, volumes).
 */
import { invalid } from '../../core/errors.ts';
import { parseBool } from '../../core/labels.ts';
import type { Machine, Provider } from '../../providers/contract.ts';
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
import { planNodes, type PlannedNode } from '../local-common/node-plan.ts';
import { ENGINE_PORT_NAME } from '../local-common/docker-node-payload.ts';
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
  waitEngines,
  type NodeEngineFactory,
} from '../local-common/provisioning.ts';

const HEALTH_CALL_MS = 5_000;

export interface DockerDriverOptions {
  /** Where the node comes from. */
  provider: Provider;
  /** Makes node engine clients (benchmarks count their calls). */
  nodeEngine?: NodeEngineFactory;
  /** Also serve server_type `vm` (clients that always send it). */
  serveVm: boolean;
}

export class DockerDriver implements Driver {
  readonly name = 'docker-local';
  readonly provides: readonly DriverKey[];
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['upgrade', 'health']);
  readonly defaultNetworkDriver = 'docker';
  readonly #p: Provider;
  readonly #nodeEngine: NodeEngineFactory | undefined;

  constructor(opts: DockerDriverOptions) {
    this.#p = opts.provider;
    this.#nodeEngine = opts.nodeEngine;
    const types = opts.serveVm ? ['container', 'vm'] : ['container'];
    this.provides = types.map((serverType) => ({ serverType, os: 'debian', coe: 'docker' }));
  }

  validateTemplate(t: TemplateView): void {
    if (t.network_driver && t.network_driver !== 'docker') {
      throw invalid(
        `Network driver type ${t.network_driver} is not supported by the ${this.name} driver, expecting docker.`,
      );
    }
    if (t.volume_driver)
      throw invalid(`Volume driver type ${t.volume_driver} is not supported by the ${this.name} driver.`);
    const heal = t.labels.auto_healing_enabled;
    if (heal !== undefined && parseBool(heal) === undefined)
      throw invalid(`Label auto_healing_enabled=${heal} is not valid: must be true or false.`);
  }

  async ensureCluster(ctx: DriverContext): Promise<ClusterOutputs> {
    const { cluster } = ctx;
    const group = cluster.nodegroups.find((g) => g.role === 'master') ?? cluster.nodegroups[0];
    if (!group) throw new DriverError('plan', 'the cluster has no node group');
    const network = await ensureClusterNetwork(this.#p, ctx);
    const engines = new NodeEngines(this.#p, await nodeTls(ctx), this.#nodeEngine);
    try {
      const observed = await phase('observe', () => this.#p.listMachines(cluster.uuid, ctx.signal));
      const plan = planNodes({
        uuid: cluster.uuid,
        name: cluster.name,
        groups: [{ name: group.name, role: 'master', nodeCount: 1, imageId: group.imageId }],
        observed,
      });
      for (const r of plan.remove) {
        await phase('nodes', () => this.#p.removeMachine(r.machine, {}, ctx.signal));
        await ctx.event('nodes', `node ${r.machine.hostname} removed`);
      }
      const removed = new Set(plan.remove.map((r) => r.machine.name));
      const existing = new Map(observed.filter((x) => !removed.has(x.name)).map((x) => [x.name, x]));
      const machines = await phase('nodes', () => ensureMachines(this.#p, ctx, plan.nodes, existing, network));
      const node = plan.nodes[0] as PlannedNode;
      let machine = machines.get(node.name) as Machine;
      if (plan.replace.length > 0) {
        machine = await phase('upgrade', async () => {
          await this.#p.removeMachine(machine, { keepVolumes: true }, ctx.signal);
          const made = await createNode(this.#p, ctx, node, network, { previous: machine, keepData: true });
          await ctx.event('upgrade', `node ${node.hostname} replaced: ${machine.image} → ${node.image}`);
          return made;
        });
      }
      await phase('engines', () => waitEngines(this.#p, engines, [machine], ctx.signal));
      const version = await phase('engines', () => engines.of(machine).version());
      if (plan.create.length > 0)
        await ctx.event(
          'engines',
          `engine of ${node.hostname} answers over ${cluster.tlsDisabled ? 'plain TCP' : 'mutual TLS'}`,
        );
      return localOutputs(this.#p, machine, version.Version, plan.nodes, network);
    } finally {
      engines.closeAll();
    }
  }

  removeCluster(ctx: DriverContext): Promise<void> {
    return removeClusterResources(this.#p, ctx);
  }

  /** Health: the node's container runs and its engine answers `GET /_ping` (one call; none when it is not running). */
  async checkHealth(ctx: HealthContext): Promise<HealthReport> {
    const node = ctx.nodes.find((n) => n.role === 'master') ?? ctx.nodes[0];
    if (!node)
      return { status: 'UNKNOWN', reason: { api: `The cluster ${ctx.cluster.name} has no nodes.` }, failed: [] };
    let api = `node container is ${node.status}`;
    const endpoint = this.#p.endpoint(node, ENGINE_PORT_NAME);
    if (node.state === 'running' && endpoint) {
      const engine = nodeEngineAt(endpoint, await nodeTls(ctx), HEALTH_CALL_MS, this.#nodeEngine);
      try {
        await engine.requestRaw('GET', '/_ping', { timeoutMs: HEALTH_CALL_MS, signal: ctx.signal });
        api = 'ok';
      } catch (e) {
        api = (e as Error).message;
      } finally {
        engine.close();
      }
    }
    const ready = api === 'ok';
    return {
      status: ready ? 'HEALTHY' : node.state === 'running' ? 'UNKNOWN' : 'UNHEALTHY',
      reason: { api, [`${node.hostname}.Ready`]: ready ? 'True' : 'False' },
      failed: ready ? [] : [node.hostname],
    };
  }
}
