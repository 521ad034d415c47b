/**
 * @module Rolling upgrade of a Kubernetes cluster to another version: the nodes whose machine runs another node image
 * than their group's version asks for are made again, the control plane first (one master at a time: its etcd data
 * volume is kept, so the member and the cluster's data survive; the apiserver keeps its loopback port), then the
 * workers `max_batch_size` at a time. Each node: cordon, drain through the Eviction API (PodDisruptionBudgets
 * respected), out of the Service load balancers' members, machine removed and made again from the new node image, wait until its kubelet reports Ready at the
 * new version, uncordon. Progress lives where it can be observed — the machine's image and the Node's kubelet
 * version — plus the driver state (nodes cordoned by the driver, endpoints of machines being made again), so a
 * conductor killed at any point resumes from what exists. A drain that PodDisruptionBudgets keep from finishing ends
 * the run (UPDATE_FAILED) with the node uncordoned on its old version, and a master that does not come up on the new
 * version is made again from its old image: either way the cluster keeps serving.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Endpoint, Machine, Provider } from '../../providers/contract.ts';
import { DriverError, type DriverContext } from '../contract.ts';
import type { PlannedNode } from '../local-common/node-plan.ts';
import { waitApiReady } from './cluster-ops.ts';
import { drain, uncordon } from './drain.ts';
import { KubeApiError, nodeReady, type KubeApi, type KubeNode } from './kube-api.ts';
import { machineSpec, type SpecContext } from './machines.ts';
import { SERVICE_LB_PURPOSE, SERVICE_NAME_LABEL } from './service-lbs.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sleeps `ms`, ending early (rejecting) when `signal` aborts. */
async function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal });
}

/** Driver-state key: endpoints of machines being made again, so a resumed run keeps their loopback ports. */
export const REPLACED_ENDPOINTS = 'replacedEndpoints';

/** Whether a kubelet version string is the version of a kube tag (`v1.37.2`, `v1.37.2+…`, `v1.37.2-…`). */
export function kubeletAt(kubeletVersion: string | undefined, tag: string): boolean {
  if (!kubeletVersion) return false;
  return kubeletVersion === tag || kubeletVersion.startsWith(`${tag}+`) || kubeletVersion.startsWith(`${tag}-`);
}

/** The kube tag of a Kubernetes node image reference (`magnetar/k8s-node:v1.37.2` → `v1.37.2`). */
export const imageTag = (image: string): string => image.slice(image.lastIndexOf(':') + 1);

/** The order nodes are replaced in: masters one at a time (by index), then workers in batches of `batch`. */
export function upgradeWaves(replace: readonly PlannedNode[], batch: number): PlannedNode[][] {
  const byIndex = (a: PlannedNode, b: PlannedNode): number => a.index - b.index;
  const masters = replace.filter((p) => p.role === 'master').sort(byIndex);
  const workers = replace.filter((p) => p.role !== 'master').sort(byIndex);
  const size = Math.max(1, Math.floor(batch));
  const waves: PlannedNode[][] = masters.map((m) => [m]);
  for (let i = 0; i < workers.length; i += size) waves.push(workers.slice(i, i + size));
  return waves;
}

/** What a rolling upgrade needs from the driver. */
export interface UpgradeDeps {
  provider: Provider;
  ctx: DriverContext;
  specCtx: SpecContext;
  drainTimeoutMs: number;
  timeouts: { bootstrap: number; apiserver: number; nodes: number };
  /** The conductor's client of the apiserver a master machine publishes. */
  connect(master: Machine): Promise<KubeApi>;
  /** Records (or forgets) that the driver cordoned a node. */
  track(hostname: string, cordoned: boolean): Promise<void>;
  /**
   * After a master was made again, how long to wait before the first worker is drained: every node's watches (kube-
   * proxy's EndpointSlices, flanneld's Nodes) lost the apiserver and come back only after client-go's back-off, up to
   * about 25 s after a 10 s outage; until then a kube-proxy still sends traffic to pods the drain evicts. @default 30000
   */
  settleMs?: number;
  /**
   * How long a drained node may take to leave the Service load balancers (the conductor's lb-sync drops a cordoned
   * node from their members) before its machine is removed anyway. @default 30000
   */
  lbLeaveMs?: number;
}

/**
 * Replaces the nodes of `replace`, wave by wave ({@link upgradeWaves}). `machines` (by name) is updated with the
 * machines made; returns the apiserver client to go on with (a new one once a master was made again).
 */
export async function rollingUpgrade(
  d: UpgradeDeps,
  replace: readonly PlannedNode[],
  machines: Map<string, Machine>,
  api: KubeApi,
): Promise<KubeApi> {
  const { ctx } = d;
  const batch = ctx.intent.maxBatchSize ?? 1;
  const waves = upgradeWaves(replace, batch);
  const masters = replace.filter((p) => p.role === 'master').length;
  await ctx.event(
    'upgrade',
    `replacing ${replace.length} node(s) on another version: ${masters} master(s) one at a time, then ` +
      `${replace.length - masters} worker(s) ${Math.max(1, batch)} at a time`,
  );
  let client = api;
  let mastersDoneAt: number | undefined;
  for (const wave of waves) {
    if (mastersDoneAt !== undefined && wave.every((p) => p.role !== 'master')) {
      const wait = Math.max(0, (d.settleMs ?? 30_000) - (Date.now() - mastersDoneAt));
      await ctx.event(
        'upgrade',
        `control plane on the new version; waiting ${Math.round(wait / 1000)}s for every node to watch the new ` +
          `apiserver again before draining workers`,
      );
      await sleepFor(wait, ctx.signal);
      mastersDoneAt = undefined;
    }
    const results = await Promise.allSettled(wave.map((p) => replaceNode(d, p, machines, client)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (wave.some((p) => p.role === 'master')) {
      // The apiserver went away with the master: talk to the one now running.
      const master = machines.get(wave[0]?.name ?? '');
      if (master && !failed) {
        client.close();
        client = await d.connect(master);
        mastersDoneAt = Date.now();
      }
    }
    if (failed) throw failed.reason;
  }
  return client;
}

/** One node: cordon and drain, make the machine again on the new image, Ready at the new version, uncordon. */
async function replaceNode(
  d: UpgradeDeps,
  p: PlannedNode,
  machines: Map<string, Machine>,
  api: KubeApi,
): Promise<void> {
  const { ctx, provider } = d;
  const old = machines.get(p.name);
  if (!old) throw new DriverError('upgrade', `node ${p.hostname} has no machine to replace`);
  const h = p.hostname;
  const to = imageTag(p.image);
  await ctx.event('upgrade', `node ${h} (${p.role}): ${old.image} → ${p.image}; cordon and drain`);
  await d.track(h, true);
  const node = await getNode(api, h, ctx.signal);
  if (node && old.state === 'running') {
    const r = await drain(api, h, {
      timeoutMs: d.drainTimeoutMs,
      signal: ctx.signal,
      onBlocked: (pod, why) =>
        ctx.event(
          'upgrade',
          `eviction of ${pod} from ${h} refused (${why}); asking again for up to ${d.drainTimeoutMs / 1000}s`,
          'warning',
        ),
    });
    if (!r.drained) {
      // The node stays as it is (old version, schedulable again): the cluster serves as before the upgrade.
      await uncordon(api, h, ctx.signal);
      await d.track(h, false);
      throw new DriverError(
        'upgrade',
        `node ${h} could not be drained in ${d.drainTimeoutMs / 1000}s` +
          `${r.blocked.length ? ` (still blocked: ${r.blocked.join('; ')})` : ''}; it stays on ${old.image} and ` +
          `schedulable; the upgrade stopped here`,
      );
    }
    await ctx.event('upgrade', `node ${h} drained (${r.pods} pods evicted)`);
  }
  await leaveLoadBalancers(d, old);

  // Remember the machine's ports before it goes: a resumed run that finds no machine makes it on the same ones.
  const recorded = (ctx.state.get()[REPLACED_ENDPOINTS] as Record<string, Record<string, Endpoint>> | undefined) ?? {};
  await ctx.state.merge({ [REPLACED_ENDPOINTS]: { ...recorded, [p.name]: old.endpoints } });
  await provider.removeMachine(old, { keepVolumes: p.role === 'master' }, ctx.signal);
  machines.delete(p.name);
  const spec = await machineSpec(d.specCtx, p, p.image, old.endpoints);
  const made = await provider.ensureMachine(spec, ctx.signal);
  machines.set(p.name, made);
  await ctx.event('upgrade', `node ${h} made again from ${p.image} at ${made.address}`);

  let client = api;
  if (p.role === 'master') {
    try {
      await bootstrapped(d, made, p.image);
      client = await d.connect(made);
      await waitApiReady(client, d.timeouts.apiserver, ctx.signal);
    } catch (e) {
      if (!(e instanceof DriverError) || ctx.signal.aborted) throw e;
      if (client !== api) client.close();
      return putBack(d, p, old, machines, e);
    }
    await ctx.event('upgrade', `apiserver ready on ${to} (${h})`);
  } else {
    await bootstrapped(d, made, p.image);
  }
  try {
    await waitNodeAt(client, h, to, d.timeouts.nodes, ctx.signal);
    await uncordon(client, h, ctx.signal);
  } finally {
    if (client !== api) client.close();
  }
  await d.track(h, false);
  const left = { ...((ctx.state.get()[REPLACED_ENDPOINTS] as Record<string, unknown> | undefined) ?? {}) };
  delete left[p.name];
  await ctx.state.merge({ [REPLACED_ENDPOINTS]: left });
  await ctx.event('upgrade', `node ${h} replaced: Ready at ${to}, schedulable`);
}

/**
 * Waits until no Service load balancer of the cluster sends to the machine any more (lb-sync drops cordoned nodes
 * from their members: `memberNodes` in ./service-lbs.ts), so clients arriving through an EXTERNAL-IP are not sent to a
 * node whose machine is about to go; connections already open finish on it (it still runs). A load balancer whose
 * only member it is keeps it (there is no other). After `lbLeaveMs` the upgrade goes on with a warning.
 */
async function leaveLoadBalancers(d: UpgradeDeps, m: Machine): Promise<void> {
  const { ctx, provider } = d;
  const limit = d.lbLeaveMs ?? 30_000;
  const started = Date.now();
  let holding: string[] = [];
  for (;;) {
    const lbs = await provider.listLoadBalancers(ctx.cluster.uuid, ctx.signal);
    holding = lbs
      .filter((lb) => lb.purpose === SERVICE_LB_PURPOSE)
      .filter((lb) =>
        lb.listeners.some(
          (l) => l.members.some((x) => x.address === m.address) && l.members.some((x) => x.address !== m.address),
        ),
      )
      .map((lb) => lb.labels[SERVICE_NAME_LABEL] ?? lb.name);
    if (holding.length === 0) break;
    if (Date.now() - started >= limit) {
      await ctx.event(
        'upgrade',
        `node ${m.hostname} is still a member of the load balancer(s) of ${holding.join(', ')} after ` +
          `${limit / 1000}s; replacing it anyway`,
        'warning',
      );
      return;
    }
    await sleepFor(500, ctx.signal);
  }
  const waited = Date.now() - started;
  if (waited >= 1_000)
    await ctx.event('upgrade', `node ${m.hostname} left the Service load balancers (${(waited / 1000).toFixed(1)}s)`);
}

/** Waits until a (re)made machine ran its payload; a failure or time-out is a DriverError with the output's tail. */
async function bootstrapped(d: UpgradeDeps, m: Machine, image: string): Promise<void> {
  const st = await d.provider.waitBootstrap(m, { timeoutMs: d.timeouts.bootstrap, signal: d.ctx.signal });
  if (st.state === 'failed')
    throw new DriverError(
      'upgrade',
      `${m.hostname}: the node's payload failed on ${image}: ${st.output.trim().slice(-600)}`,
    );
  if (st.state === 'pending')
    throw new DriverError(
      'upgrade',
      `${m.hostname}: the node's payload did not finish in ${d.timeouts.bootstrap / 1000}s`,
      {
        retryable: true,
      },
    );
}

/**
 * A master that does not come up on the new version (payload failed, apiserver not ready) is made again from its old
 * image on the same etcd volume, so the control plane answers again, and the upgrade stops with the reason.
 */
async function putBack(
  d: UpgradeDeps,
  p: PlannedNode,
  old: Machine,
  machines: Map<string, Machine>,
  cause: DriverError,
): Promise<never> {
  const { ctx, provider } = d;
  const h = p.hostname;
  await ctx.event(
    'upgrade',
    `master ${h} did not come up on ${p.image} (${cause.message}); making it again from ${old.image}`,
    'warning',
  );
  const failed = machines.get(p.name);
  if (failed) await provider.removeMachine(failed, { keepVolumes: true }, ctx.signal);
  const back = await provider.ensureMachine(await machineSpec(d.specCtx, p, old.image, old.endpoints), ctx.signal);
  machines.set(p.name, back);
  await bootstrapped(d, back, old.image);
  const client = await d.connect(back);
  try {
    await waitApiReady(client, d.timeouts.apiserver, ctx.signal);
    await waitNodeAt(client, h, imageTag(old.image), d.timeouts.nodes, ctx.signal);
    await uncordon(client, h, ctx.signal);
  } finally {
    client.close();
  }
  await d.track(h, false);
  throw new DriverError(
    'upgrade',
    `master ${h} did not come up on ${imageTag(p.image)}: ${cause.message}; it runs ${imageTag(old.image)} again, ` +
      `schedulable; the upgrade stopped here`,
  );
}

async function getNode(api: KubeApi, name: string, signal: AbortSignal): Promise<KubeNode | undefined> {
  try {
    return await api.get<KubeNode>(`/api/v1/nodes/${encodeURIComponent(name)}`, signal);
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return undefined;
    throw e;
  }
}

/**
 * Waits until the Node `name` is Ready and its kubelet reports version `tag` (the Node object outlives the machine,
 * so Ready alone could still be the old kubelet's last word).
 */
export async function waitNodeAt(
  api: KubeApi,
  name: string,
  tag: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<KubeNode> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not registered';
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    try {
      const n = await getNode(api, name, signal);
      if (n) {
        const v = n.status?.nodeInfo?.kubeletVersion;
        if (kubeletAt(v, tag) && nodeReady(n) === 'True') return n;
        const c = n.status?.conditions?.find((x) => x.type === 'Ready');
        last = `kubelet ${v ?? 'unknown'}, Ready=${c?.status ?? 'unknown'}${c?.reason ? ` (${c.reason})` : ''}`;
      }
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      last = (e as Error).message;
    }
    await sleep(1_000);
  }
  throw new DriverError('upgrade', `node ${name} not Ready at ${tag} after ${timeoutMs / 1000}s: ${last}`, {
    retryable: true,
  });
}
