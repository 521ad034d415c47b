/**
 * @module The control plane of a Kubernetes cluster as its nodes see it: every master (each runs an etcd member, the
 * apiserver, and the leader-elected controller-manager and scheduler), the ONE address every node's kubelet,
 * kube-proxy and flanneld use to reach the API servers (the load balancer's address when the cluster has one, else the
 * only master's), the names and addresses the apiservers' certificates must carry, and how a master's etcd member
 * starts (`new`: the members form the cluster together at create; `existing`: a member whose data is gone joins the
 * running cluster again). Pure.
 */
import type { PkiNode } from './pki.ts';
import { APISERVER_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT } from './layout.ts';

/** How a master's etcd member starts when its data directory is empty. */
export type EtcdStart = 'new' | 'existing';

/** What every node's payload is built from about the control plane. */
export interface ControlPlane {
  /** Every master, by index: the etcd members and the apiservers. */
  masters: readonly PkiNode[];
  /** Where nodes reach the API servers: host (an IPv4 address) and port. */
  endpoint: { host: string; port: number };
  /** The API servers are behind a load balancer (they drain on SIGTERM: readyz fails first, serving goes on). */
  balanced: boolean;
  /** Extra subject alternative names of every apiserver certificate (the load balancer's). */
  sans: { ips: readonly string[]; dnsNames: readonly string[] };
  /** How an etcd member with an empty data directory starts. */
  etcdStart: EtcdStart;
  /** The etcd cluster token (the cluster UUID), so members of different clusters never mix. */
  etcdToken: string;
}

/** The load balancer in front of the API servers, as the control plane needs it. */
export interface ApiBalancer {
  /** The address nodes reach it at on the cluster network. */
  address: string;
  port: number;
  /** More names or addresses clients may use for it (e.g. the host-side address of `api_address`). */
  altNames?: readonly string[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Builds the control plane from the masters (by index), the optional load balancer and the etcd start mode. */
export function controlPlane(opts: {
  masters: readonly PkiNode[];
  balancer: ApiBalancer | null;
  etcdStart: EtcdStart;
  etcdToken: string;
}): ControlPlane {
  const first = opts.masters[0];
  if (!first) throw new RangeError('a control plane needs at least one master');
  const lb = opts.balancer;
  const names = lb ? [lb.address, ...(lb.altNames ?? [])] : [];
  return {
    masters: opts.masters,
    endpoint: lb ? { host: lb.address, port: lb.port } : { host: first.ip, port: APISERVER_PORT },
    balanced: lb !== null,
    sans: {
      ips: [...new Set(names.filter((n) => IPV4.test(n)))],
      dnsNames: [...new Set(names.filter((n) => !IPV4.test(n)))],
    },
    etcdStart: opts.etcdStart,
    etcdToken: opts.etcdToken,
  };
}

/** `https://<host>:<port>`: the API server URL written into every node's kubeconfigs. */
export function apiServerUrl(cp: Pick<ControlPlane, 'endpoint'>): string {
  return `https://${cp.endpoint.host}:${cp.endpoint.port}`;
}

/** The SANs of a master's apiserver certificate: its own names, every master's, the load balancer's. */
export function apiserverSans(
  cp: Pick<ControlPlane, 'masters' | 'sans'>,
  node: PkiNode,
  s: { apiServiceIp: string; clusterDomain: string },
): { dnsNames: string[]; ips: string[] } {
  const dnsNames = [
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${s.clusterDomain}`,
    'localhost',
    node.hostname,
    ...cp.masters.map((m) => m.hostname),
    ...cp.sans.dnsNames,
  ];
  const ips = ['127.0.0.1', node.ip, s.apiServiceIp, ...cp.masters.map((m) => m.ip), ...cp.sans.ips];
  return { dnsNames: [...new Set(dnsNames)], ips: [...new Set(ips)] };
}

/** etcd's peer URL of a master. */
export const etcdPeerUrl = (m: Pick<PkiNode, 'ip'>): string => `https://${m.ip}:${ETCD_PEER_PORT}`;
/** etcd's client URL of a master. */
export const etcdClientUrl = (m: Pick<PkiNode, 'ip'>): string => `https://${m.ip}:${ETCD_CLIENT_PORT}`;

/** `--initial-cluster` of the members forming the cluster together: `name=peerURL,…` by master index. */
export function etcdInitialCluster(cp: Pick<ControlPlane, 'masters'>): string {
  return cp.masters.map((m) => `${m.hostname}=${etcdPeerUrl(m)}`).join(',');
}

/** Quorum of an etcd cluster of `n` members, and how many members may fail while it keeps it. */
export function etcdQuorum(n: number): { quorum: number; tolerates: number } {
  const quorum = Math.floor(n / 2) + 1;
  return { quorum, tolerates: n - quorum };
}
