/**
 * @module Cordon and drain a Kubernetes node through the Eviction API, as `kubectl drain` does: DaemonSet and mirror
 * pods stay, every other pod is evicted, an eviction a PodDisruptionBudget refuses (429) is asked again until it is
 * allowed or the time is up. The wait is bounded; what blocked it is reported so the driver can put it on the event
 * timeline.
 */
import type { KubeApi, KubePod } from './kube-api.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pods a drain moves: not owned by a DaemonSet, not a static (mirror) pod, not finished. */
export function evictable(pods: readonly KubePod[]): KubePod[] {
  return pods.filter(
    (p) =>
      !p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet') &&
      !p.metadata.annotations?.['kubernetes.io/config.mirror'] &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed',
  );
}

/** How a drain ended. */
export interface DrainResult {
  /** Evictable pods found on the node at the start. */
  pods: number;
  /** True when no evictable pod is left on the node. */
  drained: boolean;
  /** The last refusal per pod still blocked at the end (`ns/name: message`). */
  blocked: string[];
}

/** Cordons a node (a no-op when already cordoned). */
export async function cordon(api: KubeApi, node: string, signal?: AbortSignal): Promise<void> {
  await api.patchNode(node, { spec: { unschedulable: true } }, signal);
}

export async function uncordon(api: KubeApi, node: string, signal?: AbortSignal): Promise<void> {
  await api.patchNode(node, { spec: { unschedulable: null } }, signal);
}

/**
 * Cordons `node`, then evicts its pods until none is left or `timeoutMs` passed. `onBlocked` is called once per pod
 * the first time a PodDisruptionBudget refuses its eviction.
 */
export async function drain(
  api: KubeApi,
  node: string,
  opts: {
    timeoutMs: number;
    signal: AbortSignal;
    intervalMs?: number;
    onBlocked?: (pod: string, why: string) => Promise<void>;
  },
): Promise<DrainResult> {
  const { signal } = opts;
  await cordon(api, node, signal);
  const deadline = Date.now() + opts.timeoutMs;
  let pods = evictable(await api.podsOnNode(node, signal));
  const total = pods.length;
  const blocked = new Map<string, string>();
  const reported = new Set<string>();
  const asked = new Set<string>();
  while (pods.length > 0) {
    signal.throwIfAborted();
    for (const p of pods) {
      const id = `${p.metadata.namespace}/${p.metadata.name}`;
      if (asked.has(id) || p.metadata.deletionTimestamp) continue;
      const r = await api.evict(p, signal);
      if (r.outcome === 'evicted') {
        asked.add(id);
        blocked.delete(id);
      } else {
        blocked.set(id, r.message);
        if (!reported.has(id)) {
          reported.add(id);
          await opts.onBlocked?.(id, r.message);
        }
      }
    }
    if (Date.now() >= deadline) break;
    await sleep(opts.intervalMs ?? 1_000);
    pods = evictable(await api.podsOnNode(node, signal));
  }
  const left = new Set(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
  return {
    pods: total,
    drained: pods.length === 0,
    blocked: [...blocked].filter(([id]) => left.has(id)).map(([id, why]) => `${id}: ${why}`),
  };
}
