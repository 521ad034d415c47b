/**
 * @module The health pass's watch of a cluster's API load balancer (`master_lb_enabled` clusters; local provider: the
 * haproxy container in front of the masters). Observe first: the provider's `observeLoadBalancers` (one call per
 * health pass for every cluster) says whether the balancer the driver recorded (driver state {@link API_LOAD_BALANCER_STATE}: the spec it last applied) exists and
 * serves; the health report gets an `api_lb` reason and turns UNHEALTHY when it does not. Act second: once that is
 * recorded, the conductor makes it exist and serve again with the recorded spec (`ensureLoadBalancer` is idempotent
 * and observes first), only while the cluster is still in a *_COMPLETE state (an operation in progress owns it) and
 * puts what it did on the cluster's timeline. Only clusters whose driver recorded a spec are watched: a driver that
 * makes no API load balancer (swarm ignores `master_lb_enabled`) records none, and a cluster made before specs were
 * recorded is watched from its next update on.
 */
import { COMPLETE_STATUSES } from '../core/status.ts';
import type { Cluster } from '../core/types.ts';
import { API_LOAD_BALANCER_STATE, type HealthReport } from '../drivers/contract.ts';
import type { LoadBalancer, LoadBalancerSpec, Provider } from '../providers/contract.ts';
import type { Store } from '../store/store.ts';

/** The reason key of the API load balancer in `health_status_reason`. */
export const API_LB_REASON = 'api_lb';

export type Balancers = Pick<Provider, 'observeLoadBalancers' | 'ensureLoadBalancer'>;

/** What the watch saw. */
export interface ApiBalancerObservation {
  ok: boolean;
  /** `ok`, or what is wrong (`magnetar-…-lb-api missing`, `… exited`). */
  reason: string;
  /** The recorded spec it is made again from. */
  spec: LoadBalancerSpec;
}

/** The spec the driver recorded, if the cluster's driver state holds one. */
export function recordedApiBalancer(c: Pick<Cluster, 'driver_state'>): LoadBalancerSpec | undefined {
  const s = c.driver_state[API_LOAD_BALANCER_STATE] as Partial<LoadBalancerSpec> | undefined;
  if (!s || typeof s !== 'object' || typeof s.name !== 'string' || !Array.isArray(s.listeners)) return undefined;
  if (typeof s.network?.id !== 'string' || typeof s.network.vipAddress !== 'string') return undefined;
  return s as LoadBalancerSpec;
}

/** True when the health pass watches the cluster's API load balancer (a `master_lb_enabled` one with a recorded spec). */
export function watchesApiBalancer(c: Cluster): boolean {
  return c.master_lb_enabled && recordedApiBalancer(c) !== undefined;
}

/**
 * Does the API load balancer of the recorded spec exist and serve, among the cluster's `observed` load balancers?
 * Undefined when the cluster has none recorded (not watched).
 */
export function observeApiBalancer(c: Cluster, observed: readonly LoadBalancer[]): ApiBalancerObservation | undefined {
  const spec = c.master_lb_enabled ? recordedApiBalancer(c) : undefined;
  if (!spec) return undefined;
  const lb = observed.find((b) => b.name === spec.name);
  if (!lb) return { ok: false, reason: `${spec.name} missing`, spec };
  if (lb.state !== 'active') return { ok: false, reason: `${spec.name} ${lb.status}`, spec };
  return { ok: true, reason: 'ok', spec };
}

/** The driver's report with the balancer's reason; a balancer that does not serve makes a healthy cluster UNHEALTHY. */
export function withApiBalancer(r: HealthReport, o: ApiBalancerObservation): HealthReport {
  return {
    ...r,
    status: !o.ok && r.status === 'HEALTHY' ? 'UNHEALTHY' : r.status,
    reason: { ...r.reason, [API_LB_REASON]: o.reason },
  };
}

/**
 * Makes the balancer exist and serve again with the recorded spec, if the cluster is still *_COMPLETE; the outcome
 * goes on the timeline. Returns true when it was repaired.
 */
export async function repairApiBalancer(
  deps: { store: Store; balancers: Balancers; log: { warn(obj: object, msg?: string): void } },
  c: Cluster,
  o: ApiBalancerObservation,
  signal: AbortSignal,
): Promise<boolean> {
  if (o.ok) return false;
  const now = await deps.store.clusters.get(c.uuid);
  if (!now || !COMPLETE_STATUSES.has(now.status)) return false;
  const event = (level: 'info' | 'warning' | 'error', message: string): Promise<void> =>
    deps.store.events.append({ cluster_id: c.uuid, phase: 'health', level, message }).catch(() => undefined);
  try {
    const lb = await deps.balancers.ensureLoadBalancer(o.spec, signal);
    const eps = Object.values(lb.endpoints)
      .map((e) => `${e.host}:${e.port}`)
      .join(', ');
    await event(
      'warning',
      `API load balancer was ${o.reason.replace(`${o.spec.name} `, '')}; made to serve again (${eps})`,
    );
    return true;
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    deps.log.warn({ cluster: c.uuid, err: (e as Error).message }, 'API load balancer repair failed');
    await event('error', `API load balancer repair failed: ${(e as Error).message}`);
    return false;
  }
}
