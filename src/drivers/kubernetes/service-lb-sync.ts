/**
 * @module One load-balancer sync of a Kubernetes cluster (run by the conductor's `lb-sync` loop every few seconds):
 * observe (the cluster's network, Services and Nodes through its apiserver, the provider's load balancers), plan
 * (`./service-lbs.ts`), then act — load balancers made or updated, those of vanished Services removed, addresses
 * written into `status.loadBalancer.ingress`. Each step is idempotent, so a sync killed anywhere is finished by the
 * next one. Only changes go on the cluster's timeline.
 */
import type { LoadBalancer, Provider } from '../../providers/contract.ts';
import type { LoadBalancerSyncContext, LoadBalancerSyncReport } from '../contract.ts';
import type { KubeApi } from './kube-api.ts';
import { planServiceLbs, type KubeService } from './service-lbs.ts';

/** How often a load balancer unchanged in the plan is still asked to converge (to repair one changed by hand). */
const RECHECK_MS = 30_000;

/** What one driver instance remembers between syncs (a cache only: losing it costs one provider check per LB). */
export interface SyncMemory {
  /** Load balancer name → the JSON of the spec last applied and when it was checked. */
  applied: Map<string, { spec: string; at: number }>;
  /** Cluster UUID → the skip messages last reported (so each goes on the timeline once). */
  reported: Map<string, string>;
}

export const newSyncMemory = (): SyncMemory => ({ applied: new Map(), reported: new Map() });

const describe = (lb: Pick<LoadBalancer, 'vipAddress' | 'listeners'>): string =>
  lb.listeners
    .map(
      (l) =>
        `${lb.vipAddress}:${l.port} → ${l.members.map((m) => `${m.address}:${m.port}`).join(', ') || 'no members'}`,
    )
    .join('; ');

/** Brings the cluster's Service load balancers in line with its Services (see the module comment). */
export async function syncServiceLoadBalancers(
  provider: Provider,
  api: KubeApi,
  ctx: LoadBalancerSyncContext,
  memory: SyncMemory,
): Promise<LoadBalancerSyncReport> {
  const { cluster, signal } = ctx;
  const report: LoadBalancerSyncReport = { ensured: [], removed: [], published: [] };
  const network = await provider.findNetwork(cluster.uuid, signal);
  if (!network) return report;
  const [services, nodes, observed] = await Promise.all([
    api.listServices<KubeService>(signal),
    api.listNodes(signal),
    provider.listLoadBalancers(cluster.uuid, signal),
  ]);
  const plan = planServiceLbs({ clusterUuid: cluster.uuid, network, services, nodes, observed });
  const byName = new Map(observed.map((lb) => [lb.name, lb]));
  const now = Date.now();
  const planned = new Set(plan.ensure.map((e) => e.spec.name));
  for (const name of memory.applied.keys())
    if (name.includes(cluster.uuid) && !planned.has(name)) memory.applied.delete(name);

  for (const { service, spec } of plan.ensure) {
    const json = JSON.stringify(spec);
    const before = byName.get(spec.name);
    const last = memory.applied.get(spec.name);
    if (before?.state === 'active' && last?.spec === json && now - last.at < RECHECK_MS) continue;
    const after = await provider.ensureLoadBalancer(spec, signal);
    memory.applied.set(spec.name, { spec: json, at: now });
    const changed =
      !before || before.state !== 'active' || JSON.stringify(before.listeners) !== JSON.stringify(after.listeners);
    if (!changed) continue;
    report.ensured.push(spec.name);
    await ctx.event(
      'load-balancer',
      `${before ? 'updated' : 'created'} load balancer for service ${service}: ${describe(after)}`,
    );
  }
  for (const lb of plan.remove) {
    await provider.removeLoadBalancer(lb, signal);
    report.removed.push(lb.name);
    await ctx.event(
      'load-balancer',
      `removed load balancer ${lb.vipAddress} of service ${lb.labels['magnetar.service'] ?? lb.name} (gone or no longer of type LoadBalancer)`,
    );
  }
  for (const p of plan.publish) {
    await api.patchServiceStatus(
      p.namespace,
      p.name,
      { loadBalancer: { ingress: p.ingress.length > 0 ? p.ingress : null } },
      signal,
    );
    report.published.push(`${p.namespace}/${p.name}`);
  }
  const skipped = plan.skipped.map((s) => `${s.service}: ${s.reason}`).join('; ');
  if (skipped !== (memory.reported.get(cluster.uuid) ?? '')) {
    memory.reported.set(cluster.uuid, skipped);
    if (skipped) await ctx.event('load-balancer', `not served: ${skipped}`, 'warning');
  }
  return report;
}
