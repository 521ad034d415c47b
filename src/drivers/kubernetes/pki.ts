/**
 * @module A Kubernetes cluster's PKI, issued by Magnetar (no certificate signer runs in the cluster; the cluster CA key
 * never leaves the conductor).
 *
 * - The **cluster CA** (Magnum's, the one ca-show returns and ca-sign uses) signs: the apiserver's serving cert, every
 *   client identity (kubelets `system:node:<name>` in `system:nodes`, controller-manager, scheduler, kube-proxy, the
 *   `magnetar:cni` identity of flanneld, the apiserver's kubelet client, admin `kubernetes-admin` in `system:masters`)
 *   and the kubelets' serving certs. So the kubeconfig Magnum's clients build (a CSR `admin`/`system:masters` signed
 *   through ca-sign) works against the apiserver, which trusts the cluster CA for clients.
 * - An **etcd CA** of its own signs etcd's server/peer certs and the apiserver's etcd client cert, so no other holder
 *   of a cluster-CA certificate (a user, a kubelet) can talk to etcd.
 * - A **front-proxy CA** signs the apiserver's aggregation-layer client (`front-proxy-client`, for metrics-server).
 * - A **service-account key pair** (ECDSA P-256: tokens are ES256).
 *
 * The three cluster-wide secrets are made once per cluster and stored (sealed) by the conductor; node certs are issued
 * when a node's payload is built.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { createCa, issueClientCert, issueServerCert, type KeyPairPem } from '../../certs/x509.ts';
import { apiserverSans, type ControlPlane } from './control-plane.ts';
import type { KubeSettings } from './settings.ts';

/** Issues certificates from the cluster CA (the conductor holds its key). */
export interface ClusterCaIssuer {
  caPem: string;
  server(commonName: string, dnsNames: string[], ipAddresses: string[]): Promise<KeyPairPem>;
  client(commonName: string, organization?: string): Promise<KeyPairPem>;
}

/** The cluster-wide secrets besides the cluster CA; made once (see {@link newClusterSecrets}) and stored. */
export interface ClusterSecrets {
  etcdCa: KeyPairPem;
  frontProxyCa: KeyPairPem;
  /** `certPem` holds the PUBLIC key (SPKI PEM), `keyPem` the private key. */
  serviceAccount: KeyPairPem;
}

/** Secret kinds as stored per cluster. */
export const SECRET_KINDS = {
  etcdCa: 'k8s-etcd-ca',
  frontProxyCa: 'k8s-front-proxy-ca',
  serviceAccount: 'k8s-service-account',
} as const;

const generateKeyPairAsync = promisify(generateKeyPair);

/** A fresh service-account signing key pair (P-256: the apiserver signs tokens with ES256). */
export async function newServiceAccountKey(): Promise<KeyPairPem> {
  const { publicKey, privateKey } = await generateKeyPairAsync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { certPem: publicKey, keyPem: privateKey };
}

/** Makes one of the cluster-wide secrets by kind. */
export function newClusterSecret(kind: keyof ClusterSecrets, clusterName: string): Promise<KeyPairPem> {
  if (kind === 'serviceAccount') return newServiceAccountKey();
  return createCa({ commonName: kind === 'etcdCa' ? `${clusterName}-etcd-ca` : `${clusterName}-front-proxy-ca` });
}

/** A node as the PKI sees it. */
export interface PkiNode {
  hostname: string;
  ip: string;
}

/** Identities every node has. */
export interface NodeCerts {
  /** `system:node:<hostname>` in `system:nodes` (the Node authorizer keys on it). */
  kubeletClient: KeyPairPem;
  /** The kubelet's HTTPS endpoint (logs, exec, metrics), SANs hostname and node address. */
  kubeletServing: KeyPairPem;
  /** `system:kube-proxy` (bound to `system:node-proxier` by the default RBAC). */
  kubeProxy: KeyPairPem;
  /** `magnetar:cni`: flanneld lists nodes and patches its own (the Node authorizer would not let a kubelet do that). */
  cni: KeyPairPem;
}

/** What a master has in addition. */
export interface MasterCerts {
  apiserver: KeyPairPem;
  apiserverKubeletClient: KeyPairPem;
  apiserverEtcdClient: KeyPairPem;
  controllerManager: KeyPairPem;
  scheduler: KeyPairPem;
  admin: KeyPairPem;
  frontProxyClient: KeyPairPem;
  /** etcd's server and peer cert (serverAuth + clientAuth), SANs hostname, localhost, node address, 127.0.0.1. */
  etcd: KeyPairPem;
}

/** The CN the cni identity uses and the RBAC binds. */
export const CNI_USER = 'magnetar:cni';
export const ADMIN_USER = 'kubernetes-admin';

export async function issueNodeCerts(ca: ClusterCaIssuer, node: PkiNode): Promise<NodeCerts> {
  const [kubeletClient, kubeletServing, kubeProxy, cni] = await Promise.all([
    ca.client(`system:node:${node.hostname}`, 'system:nodes'),
    ca.server(node.hostname, [node.hostname], [node.ip]),
    ca.client('system:kube-proxy'),
    ca.client(CNI_USER),
  ]);
  return { kubeletClient, kubeletServing, kubeProxy, cni };
}

/**
 * A master's certificates. The apiserver's carries its own names and addresses, every master's (`cp.masters`) and the
 * load balancer's (`cp.sans`), so one certificate serves clients that reach it directly, through the load balancer or
 * through the `kubernetes` Service.
 */
export async function issueMasterCerts(
  ca: ClusterCaIssuer,
  secrets: ClusterSecrets,
  node: PkiNode,
  s: Pick<KubeSettings, 'apiServiceIp' | 'clusterDomain'>,
  cp: Pick<ControlPlane, 'masters' | 'sans'> = { masters: [node], sans: { ips: [], dnsNames: [] } },
): Promise<MasterCerts> {
  const sans = apiserverSans(cp, node, s);
  const [apiserver, apiserverKubeletClient, controllerManager, scheduler, admin] = await Promise.all([
    ca.server('kube-apiserver', sans.dnsNames, sans.ips),
    ca.client('kube-apiserver-kubelet-client', 'system:masters'),
    ca.client('system:kube-controller-manager'),
    ca.client('system:kube-scheduler'),
    ca.client(ADMIN_USER, 'system:masters'),
  ]);
  const [apiserverEtcdClient, etcd, frontProxyClient] = await Promise.all([
    issueClientCert(secrets.etcdCa, { commonName: 'kube-apiserver-etcd-client' }),
    issueServerCert(secrets.etcdCa, {
      commonName: node.hostname,
      dnsNames: [node.hostname, 'localhost'],
      ipAddresses: [node.ip, '127.0.0.1'],
    }),
    issueClientCert(secrets.frontProxyCa, { commonName: 'front-proxy-client' }),
  ]);
  return {
    apiserver,
    apiserverKubeletClient,
    apiserverEtcdClient,
    controllerManager,
    scheduler,
    admin,
    frontProxyClient,
    etcd,
  };
}
