/**
 * @module The cloud-init user-data of a Kubernetes node (NODE-CONVENTION §1): `write_files` with the node's
 * certificates, kubeconfigs, daemon configuration and `/etc/magnetar/services/NN-<daemon>` scripts, and a `runcmd`
 * that starts containerd, imports the preloaded images into its `k8s.io` namespace, then starts every service through
 * magnetar-supervise. The same document boots an OpenStack VM under real cloud-init. Pure.
 */
import type { KeyPairPem } from '../../certs/x509.ts';
import { SUPERVISE_START, type RunCommand, type WriteFile } from '../../providers/cloud-config.ts';
import { apiServerUrl, type ControlPlane } from './control-plane.ts';
import { kubeconfig } from './kubeconfig.ts';
import {
  CONTAINERD_CONFIG,
  ETCD_DATA_DIR,
  ETCD_PKI_DIR,
  FLANNEL_NET_CONF,
  IMAGES_DIR,
  KUBE_PROXY_CONFIG,
  KUBELET_CONFIG,
  KUBELET_DIR,
  kubeconfigPath,
  PKI_DIR,
  POD_RESOLV_CONF,
  CNI_CONF_DIR,
  SUPERVISE,
} from './layout.ts';
import { containerdConfig, flannelNetConf, kubeletConfig, kubeProxyConfig, podResolvConf } from './node-config.ts';
import { ADMIN_USER, CNI_USER, type ClusterSecrets, type MasterCerts, type NodeCerts } from './pki.ts';
import {
  apiserverService,
  containerdService,
  controllerManagerService,
  etcdService,
  flanneldService,
  kubeletService,
  kubeProxyService,
  schedulerService,
  type ServiceScript,
} from './services.ts';
import type { KubeSettings } from './settings.ts';

/** A node's `#cloud-config` document as typed data (rendered with the contract's `renderUserData`). */
export interface NodeCloudConfig {
  write_files: WriteFile[];
  runcmd: RunCommand[];
}

/** What a node's payload is made from. */
export interface NodePayloadInput {
  node: { hostname: string; ip: string; master: boolean };
  /** Kubernetes labels the kubelet registers the node with (those it may set on itself). */
  labels: Readonly<Record<string, string>>;
  /** The masters, the one address nodes reach the API servers at, how etcd members start. */
  controlPlane: ControlPlane;
  settings: KubeSettings;
  caPem: string;
  certs: NodeCerts;
  /** Only for masters. */
  master?: { certs: MasterCerts; secrets: ClusterSecrets };
  /** Upstream resolvers pods with dnsPolicy Default get (CoreDNS forwards to them too). */
  resolvers: readonly string[];
}

const file = (path: string, content: string, permissions = '0644'): WriteFile => ({ path, content, permissions });
const key = (path: string, content: string): WriteFile => file(path, content, '0600');
const pair = (base: string, kp: KeyPairPem): WriteFile[] => [
  file(`${base}.crt`, kp.certPem),
  key(`${base}.key`, kp.keyPem),
];
const service = (s: ServiceScript): WriteFile => file(s.path, s.content, '0755');

/** Files every node gets. */
function nodeFiles(i: NodePayloadInput): WriteFile[] {
  const { node, certs, settings: s } = i;
  const apiServer = apiServerUrl(i.controlPlane);
  const kc = (user: string, identity: KeyPairPem, server = apiServer): string =>
    kubeconfig({ server, caPem: i.caPem, user, identity });
  return [
    file(`${PKI_DIR}/ca.crt`, i.caPem),
    ...pair(`${KUBELET_DIR}/pki/kubelet`, certs.kubeletServing),
    ...pair(`${PKI_DIR}/cni`, certs.cni),
    key(kubeconfigPath('kubelet'), kc(`system:node:${node.hostname}`, certs.kubeletClient)),
    key(kubeconfigPath('kube-proxy'), kc('system:kube-proxy', certs.kubeProxy)),
    key(kubeconfigPath('cni'), kc(CNI_USER, certs.cni)),
    file(CONTAINERD_CONFIG, containerdConfig()),
    file(KUBELET_CONFIG, kubeletConfig(s, node.master)),
    file(KUBE_PROXY_CONFIG, kubeProxyConfig(s, node.hostname)),
    file(FLANNEL_NET_CONF, flannelNetConf(s, s.flannelBackend)),
    file(POD_RESOLV_CONF, podResolvConf(i.resolvers)),
    service(containerdService()),
    service(flanneldService(node, apiServer)),
    service(kubeletService(node, i.labels, s)),
    service(kubeProxyService()),
  ];
}

/** Files only a master gets: control-plane PKI, kubeconfigs and the etcd + control-plane services. */
function masterFiles(i: NodePayloadInput, m: NonNullable<NodePayloadInput['master']>): WriteFile[] {
  const local = 'https://127.0.0.1:6443';
  const kc = (user: string, identity: KeyPairPem): string =>
    kubeconfig({ server: local, caPem: i.caPem, user, identity });
  const { certs, secrets } = m;
  return [
    ...pair(`${PKI_DIR}/apiserver`, certs.apiserver),
    ...pair(`${PKI_DIR}/apiserver-kubelet-client`, certs.apiserverKubeletClient),
    ...pair(`${PKI_DIR}/apiserver-etcd-client`, certs.apiserverEtcdClient),
    ...pair(`${PKI_DIR}/front-proxy-client`, certs.frontProxyClient),
    file(`${PKI_DIR}/front-proxy-ca.crt`, secrets.frontProxyCa.certPem),
    file(`${PKI_DIR}/sa.pub`, secrets.serviceAccount.certPem),
    key(`${PKI_DIR}/sa.key`, secrets.serviceAccount.keyPem),
    file(`${ETCD_PKI_DIR}/ca.crt`, secrets.etcdCa.certPem),
    ...pair(`${ETCD_PKI_DIR}/server`, certs.etcd),
    key(kubeconfigPath('controller-manager'), kc('system:kube-controller-manager', certs.controllerManager)),
    key(kubeconfigPath('scheduler'), kc('system:kube-scheduler', certs.scheduler)),
    key(kubeconfigPath('admin'), kc(ADMIN_USER, certs.admin)),
    service(etcdService(i.node, i.controlPlane)),
    service(apiserverService(i.node, i.settings, i.controlPlane.balanced)),
    service(controllerManagerService(i.settings)),
    service(schedulerService()),
  ];
}

/** The boot commands: kernel settings, containerd first, images imported, then every service. */
export function bootCommands(master: boolean): RunCommand[] {
  return [
    'sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 || true',
    `mkdir -p ${CNI_CONF_DIR} /run/flannel ${KUBELET_DIR}${master ? ` ${ETCD_DATA_DIR}` : ''}`,
    // A restarted machine keeps /run: supervisor loop files of its last life would name pids of this one.
    'rm -f /run/magnetar/*.loop /run/magnetar/*.pid',
    `${SUPERVISE} start 10-containerd`,
    'i=0; until ctr version >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 600 ] || { echo "containerd did not start" >&2; exit 1; }; sleep 0.1; done',
    `for f in ${IMAGES_DIR}/*.tar; do [ -e "$f" ] || continue; ctr -n k8s.io images import "$f" >/dev/null || { echo "import of $f failed" >&2; exit 1; }; done`,
    SUPERVISE_START,
  ];
}

/** The node's cloud-config as data. */
export function nodeCloudConfig(i: NodePayloadInput): NodeCloudConfig {
  if (i.node.master && !i.master) throw new Error(`master ${i.node.hostname} needs its control-plane certificates`);
  return {
    write_files: [...nodeFiles(i), ...(i.node.master && i.master ? masterFiles(i, i.master) : [])],
    runcmd: bootCommands(i.node.master),
  };
}
