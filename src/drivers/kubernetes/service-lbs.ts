/**
 * @module Services of type LoadBalancer → the provider's load balancers (pure): what the conductor's load-balancer
 * sync must make, keep, remove and publish, from what it observed (the cluster's Services and Nodes, the provider's
 * load balancers). A Service gets one load balancer named after its UID, on a VIP of the cluster network
 * (`.201–.254`, kept for the Service's life), with one TCP listener per Service port whose pool is the eligible nodes
 * at that port's NodePort — kube-proxy carries it on to the endpoints, so endpoint changes need nothing here. Eligible
 * nodes: Ready, not excluded (`node.kubernetes.io/exclude-from-external-load-balancers`), not control plane, not
 * cordoned or being deleted (a node drained for an upgrade leaves before its machine goes); when a node group with
 * role `gateway` has Ready nodes, those only (external traffic enters the cluster there). Health monitor:
 * TCP on the NodePort, or with `externalTrafficPolicy: Local` an HTTP GET of kube-proxy's `healthCheckNodePort`
 * (only nodes with a local endpoint answer 200). `loadBalancerSourceRanges` (or the older annotation) become the
 * listeners' allowed CIDRs; `sessionAffinity: ClientIP` picks SOURCE_IP balancing.
 */
import { hostAddress, parseCidr } from '../../core/cidr.ts';
import type { LbListenerSpec, LoadBalancer, LoadBalancerSpec } from '../../providers/contract.ts';
import { FIRST_SERVICE_LB_HOST, LAST_LB_HOST } from '../local-common/node-plan.ts';
import { nodeReady, type KubeNode } from './kube-api.ts';

/** The parts of a Service the sync reads. */
export interface KubeService {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: {
    type?: string;
    ports?: { name?: string; protocol?: string; port: number; nodePort?: number }[];
    loadBalancerSourceRanges?: string[];
    loadBalancerClass?: string;
    loadBalancerIP?: string;
    externalTrafficPolicy?: string;
    healthCheckNodePort?: number;
    sessionAffinity?: string;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string; ipMode?: string }[] } };
}

/** The purpose of a Service's load balancer (the masters' one is `api`: never touched here). */
export const SERVICE_LB_PURPOSE = 'service';
/** Labels of a Service's load balancer: the Service's UID (what finds it again) and `namespace/name`. */
export const SERVICE_UID_LABEL = 'magnetar.service-uid';
export const SERVICE_NAME_LABEL = 'magnetar.service';
/** The node role label the driver sets from the node group's role (Magnum's). */
export const ROLE_NODE_LABEL = 'magnum.openstack.org/role';
export const GATEWAY_ROLE = 'gateway';
export const EXCLUDE_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';
const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
const SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';
/** Idle timeout of a Service's connections (Octavia's default is 50 s; long-lived HTTP keep-alives and streams). */
export const SERVICE_IDLE_TIMEOUT_SECONDS = 300;

/** What to publish in a Service's `status.loadBalancer`. */
export interface Publish {
  namespace: string;
  name: string;
  ingress: { ip: string; ipMode: 'VIP' }[];
}

/** The plan of one sync. */
export interface ServiceLbPlan {
  /** Every load balancer the cluster's Services need, with its Service. */
  ensure: { service: string; spec: LoadBalancerSpec }[];
  /** Service load balancers whose Service is gone or no longer asks for one. */
  remove: LoadBalancer[];
  /** Status patches: Services whose published address differs from their load balancer's (or must be cleared). */
  publish: Publish[];
  /** Services (or ports) not served, and why. */
  skipped: { service: string; reason: string }[];
}

export interface ServiceLbInput {
  clusterUuid: string;
  network: { id: string; cidr: string };
  services: readonly KubeService[];
  nodes: readonly KubeNode[];
  /** The cluster's load balancers as the provider has them (any purpose: their VIPs are taken). */
  observed: readonly LoadBalancer[];
}

/** `default/web`. */
export const serviceKey = (s: KubeService): string => `${s.metadata.namespace}/${s.metadata.name}`;

/** The load balancer name of a Service: the cluster UUID and the Service's UID. */
export const serviceLbName = (clusterUuid: string, uid: string): string => `magnetar-${clusterUuid}-lb-svc-${uid}`;

/** Whether this controller serves the Service (type LoadBalancer, no other class, not being deleted). */
export function wantsLoadBalancer(s: KubeService): boolean {
  return s.spec?.type === 'LoadBalancer' && !s.spec.loadBalancerClass && !s.metadata.deletionTimestamp;
}

/** Taint the cluster autoscaler (and others) put on a node about to go. */
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';

/**
 * Whether a node is on its way out: cordoned (`spec.unschedulable`: the upgrade cordons a node before it drains it and
 * makes its machine again), marked for deletion, or tainted by the autoscaler. Such a node leaves the load balancers
 * before it goes, as cloud providers' load balancers drop it on kube-proxy's failing health check (KEP-3836).
 */
export function leaving(n: KubeNode): boolean {
  return (
    !!n.spec?.unschedulable ||
    !!n.metadata.deletionTimestamp ||
    !!n.spec?.taints?.some((t) => t.key === TO_BE_DELETED_TAINT)
  );
}

/**
 * The nodes that carry external traffic, as (name, address), sorted by name: the Ready, not excluded gateway nodes;
 * while none is Ready (no gateway group, or its nodes still booting), the Ready workers; a cluster of masters only
 * uses its masters. Nodes {@link leaving} are left out of that pool unless it has no other.
 */
export function memberNodes(nodes: readonly KubeNode[]): { name: string; address: string }[] {
  const eligible = nodes.filter((n) => nodeReady(n) === 'True' && !(EXCLUDE_LB_LABEL in (n.metadata.labels ?? {})));
  const gateways = eligible.filter((n) => n.metadata.labels?.[ROLE_NODE_LABEL] === GATEWAY_ROLE);
  const workers = eligible.filter((n) => !(CONTROL_PLANE_LABEL in (n.metadata.labels ?? {})));
  const group = gateways.length > 0 ? gateways : workers.length > 0 ? workers : eligible;
  const staying = group.filter((n) => !leaving(n));
  const pool = staying.length > 0 ? staying : group;
  return pool
    .map((n) => ({
      name: n.metadata.name,
      address: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
    }))
    .filter((n) => n.address !== '')
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The Service's allowed source CIDRs: `loadBalancerSourceRanges`, else the annotation; invalid entries dropped. */
export function sourceRanges(s: KubeService): string[] {
  const list =
    s.spec?.loadBalancerSourceRanges && s.spec.loadBalancerSourceRanges.length > 0
      ? s.spec.loadBalancerSourceRanges
      : (s.metadata.annotations?.[SOURCE_RANGES_ANNOTATION] ?? '').split(',');
  return [...new Set(list.map((c) => c.trim()).filter((c) => parseCidr(c) !== null))].sort();
}

/** The listeners of a Service (TCP ports with a NodePort) and the ports it cannot serve. */
export function serviceListeners(
  s: KubeService,
  members: readonly { name: string; address: string }[],
): { listeners: LbListenerSpec[]; skipped: string[] } {
  const listeners: LbListenerSpec[] = [];
  const skipped: string[] = [];
  const local = s.spec?.externalTrafficPolicy === 'Local' && s.spec.healthCheckNodePort;
  for (const p of s.spec?.ports ?? []) {
    const protocol = p.protocol ?? 'TCP';
    if (protocol !== 'TCP') {
      skipped.push(`${protocol} port ${p.port}: the local load balancer carries TCP only`);
      continue;
    }
    if (!p.nodePort) {
      skipped.push(`port ${p.port} has no NodePort (allocateLoadBalancerNodePorts: false)`);
      continue;
    }
    const nodePort = p.nodePort;
    listeners.push({
      name: `tcp-${p.port}`,
      protocol: 'TCP',
      port: p.port,
      allowedCidrs: sourceRanges(s),
      idleTimeoutSeconds: SERVICE_IDLE_TIMEOUT_SECONDS,
      algorithm: s.spec?.sessionAffinity === 'ClientIP' ? 'SOURCE_IP' : 'ROUND_ROBIN',
      members: members.map((m) => ({ name: m.name, address: m.address, port: nodePort })),
      healthMonitor: local
        ? {
            type: 'HTTP',
            urlPath: '/healthz',
            expectedCodes: '200',
            port: s.spec?.healthCheckNodePort as number,
            delaySeconds: 2,
            timeoutSeconds: 2,
            maxRetries: 2,
          }
        : { type: 'TCP', delaySeconds: 2, timeoutSeconds: 2, maxRetries: 2 },
    });
  }
  return { listeners: listeners.sort((a, b) => a.port - b.port), skipped };
}

/** Plans one sync (see the module comment). Services are taken oldest VIP first, then by namespace/name. */
export function planServiceLbs(input: ServiceLbInput): ServiceLbPlan {
  const { clusterUuid, network } = input;
  const plan: ServiceLbPlan = { ensure: [], remove: [], publish: [], skipped: [] };
  const byUid = new Map(
    input.observed.filter((lb) => lb.purpose === SERVICE_LB_PURPOSE).map((lb) => [lb.labels[SERVICE_UID_LABEL], lb]),
  );
  const taken = new Set(input.observed.map((lb) => lb.vipAddress));
  const pool: string[] = [];
  for (let h = FIRST_SERVICE_LB_HOST; h <= LAST_LB_HOST; h++) {
    try {
      pool.push(hostAddress(network.cidr, h));
    } catch {
      break; // a network smaller than a /24 has fewer
    }
  }
  const inPool = new Set(pool);
  const members = memberNodes(input.nodes);
  const wanted = input.services
    .filter(wantsLoadBalancer)
    .sort(
      (a, b) =>
        Number(!byUid.has(a.metadata.uid)) - Number(!byUid.has(b.metadata.uid)) ||
        serviceKey(a).localeCompare(serviceKey(b)),
    );
  const served = new Set<string>();
  for (const s of wanted) {
    const key = serviceKey(s);
    const { listeners, skipped } = serviceListeners(s, members);
    for (const reason of skipped) plan.skipped.push({ service: key, reason });
    if (listeners.length === 0) {
      if (skipped.length === 0) plan.skipped.push({ service: key, reason: 'no ports' });
      continue;
    }
    const existing = byUid.get(s.metadata.uid);
    let vip = existing?.vipAddress;
    const askedIp = s.spec?.loadBalancerIP;
    if (!vip && askedIp) {
      if (!inPool.has(askedIp) || taken.has(askedIp)) {
        plan.skipped.push({
          service: key,
          reason: `loadBalancerIP ${askedIp} is ${inPool.has(askedIp) ? 'in use' : `not in ${pool[0]}–${pool.at(-1)}`}`,
        });
        continue;
      }
      vip = askedIp;
    }
    vip ??= pool.find((a) => !taken.has(a));
    if (!vip) {
      plan.skipped.push({ service: key, reason: `no free VIP left in ${pool[0]}–${pool.at(-1)}` });
      continue;
    }
    taken.add(vip);
    served.add(s.metadata.uid);
    plan.ensure.push({
      service: key,
      spec: {
        name: serviceLbName(clusterUuid, s.metadata.uid),
        clusterUuid,
        purpose: SERVICE_LB_PURPOSE,
        network: { id: network.id, vipAddress: vip },
        listeners,
        labels: { [SERVICE_UID_LABEL]: s.metadata.uid, [SERVICE_NAME_LABEL]: key },
      },
    });
    const ingress = s.status?.loadBalancer?.ingress ?? [];
    if (ingress.length !== 1 || ingress[0]?.ip !== vip || ingress[0]?.ipMode !== 'VIP' || ingress[0]?.hostname)
      plan.publish.push({
        namespace: s.metadata.namespace,
        name: s.metadata.name,
        ingress: [{ ip: vip, ipMode: 'VIP' }],
      });
  }
  for (const [uid, lb] of byUid) if (!uid || !served.has(uid)) plan.remove.push(lb);
  // A Service not served (its type changed, or it cannot be served any more) keeps no address of ours.
  for (const s of input.services) {
    if (served.has(s.metadata.uid) || s.spec?.loadBalancerClass || s.metadata.deletionTimestamp) continue;
    const ingress = s.status?.loadBalancer?.ingress ?? [];
    if (ingress.some((i) => i.ip && inPool.has(i.ip)))
      plan.publish.push({ namespace: s.metadata.namespace, name: s.metadata.name, ingress: [] });
  }
  return plan;
}
