/**
 * @module The load balancer in front of a cluster's API servers (`master_lb_enabled`: Magnum's Octavia LB of the
 * masters, here through the provider contract): one TCP listener on 6443 at a fixed VIP of the cluster network
 * (`API_LB_HOST`), every master's apiserver a member, health-checked by an HTTPS GET of `/readyz` (readable
 * anonymously), so a master whose apiserver or etcd member is down gets no new connections. Long idle timeout:
 * watches stay open for minutes. Pure.
 */
import { hostAddress } from '../../core/cidr.ts';
import type { LbListenerSpec, LoadBalancerSpec, Network } from '../../providers/contract.ts';
import { API_LB_HOST } from '../local-common/node-plan.ts';
import { APISERVER_PORT } from './layout.ts';

/** The load balancer's purpose (the Service controller only touches `service` ones). */
export const API_LB_PURPOSE = 'api';
/** Its one listener's name (the key of its endpoint). */
export const API_LB_LISTENER = 'kube-api';

/** The masters' load balancer's name: contains the cluster UUID. */
export const apiBalancerName = (clusterUuid: string): string => `magnetar-${clusterUuid}-lb-api`;

/** The VIP of the masters' load balancer on the cluster network. */
export const apiBalancerVip = (network: Pick<Network, 'cidr'>): string => hostAddress(network.cidr, API_LB_HOST);

/** The spec: every master (hostname + address) a member of the one listener. */
export function apiBalancerSpec(opts: {
  clusterUuid: string;
  network: Pick<Network, 'id' | 'cidr'>;
  masters: readonly { hostname: string; ip: string }[];
}): LoadBalancerSpec {
  const listener: LbListenerSpec = {
    name: API_LB_LISTENER,
    protocol: 'TCP',
    port: APISERVER_PORT,
    allowedCidrs: [],
    idleTimeoutSeconds: 3600,
    algorithm: 'ROUND_ROBIN',
    members: opts.masters.map((m) => ({ name: m.hostname, address: m.ip, port: APISERVER_PORT })),
    healthMonitor: {
      type: 'HTTPS',
      urlPath: '/readyz',
      expectedCodes: '200',
      delaySeconds: 2,
      timeoutSeconds: 2,
      maxRetries: 2,
    },
  };
  return {
    name: apiBalancerName(opts.clusterUuid),
    clusterUuid: opts.clusterUuid,
    purpose: API_LB_PURPOSE,
    network: { id: opts.network.id, vipAddress: apiBalancerVip(opts.network) },
    listeners: [listener],
    labels: {},
  };
}
