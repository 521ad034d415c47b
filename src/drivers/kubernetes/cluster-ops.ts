/**
 * @module Steps against a cluster's apiserver during ensureCluster: wait for readyz, apply the add-ons, label nodes as
 * their node groups say and wait for them Ready, wait for Deployments, prune Node objects left by nodes that are gone.
 * Each step reads first and only writes what differs.
 */
import { DriverError } from '../contract.ts';
import type { KubeObject } from './addons.ts';
import { KubeApiError, nodeReady, type KubeApi, type KubeNode } from './kube-api.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls readyz until ok; the last answer (or error) is in the failure. */
export async function waitApiReady(api: KubeApi, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    try {
      const r = await api.readyz(signal, 5_000);
      if (r.ok) return;
      last =
        r.detail
          .split('\n')
          .filter((l) => l.includes('failed'))
          .join('; ') || r.detail;
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      last = (e as Error).message;
    }
    await sleep(500);
  }
  throw new DriverError('apiserver', `the apiserver was not ready after ${timeoutMs / 1000}s: ${last}`, {
    retryable: true,
  });
}

/** Applies the objects in order (server-side apply: unchanged objects are not rewritten). */
export async function applyAll(api: KubeApi, objects: readonly KubeObject[], signal: AbortSignal): Promise<void> {
  for (const o of objects) await api.apply(o, signal);
}

/** Labels to add or change on a node (undefined when it has them all). */
export function missingLabels(
  node: KubeNode,
  wanted: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  const have = node.metadata.labels ?? {};
  const diff = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => have[k] !== v));
  return Object.keys(diff).length > 0 ? diff : undefined;
}

/**
 * Waits until every wanted node is registered and Ready, labelling each as soon as it registers (labels the kubelet
 * may not set on itself, such as node-role.kubernetes.io/*). Returns the nodes as last listed.
 */
export async function waitNodesReady(
  api: KubeApi,
  wanted: ReadonlyMap<string, Readonly<Record<string, string>>>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<KubeNode[]> {
  const deadline = Date.now() + timeoutMs;
  const labelled = new Set<string>();
  let missing: string[] = [...wanted.keys()];
  let nodes: KubeNode[] = [];
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    nodes = await api.listNodes(signal);
    const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
    for (const [name, labels] of wanted) {
      const node = byName.get(name);
      if (!node || labelled.has(name)) continue;
      const patch = missingLabels(node, labels);
      if (patch) await api.patchNode(name, { metadata: { labels: patch } }, signal);
      labelled.add(name);
    }
    missing = [...wanted.keys()].filter((h) => {
      const n = byName.get(h);
      return !n || nodeReady(n) !== 'True' || !labelled.has(h);
    });
    if (missing.length === 0) return nodes;
    await sleep(500);
  }
  const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
  const why = missing.map((h) => {
    const n = byName.get(h);
    if (!n) return `${h} (not registered)`;
    const c = n.status?.conditions?.find((x) => x.type === 'Ready');
    return `${h} (${c?.reason ?? 'not Ready'}${c?.message ? `: ${c.message}` : ''})`;
  });
  throw new DriverError('ready', `nodes not Ready after ${timeoutMs / 1000}s: ${why.join(', ')}`, { retryable: true });
}

interface DeploymentStatus {
  spec?: { replicas?: number };
  status?: { availableReplicas?: number; updatedReplicas?: number; conditions?: { type: string; status: string }[] };
}

/** Waits until a Deployment has all its replicas available. Returns false on time-out (the caller decides). */
export async function waitDeployment(
  api: KubeApi,
  namespace: string,
  name: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ available: boolean; detail: string }> {
  const deadline = Date.now() + timeoutMs;
  let detail = 'not found';
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    try {
      const d = await api.get<DeploymentStatus>(`/apis/apps/v1/namespaces/${namespace}/deployments/${name}`, signal);
      const want = d.spec?.replicas ?? 1;
      const have = d.status?.availableReplicas ?? 0;
      detail = `${have} of ${want} replicas available`;
      if (have >= want) return { available: true, detail };
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 404)) throw e;
    }
    await sleep(500);
  }
  return { available: false, detail };
}

/**
 * Node objects to delete: those of this cluster's naming scheme (`<prefix>-master-N`, `<prefix>-node-N`) that are not
 * wanted (their machine is gone or being removed).
 */
export function staleNodes(nodes: readonly KubeNode[], wanted: ReadonlySet<string>, prefix: string): string[] {
  const ours = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(master|node)-\\d+$`);
  return nodes.map((n) => n.metadata.name).filter((n) => !wanted.has(n) && ours.test(n));
}
