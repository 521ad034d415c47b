/**
 * @module Node provisioning shared by the drivers of the local Docker provider (swarm, docker): the cluster network,
 * node containers made from a plan (certificate, daemon.json, flavor limits), engines reached over mutual TLS,
 * teardown, and the bulk node inventory the health sync reads. Every step observes first, so re-running converges.
 */
import type { Engine } from '../../providers/docker/engine.ts';
import { hostResolvers, type LocalMachines, type Machine } from '../../providers/docker/machines.ts';
import { hostAddress } from '../../providers/docker/subnets.ts';
import {
  DriverError,
  type ClusterOutputs,
  type ClusterPki,
  type ClusterSpec,
  type DriverContext,
  type NodeInventory,
  type ObservedNode,
} from '../contract.ts';
import { nodeFiles } from './daemon-config.ts';
import type { PlannedNode } from './node-plan.ts';

/** Client TLS material for node engines; null for TLS-disabled clusters. */
export type NodeTls = { ca: string; cert: string; key: string } | null;

const ENGINE_UP_MS = 60_000;

/** Runs one phase, turning any failure into a DriverError that names it. Engine/network errors are retryable. */
export async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DriverError) throw e;
    if ((e as Error).name === 'AbortError') throw e;
    const msg = (e as Error).message;
    const retryable =
      (e as Error).name === 'EngineUnreachableError' || /timeout|ECONNRESET|ECONNREFUSED|socket hang up/i.test(msg);
    throw new DriverError(name, msg, { retryable, cause: e });
  }
}

/** The conductor's client certificate for the cluster's node engines. */
export async function nodeTls(ctx: {
  cluster: ClusterSpec;
  pki: Pick<ClusterPki, 'caPem' | 'conductorClient'>;
}): Promise<NodeTls> {
  if (ctx.cluster.tlsDisabled) return null;
  const client = await ctx.pki.conductorClient();
  return { ca: ctx.pki.caPem, cert: client.certPem, key: client.keyPem };
}

/** The network every node of the cluster is on. */
export const networkName = (clusterUuid: string): string => `magnetar-${clusterUuid}`;

/** Ensures the cluster's bridge network; reports a new one on the timeline. Returns its subnet. */
export async function ensureClusterNetwork(m: LocalMachines, ctx: DriverContext): Promise<string> {
  const net = await phase('network', () =>
    m.ensureNetwork(ctx.cluster.uuid, networkName(ctx.cluster.uuid), ctx.cluster.fixedSubnet),
  );
  if (net.created) await ctx.event('network', `network created on ${net.subnet}`);
  return net.subnet;
}

/** Engine clients of node engines, one per machine (by name and port), closed together. */
export class NodeEngines {
  readonly #m: LocalMachines;
  readonly #tls: NodeTls;
  readonly #open = new Map<string, Engine>();

  constructor(m: LocalMachines, tls: NodeTls) {
    this.#m = m;
    this.#tls = tls;
  }

  /** The client of a machine's engine (reused while its port stays the same). */
  of(machine: Pick<Machine, 'name' | 'hostPort'>): Engine {
    const key = `${machine.name}:${machine.hostPort}`;
    let e = this.#open.get(key);
    if (!e) {
      e = this.#m.nodeEngine(machine, this.#tls);
      this.#open.set(key, e);
    }
    return e;
  }

  closeAll(): void {
    for (const e of this.#open.values()) e.close();
    this.#open.clear();
  }
}

/** Creates one planned node: server certificate, container with its files and flavor limits, started. */
export async function createNode(
  m: LocalMachines,
  ctx: DriverContext,
  p: PlannedNode,
  subnet: string,
  opts: { keepData?: boolean; hostPort?: number } = {},
): Promise<Machine> {
  const { cluster } = ctx;
  ctx.signal.throwIfAborted();
  const ip = hostAddress(subnet, p.host);
  const dns = cluster.dnsNameservers.length ? cluster.dnsNameservers : await hostResolvers();
  const cert = await ctx.pki.issueServer(p.hostname, [p.hostname, 'localhost'], [ip, '127.0.0.1']);
  const ng = cluster.nodegroups.find((g) => g.name === p.nodegroup);
  return m.create({
    clusterUuid: cluster.uuid,
    name: p.name,
    hostname: p.hostname,
    role: p.role,
    nodegroup: p.nodegroup,
    index: p.index,
    ip,
    image: p.image,
    network: networkName(cluster.uuid),
    files: nodeFiles({
      caPem: ctx.pki.caPem,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      dns,
      tlsDisabled: cluster.tlsDisabled,
    }),
    ...(ng?.flavor
      ? { memoryBytes: ng.flavor.memoryBytes, nanoCpus: ng.flavor.nanoCpus, flavor: ng.flavorId ?? '' }
      : {}),
    ...(opts.hostPort ? { hostPort: opts.hostPort } : {}),
    // A manager keeps its data (raft state) when its container is made again; a worker always starts afresh.
    keepData: opts.keepData ?? p.role === 'master',
  });
}

/**
 * Makes every planned node's container exist and run: creates the missing ones (in parallel), starts stopped ones,
 * and makes again the ones that never started or cannot start. Returns the machines by planned node name.
 */
export async function ensureMachines(
  m: LocalMachines,
  ctx: DriverContext,
  nodes: readonly PlannedNode[],
  existing: ReadonlyMap<string, Machine>,
  subnet: string,
): Promise<Map<string, Machine>> {
  const made = await Promise.all(
    nodes.map(async (p): Promise<Machine> => {
      const have = existing.get(p.name);
      if (have && ['running', 'restarting', 'paused'].includes(have.state)) return have;
      if (have?.state === 'exited') {
        try {
          await m.start(have);
          await ctx.event('nodes', `node ${p.hostname} was ${have.state}; restarted`);
          return { ...have, state: 'running', hostPort: have.hostPort };
        } catch (e) {
          await ctx.event(
            'nodes',
            `node ${p.hostname} did not start (${(e as Error).message}); making it again`,
            'warning',
          );
        }
      }
      if (have) await m.remove(have, { keepData: p.role === 'master' }); // created but never started, dead, or unstartable
      const made = await createNode(m, ctx, p, subnet, have?.hostPort ? { hostPort: have.hostPort } : {});
      await ctx.event('nodes', `node ${p.hostname} (${p.role}, ${p.nodegroup}) started at ${made.ip}`);
      return made;
    }),
  );
  return new Map(made.map((x) => [x.name, x]));
}

/** Waits until every machine's engine answers (over mutual TLS unless the cluster disabled TLS). */
export async function waitEngines(
  engines: NodeEngines,
  machines: Iterable<Machine>,
  signal: AbortSignal,
): Promise<void> {
  await Promise.all([...machines].map((x) => engines.of(x).waitUntilUp(ENGINE_UP_MS, 100, signal)));
}

/** Removes everything labelled with the cluster and checks nothing is left (both drivers' `removeCluster`). */
export async function removeClusterResources(m: LocalMachines, ctx: DriverContext): Promise<void> {
  const removed = await phase('teardown', () => m.removeAll(ctx.cluster.uuid));
  if (removed.containers + removed.volumes + removed.networks > 0) {
    await ctx.event(
      'teardown',
      `removed ${removed.containers} containers, ${removed.volumes} volumes, ${removed.networks} networks`,
    );
  }
  const left = await phase('teardown', () => m.leftovers(ctx.cluster.uuid));
  if (left.containers + left.volumes + left.networks > 0) {
    throw new DriverError(
      'teardown',
      `still present after removal: ${left.containers} containers, ${left.volumes} volumes, ${left.networks} networks`,
      { retryable: true },
    );
  }
}

/** What a finished run reports: the API node's pinned loopback port, its engine version, addresses per node group. */
export function localOutputs(
  api: Machine,
  engineVersion: string,
  nodes: readonly PlannedNode[],
  subnet: string,
): ClusterOutputs {
  const addresses: Record<string, string[]> = {};
  for (const p of nodes) (addresses[p.nodegroup] ??= []).push(hostAddress(subnet, p.host));
  return {
    apiAddress: `tcp://127.0.0.1:${api.hostPort}`,
    coeVersion: engineVersion,
    containerVersion: engineVersion,
    addresses,
  };
}

/** A machine as the provider-neutral health check sees it. */
export function observedNode(x: Machine): ObservedNode {
  return {
    name: x.name,
    hostname: x.hostname,
    role: x.role,
    nodegroup: x.nodegroup,
    state: x.state,
    endpoint: x.hostPort ? { host: '127.0.0.1', port: x.hostPort } : null,
  };
}

/** The local provider's inventory: ONE host `GET /containers/json` (label `magnetar.cluster`) for all clusters. */
export function localInventory(m: LocalMachines): NodeInventory {
  return {
    async observeAll() {
      const all = await m.listAll();
      return new Map([...all].map(([uuid, list]) => [uuid, list.map(observedNode)]));
    },
  };
}
