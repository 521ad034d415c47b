/**
 * @module Test helper: a probe loop from the host counting failed requests to a Kubernetes Service while nodes are
 * replaced. Until Services of type LoadBalancer exist, it goes through the Service's NodePort on a node's address
 * (the host reaches the cluster network directly), choosing a node the way a load balancer's health check would: a
 * worker (else a master) that has been Ready and schedulable for `riseMs` without a break, from a Node listing
 * refreshed every second (the last good listing is kept while the apiserver does not answer, e.g. while the master
 * is made again). A node being upgraded is cordoned first, so the probe has left it before it is drained and
 * removed. Swap {@link ProbeTarget} for the Service's EXTERNAL-IP once LoadBalancer Services land.
 */
import type { KubeApi, KubeNode } from '../../src/drivers/kubernetes/kube-api.ts';
import { nodeReady } from '../../src/drivers/kubernetes/kube-api.ts';

/** Where one request goes. */
export interface ProbeTarget {
  host: string;
  port: number;
  /** For the failure report. */
  via: string;
}

/** One failed request. */
export interface ProbeFailure {
  at: string;
  via: string;
  error: string;
}

export interface ProbeResult {
  requests: number;
  failed: number;
  failures: ProbeFailure[];
  /** Requests per node name the probe went through. */
  byNode: Record<string, number>;
  /** When the probe changed the node it goes through. */
  switches: { at: string; to: string }[];
}

export interface ServiceProbe {
  stop(): Promise<ProbeResult>;
}

/** The node a request should go through now, from a listing and when each node was last seen becoming eligible. */
export function pickNode(
  nodes: readonly KubeNode[],
  since: Map<string, number>,
  now: number,
  riseMs: number,
): KubeNode | undefined {
  const eligible = (n: KubeNode): boolean => nodeReady(n) === 'True' && !n.spec?.unschedulable;
  for (const n of nodes) {
    if (!eligible(n)) since.delete(n.metadata.name);
    else if (!since.has(n.metadata.name)) since.set(n.metadata.name, now);
  }
  const risen = (n: KubeNode): boolean => now - (since.get(n.metadata.name) ?? now) >= riseMs;
  const isMaster = (n: KubeNode): boolean => 'node-role.kubernetes.io/control-plane' in (n.metadata.labels ?? {});
  const sorted = [...nodes].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return (
    sorted.find((n) => !isMaster(n) && eligible(n) && risen(n)) ??
    sorted.find((n) => eligible(n) && risen(n)) ??
    sorted.find(eligible)
  );
}

const internalIp = (n: KubeNode): string | undefined =>
  n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;

/**
 * Starts the loop: a GET every `everyMs` to `http://<node InternalIP>:<nodePort>/` (timeout `timeoutMs`); any
 * error, non-200 status or empty body counts as a failure. Runs until `stop()`.
 */
export function probeNodePort(
  kube: KubeApi,
  nodePort: number,
  opts: { everyMs?: number; timeoutMs?: number; riseMs?: number } = {},
): ServiceProbe {
  const everyMs = opts.everyMs ?? 100;
  const timeoutMs = opts.timeoutMs ?? 2_000;
  const riseMs = opts.riseMs ?? 10_000;
  const since = new Map<string, number>();
  let nodes: KubeNode[] = [];
  let running = true;
  const result: ProbeResult = { requests: 0, failed: 0, failures: [], byNode: {}, switches: [] };

  const refresh = async (): Promise<void> => {
    let first = true;
    while (running) {
      try {
        nodes = await kube.listNodes(undefined, 2_000);
        // Nodes eligible when the probe starts have been up for a while already.
        if (first) for (const n of nodes) since.set(n.metadata.name, Date.now() - riseMs);
        first = false;
      } catch {
        // the apiserver is away (the master is being made again): keep the last listing
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  };
  const loop = async (): Promise<void> => {
    while (running) {
      const started = Date.now();
      const node = pickNode(nodes, since, started, riseMs);
      const host = node && internalIp(node);
      if (node && host) {
        const via = node.metadata.name;
        if (result.switches.at(-1)?.to !== via) result.switches.push({ at: new Date().toISOString(), to: via });
        result.requests += 1;
        result.byNode[via] = (result.byNode[via] ?? 0) + 1;
        try {
          const res = await fetch(`http://${host}:${nodePort}/`, { signal: AbortSignal.timeout(timeoutMs) });
          const body = await res.text();
          if (res.status !== 200 || body.trim() === '') throw new Error(`HTTP ${res.status} ${body.slice(0, 80)}`);
        } catch (e) {
          result.failed += 1;
          if (result.failures.length < 50)
            result.failures.push({ at: new Date().toISOString(), via, error: (e as Error).message });
        }
      }
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - started))));
    }
  };
  const done = Promise.all([refresh(), loop()]);
  return {
    stop: async () => {
      running = false;
      await done;
      return result;
    },
  };
}
