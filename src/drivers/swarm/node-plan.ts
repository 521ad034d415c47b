/** @module The nodes a cluster should have: names, hostnames, roles and fixed addresses on the cluster subnet. Pure. */
import type { ClusterSpec } from '../contract.ts';

/** One wanted node. */
export interface PlannedNode {
  name: string;
  hostname: string;
  role: 'master' | 'worker';
  nodegroup: string;
  index: number;
  /** Host number inside the /24 (masters from .10, workers from .20). */
  host: number;
}

export const FIRST_MASTER_HOST = 10;
export const FIRST_WORKER_HOST = 20;
export const MAX_MASTERS = FIRST_WORKER_HOST - FIRST_MASTER_HOST;
export const MAX_WORKERS = 254 - FIRST_WORKER_HOST;

/** A DNS-safe prefix from the cluster name. */
export function hostPrefix(name: string): string {
  const safe = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return (safe || 'node').slice(0, 40).replace(/-+$/, '');
}

/** Every node of the cluster, masters first, workers numbered across the worker node groups in order. */
export function planNodes(c: ClusterSpec): PlannedNode[] {
  const prefix = hostPrefix(c.name);
  const out: PlannedNode[] = [];
  let masters = 0;
  let workers = 0;
  for (const ng of c.nodegroups) {
    for (let i = 0; i < ng.nodeCount; i++) {
      const master = ng.role === 'master';
      const index = master ? masters++ : workers++;
      const kind = master ? 'master' : 'node';
      out.push({
        name: `magnetar-${c.uuid}-${kind}-${index}`,
        hostname: `${prefix}-${kind}-${index}`,
        role: master ? 'master' : 'worker',
        nodegroup: ng.name,
        index,
        host: (master ? FIRST_MASTER_HOST : FIRST_WORKER_HOST) + index,
      });
    }
  }
  if (masters > MAX_MASTERS) throw new RangeError(`at most ${MAX_MASTERS} masters fit the local provider's layout (asked for ${masters})`);
  if (workers > MAX_WORKERS) throw new RangeError(`at most ${MAX_WORKERS} workers fit a /24 cluster network (asked for ${workers})`);
  return out;
}
