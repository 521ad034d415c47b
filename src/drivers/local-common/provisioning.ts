/**
 * @module Node provisioning shared by the drivers whose nodes run a Docker engine (swarm, docker), on any provider:
 * the cluster network, machines made from a plan (certificate, cloud-init payload, flavor, data volume), their engines
 * reached over mutual TLS at the endpoints the provider reports, and teardown. Every step observes first, so re-running
 * converges. Reaches the provider only through the contract.
 */
import { hostAddress } from '../../core/cidr.ts';
import { Engine, type EngineEndpoint, type EngineOptions } from '../../docker-api/engine.ts';
import type { Endpoint, Machine, MachineSpec, Network, Provider } from '../../providers/contract.ts';
import {
  DriverError,
  type ClusterOutputs,
  type ClusterPki,
  type ClusterSpec,
  type DriverContext,
} from '../contract.ts';
import { dockerNodeUserData, ENGINE_PORT, ENGINE_PORT_NAME } from './docker-node-payload.ts';
import type { PlannedNode } from './node-plan.ts';
import { describeResources, resourceCount } from './resources.ts';

/** Makes the Engine clients of node engines (tests and benchmarks wrap them to count calls). */
export type NodeEngineFactory = (endpoint: EngineEndpoint, opts: EngineOptions) => Engine;

/** The default {@link NodeEngineFactory}. */
export const defaultNodeEngine: NodeEngineFactory = (endpoint, opts) => new Engine(endpoint, opts);

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

/** Ensures the cluster's network; reports a new one on the timeline. */
export async function ensureClusterNetwork(provider: Provider, ctx: DriverContext): Promise<Network> {
  const net = await phase('network', () =>
    provider.ensureNetwork({ clusterUuid: ctx.cluster.uuid, subnetHint: ctx.cluster.fixedSubnet }, ctx.signal),
  );
  if (net.created) await ctx.event('network', `network created on ${net.cidr}`);
  return net;
}

/** An Engine client for a node engine at `endpoint`: mutual TLS, or plain for TLS-disabled clusters. */
export function nodeEngineAt(
  endpoint: Endpoint,
  tls: NodeTls,
  timeoutMs = 30_000,
  factory: NodeEngineFactory = defaultNodeEngine,
): Engine {
  return factory(
    { host: endpoint.host, port: endpoint.port, ...(tls ? { tls: { ...tls, servername: 'localhost' } } : {}) },
    { timeoutMs },
  );
}

/** Where the conductor reaches a machine's engine; a DriverError when the provider reports no endpoint for it. */
export function engineEndpoint(provider: Provider, machine: Pick<Machine, 'endpoints' | 'hostname'>): Endpoint {
  const ep = provider.endpoint(machine, ENGINE_PORT_NAME);
  if (!ep)
    throw new DriverError('engines', `${machine.hostname} has no reachable engine endpoint`, { retryable: true });
  return ep;
}

/** Engine clients of node engines, one per machine (by name and endpoint), closed together. */
export class NodeEngines {
  readonly #provider: Provider;
  readonly #tls: NodeTls;
  readonly #factory: NodeEngineFactory;
  readonly #open = new Map<string, Engine>();

  constructor(provider: Provider, tls: NodeTls, factory: NodeEngineFactory = defaultNodeEngine) {
    this.#provider = provider;
    this.#tls = tls;
    this.#factory = factory;
  }

  /** The client of a machine's engine (reused while its endpoint stays the same). */
  of(machine: Pick<Machine, 'name' | 'hostname' | 'endpoints'>): Engine {
    const ep = engineEndpoint(this.#provider, machine);
    const key = `${machine.name}@${ep.host}:${ep.port}`;
    let e = this.#open.get(key);
    if (!e) {
      e = nodeEngineAt(ep, this.#tls, 30_000, this.#factory);
      this.#open.set(key, e);
    }
    return e;
  }

  closeAll(): void {
    for (const e of this.#open.values()) e.close();
    this.#open.clear();
  }
}

/** The data volume holding a node's /var/lib/docker (kept across an in-place replacement, e.g. of a manager). */
export const dataVolumeName = (machineName: string): string => `${machineName}-data`;

/** Creates one planned node: server certificate, cloud-init payload, machine with its flavor and data volume. */
export async function createNode(
  provider: Provider,
  ctx: DriverContext,
  p: PlannedNode,
  network: Network,
  opts: { keepData?: boolean; previous?: Pick<Machine, 'endpoints'> } = {},
): Promise<Machine> {
  const { cluster } = ctx;
  ctx.signal.throwIfAborted();
  const address = hostAddress(network.cidr, p.host);
  const dns = cluster.dnsNameservers.length ? cluster.dnsNameservers : await provider.resolvers();
  const cert = await ctx.pki.issueServer(p.hostname, [p.hostname, 'localhost'], [address, '127.0.0.1']);
  const ng = cluster.nodegroups.find((g) => g.name === p.nodegroup);
  const spec: MachineSpec = {
    name: p.name,
    hostname: p.hostname,
    clusterUuid: cluster.uuid,
    role: p.role,
    nodegroup: p.nodegroup,
    index: p.index,
    image: p.image,
    flavor: ng?.flavorId ? { name: ng.flavorId, limits: ng.flavor } : null,
    network: { id: network.id, address },
    volumes: [
      {
        name: dataVolumeName(p.name),
        mountPath: '/var/lib/docker',
        sizeGb: ng?.dockerVolumeSize ?? null,
        // A manager keeps its data (raft state) when its machine is made again; a worker always starts afresh.
        keep: opts.keepData ?? p.role === 'master',
      },
    ],
    labels: {},
    ports: [{ name: ENGINE_PORT_NAME, port: ENGINE_PORT }],
    userData: dockerNodeUserData({
      caPem: ctx.pki.caPem,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      dns,
      tlsDisabled: cluster.tlsDisabled,
    }),
    ...(opts.previous ? { previousEndpoints: opts.previous.endpoints } : {}),
  };
  return provider.ensureMachine(spec, ctx.signal);
}

/**
 * Makes every planned node's machine exist and run: creates the missing ones (in parallel), starts stopped ones,
 * and makes again the ones that never started or cannot start. Returns the machines by planned node name.
 */
export async function ensureMachines(
  provider: Provider,
  ctx: DriverContext,
  nodes: readonly PlannedNode[],
  existing: ReadonlyMap<string, Machine>,
  network: Network,
): Promise<Map<string, Machine>> {
  const made = await Promise.all(
    nodes.map(async (p): Promise<Machine> => {
      const have = existing.get(p.name);
      if (have && ['running', 'pending', 'paused'].includes(have.state)) return have;
      if (have?.state === 'stopped') {
        try {
          await provider.startMachine(have, ctx.signal);
          await ctx.event('nodes', `node ${p.hostname} was ${have.status}; restarted`);
          return { ...have, state: 'running', status: 'running' };
        } catch (e) {
          await ctx.event(
            'nodes',
            `node ${p.hostname} did not start (${(e as Error).message}); making it again`,
            'warning',
          );
        }
      }
      // Created but never started, dead, or unstartable: made again (a manager keeps its data volume).
      if (have) await provider.removeMachine(have, { keepVolumes: p.role === 'master' }, ctx.signal);
      const made = await createNode(provider, ctx, p, network, have ? { previous: have } : {});
      await ctx.event('nodes', `node ${p.hostname} (${p.role}, ${p.nodegroup}) started at ${made.address}`);
      return made;
    }),
  );
  return new Map(made.map((x) => [x.name, x]));
}

/**
 * Waits until a machine's engine answers (over mutual TLS unless the cluster disabled TLS). While it does not, the
 * machine's bootstrap is looked at every 2 s: a failed payload ends the wait at once with the tail of its output.
 */
export async function waitEngine(
  provider: Provider,
  engines: NodeEngines,
  machine: Machine,
  signal: AbortSignal,
  timeoutMs = ENGINE_UP_MS,
): Promise<void> {
  const engine = engines.of(machine);
  const started = Date.now();
  let looked = started;
  for (;;) {
    if (await engine.ping(signal)) return;
    signal.throwIfAborted();
    const now = Date.now();
    if (now - looked >= 2_000 || now - started >= timeoutMs) {
      looked = now;
      const boot = await provider.bootstrapStatus(machine, {
        signal,
        ...(now - started >= timeoutMs ? { tailLines: 20 } : {}),
      });
      if (boot.state === 'failed')
        throw new DriverError('engines', `bootstrap of ${machine.hostname} failed: ${boot.output || '(no output)'}`);
      if (now - started >= timeoutMs)
        throw new DriverError(
          'engines',
          `the engine of ${machine.hostname} is not answering after ${timeoutMs / 1000} s (bootstrap ${boot.state}${boot.output ? `; output: ${boot.output}` : ''})`,
          { retryable: true },
        );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for every machine's engine ({@link waitEngine}). */
export async function waitEngines(
  provider: Provider,
  engines: NodeEngines,
  machines: Iterable<Machine>,
  signal: AbortSignal,
): Promise<void> {
  await Promise.all([...machines].map((x) => waitEngine(provider, engines, x, signal)));
}

/** Removes everything labelled with the cluster and checks nothing is left (both drivers' `removeCluster`). */
export async function removeClusterResources(provider: Provider, ctx: DriverContext): Promise<void> {
  const removed = await phase('teardown', () => provider.removeCluster(ctx.cluster.uuid, ctx.signal));
  if (resourceCount(removed) > 0) {
    await ctx.event('teardown', `removed ${describeResources(removed)}`);
  }
  const left = await phase('teardown', () => provider.leftovers(ctx.cluster.uuid, ctx.signal));
  if (resourceCount(left) > 0) {
    throw new DriverError('teardown', `still present after removal: ${describeResources(left)}`, { retryable: true });
  }
}

/** What a finished run reports: the API node's engine endpoint, its engine version, addresses per node group. */
export function localOutputs(
  provider: Provider,
  api: Machine,
  engineVersion: string,
  nodes: readonly PlannedNode[],
  network: Network,
): ClusterOutputs {
  const addresses: Record<string, string[]> = {};
  for (const p of nodes) (addresses[p.nodegroup] ??= []).push(hostAddress(network.cidr, p.host));
  const ep = engineEndpoint(provider, api);
  return {
    apiAddress: `tcp://${ep.host}:${ep.port}`,
    coeVersion: engineVersion,
    containerVersion: engineVersion,
    addresses,
  };
}
