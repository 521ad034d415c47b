/** @module What a provider's teardown counts, summed and described for the event timeline (pure). */
import type { ClusterResources } from '../../providers/contract.ts';

/** How many things a {@link ClusterResources} counts. */
export function resourceCount(r: ClusterResources): number {
  return r.machines + r.volumes + r.networks + r.loadBalancers;
}

/** `3 machines, 3 volumes, 1 networks[, 2 load balancers]` (load balancers only when there are any). */
export function describeResources(r: ClusterResources): string {
  const lbs = r.loadBalancers ? `, ${r.loadBalancers} load balancers` : '';
  return `${r.machines} machines, ${r.volumes} volumes, ${r.networks} networks${lbs}`;
}
