/**
 * @module Configuration files of the daemons every Kubernetes node runs (containerd, kubelet, kube-proxy, flannel)
 * with the settings that are essential inside a node container (shared/reference/local-kubernetes-notes.md §3):
 * cgroupfs everywhere (no systemd), kubelet `failCgroupV1: false`, no eviction or image GC (the host disk is shared
 * and images are preloaded), containerd `restrict_oom_score_adj`, kube-proxy leaving global conntrack sysctls alone,
 * and a resolver file for pods without Docker's 127.0.0.11. Pure.
 */
import { stringify } from 'yaml';
import { PRELOADED_IMAGES } from '../../core/kube-versions.ts';
import {
  CNI_BIN_DIR,
  CNI_CONF_DIR,
  CONTAINERD_SOCKET,
  KUBELET_DIR,
  kubeconfigPath,
  PKI_DIR,
  POD_RESOLV_CONF,
} from './layout.ts';
import type { FlannelBackend, KubeSettings } from './settings.ts';

/** The sandbox (pause) image, preloaded from the node image's tars (NODE-CONVENTION). */
export const PAUSE_IMAGE = PRELOADED_IMAGES.pause;

/** The taint control-plane nodes register with, as kubeadm sets it. */
export const CONTROL_PLANE_TAINT = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' } as const;

/** containerd 1.6 (config version 2): CRI with the preloaded pause image, runc with cgroupfs, CNI from Debian. */
export function containerdConfig(): string {
  return [
    'version = 2',
    '',
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = "${PAUSE_IMAGE}"`,
    '  restrict_oom_score_adj = true',
    '  [plugins."io.containerd.grpc.v1.cri".containerd]',
    '    snapshotter = "overlayfs"',
    '    default_runtime_name = "runc"',
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '      runtime_type = "io.containerd.runc.v2"',
    '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    '        SystemdCgroup = false',
    '  [plugins."io.containerd.grpc.v1.cri".cni]',
    `    bin_dir = "${CNI_BIN_DIR}"`,
    `    conf_dir = "${CNI_CONF_DIR}"`,
    '',
  ].join('\n');
}

/** The kubelet's configuration file. Control-plane nodes register tainted. */
export function kubeletConfig(s: Pick<KubeSettings, 'dnsServiceIp' | 'clusterDomain'>, master: boolean): string {
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: `${PKI_DIR}/ca.crt` },
    },
    authorization: { mode: 'Webhook' },
    cgroupDriver: 'cgroupfs',
    failCgroupV1: false,
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${CONTAINERD_SOCKET}`,
    clusterDNS: [s.dnsServiceIp],
    clusterDomain: s.clusterDomain,
    resolvConf: POD_RESOLV_CONF,
    tlsCertFile: `${KUBELET_DIR}/pki/kubelet.crt`,
    tlsPrivateKeyFile: `${KUBELET_DIR}/pki/kubelet.key`,
    rotateCertificates: false,
    serverTLSBootstrap: false,
    evictionHard: {
      'memory.available': '0%',
      'nodefs.available': '0%',
      'nodefs.inodesFree': '0%',
      'imagefs.available': '0%',
    },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    ...(master ? { registerWithTaints: [CONTROL_PLANE_TAINT] } : {}),
  };
  return stringify(config, { lineWidth: 0 });
}

/** kube-proxy: iptables mode (no IPVS in this kernel), conntrack sysctls left as they are. */
export function kubeProxyConfig(s: Pick<KubeSettings, 'podsCidr'>, hostname: string): string {
  return stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig: kubeconfigPath('kube-proxy') },
      mode: 'iptables',
      clusterCIDR: s.podsCidr.text,
      hostnameOverride: hostname,
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    },
    { lineWidth: 0 },
  );
}

/** flannel's net-conf.json (with `--kube-subnet-mgr` each node's subnet is its podCIDR). */
export function flannelNetConf(s: Pick<KubeSettings, 'podsCidr' | 'nodeCidrMask'>, backend: FlannelBackend): string {
  return `${JSON.stringify({ Network: s.podsCidr.text, SubnetLen: s.nodeCidrMask, Backend: { Type: backend } }, null, 2)}\n`;
}

/**
 * The resolver file given to pods with dnsPolicy Default (CoreDNS among them): the upstream resolvers the node can
 * use. Docker's embedded DNS (127.0.0.11) is only reachable from the node's own network namespace, never from a pod.
 */
export function podResolvConf(resolvers: readonly string[]): string {
  const usable = resolvers.filter((r) => !r.startsWith('127.') && r !== '::1');
  if (usable.length === 0) return '# no upstream resolver: cluster names only (CoreDNS has no forward)\n';
  return usable.map((r) => `nameserver ${r}`).join('\n') + '\n';
}

/**
 * The CNI conflist flannel's own CNI plugin would delegate to (that plugin is not on the module proxy): a bridge with
 * host-local IPAM over the node's flannel subnet, and portmap for hostPort. Rendered in the node by the flanneld
 * service once /run/flannel/subnet.env exists; `$SUBNET` and `$MTU` are shell variables there.
 */
export function cniConflistTemplate(): string {
  const conf = {
    cniVersion: '0.4.0',
    name: 'cbr0',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cni0',
        isGateway: true,
        isDefaultGateway: true,
        ipMasq: false,
        hairpinMode: true,
        mtu: '@MTU@',
        ipam: { type: 'host-local', ranges: [[{ subnet: '@SUBNET@' }]] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  return JSON.stringify(conf, null, 2).replace('"@MTU@"', '$MTU').replace('@SUBNET@', '$SUBNET');
}
