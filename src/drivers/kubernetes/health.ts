/**
 * @module A Kubernetes cluster's health as Magnum reports it (`health_status` and `health_status_reason`
 * `{"api": "ok", "<node>.Ready": "True", …}`), from the provider's machines and one ask of the apiserver
 * (readyz + the node list). Pure.
 */
import type { HealthReport } from '../contract.ts';
import { nodeReady, type KubeNode } from './kube-api.ts';

/** The machine facts health needs. */
export interface HealthMachine {
  hostname: string;
  state: string;
}

/** What the apiserver said: its readyz and its nodes, or why it could not be asked. */
export type ApiAnswer = { ok: true; ready: boolean; detail: string; nodes: KubeNode[] } | { ok: false; error: string };

/**
 * - HEALTHY: readyz ok, every wanted node exists, runs and is Ready.
 * - UNHEALTHY: the apiserver answers but is not ready, a node's machine is not running, a node is not Ready, or nodes
 *   are missing.
 * - UNKNOWN: the apiserver does not answer while nothing is known to be broken, or the cluster has no nodes.
 * `failed` lists the hostnames auto-healing replaces (plus `"<n> missing"` when nodes are missing).
 */
export function kubeHealth(
  clusterName: string,
  machines: readonly HealthMachine[],
  wanted: number,
  api: ApiAnswer | undefined,
): HealthReport {
  if (machines.length === 0)
    return { status: 'UNKNOWN', reason: { api: `The cluster ${clusterName} has no nodes.` }, failed: [] };
  const reason: Record<string, string> = {};
  if (!api) reason.api = 'no master node is running';
  else if (!api.ok) reason.api = api.error;
  else reason.api = api.ready ? 'ok' : api.detail || 'the apiserver is not ready';
  const failed: string[] = [];
  const running = new Map(machines.map((m) => [m.hostname, m.state === 'running']));
  const nodes = new Map(api?.ok ? api.nodes.map((n) => [n.metadata.name, n]) : []);
  const hostnames = [...new Set([...machines.map((m) => m.hostname), ...nodes.keys()])].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  );
  for (const h of hostnames) {
    const up = running.get(h);
    if (!api?.ok && up !== false) continue; // without the API only a dead machine is known
    if (up === undefined && api?.ok) {
      // A Node object without a machine: stale (the driver prunes it); it does not make the cluster unhealthy.
      continue;
    }
    const node = nodes.get(h);
    const ready = up === true && node !== undefined && nodeReady(node) === 'True';
    reason[`${h}.Ready`] = ready ? 'True' : up === false ? 'False' : node ? nodeReady(node) : 'False';
    if (!ready) failed.push(h);
  }
  if (machines.length < wanted) {
    reason.nodes = `${machines.length} of ${wanted} nodes exist`;
    failed.push(`${wanted - machines.length} missing`);
  }
  const answered = api?.ok === true;
  const apiReady = answered && api.ready;
  const status = failed.length > 0 || (answered && !apiReady) ? 'UNHEALTHY' : apiReady ? 'HEALTHY' : 'UNKNOWN';
  return { status, reason, failed };
}
