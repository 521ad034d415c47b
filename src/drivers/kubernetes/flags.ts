/**
 * @module The `kubelet_options` and `kubeapi_options` labels: extra command-line flags appended to the daemon's own.
 * Magnum pastes them into a shell line; Magnetar parses them (`--name` or `--name=value`, separated by blanks), refuses
 * what is malformed and the flags Magnetar sets itself whose change would break the node, and renders each flag as
 * its own shell word. Flags a daemon does not know still make it exit at start: the create then fails at `ready`
 * with the daemon's name. Pure.
 */

/** Why a managed flag may not be given, by flag name (without the dashes). */
type Forbidden = Readonly<Record<string, string>>;

const PKI = 'certificates are issued by Magnetar from the cluster CA';

/** kubelet flags Magnetar owns: changing them breaks the node inside its container or its place in the cluster. */
export const KUBELET_MANAGED: Forbidden = {
  config: 'the kubelet configuration file is written by Magnetar',
  kubeconfig: PKI,
  'bootstrap-kubeconfig': 'nodes join with certificates from the cluster CA, not bootstrap tokens',
  'cert-dir': PKI,
  'tls-cert-file': PKI,
  'tls-private-key-file': PKI,
  'client-ca-file': PKI,
  'rotate-certificates': 'there is no certificate signer in the cluster (the CA key stays with Magnetar)',
  'hostname-override': 'the node name is the stable name Magnetar gives the node',
  'node-ip': 'the node address is assigned by Magnetar',
  'container-runtime-endpoint': 'the node runs containerd at its default socket',
  'root-dir': 'the kubelet state lives at /var/lib/kubelet',
  'resolv-conf': 'pods need a resolver file without Docker’s 127.0.0.11, written by Magnetar',
  'cluster-dns': 'set it with the dns_service_ip label',
  'cluster-domain': 'set it with the dns_cluster_domain label',
  'pod-infra-container-image': 'the sandbox image is preloaded on the node (there is no registry)',
};

/** Values of managed kubelet flags that are accepted because they equal what Magnetar sets. */
const KUBELET_ALLOWED_VALUES: Readonly<Record<string, readonly string[]>> = {
  'cgroup-driver': ['cgroupfs'],
  'fail-cgroupv1': ['false'],
};

const KUBELET_VALUE_REASONS: Readonly<Record<string, string>> = {
  'cgroup-driver': 'nodes have no systemd, so only cgroupfs works',
  'fail-cgroupv1': 'the host may use cgroup v1, which the kubelet refuses unless this is false',
};

/** kube-apiserver flags Magnetar owns. */
export const APISERVER_MANAGED: Forbidden = {
  'etcd-servers': 'the apiserver uses the cluster’s own etcd over TLS',
  'etcd-cafile': PKI,
  'etcd-certfile': PKI,
  'etcd-keyfile': PKI,
  'service-cluster-ip-range': 'set it with the service_cluster_ip_range label',
  'secure-port': 'the API port is published by Magnetar',
  'bind-address': 'the API address is published by Magnetar',
  'advertise-address': 'the API address is published by Magnetar',
  'tls-cert-file': PKI,
  'tls-private-key-file': PKI,
  'client-ca-file': PKI,
  'service-account-key-file': 'the service account keys are made by Magnetar',
  'service-account-signing-key-file': 'the service account keys are made by Magnetar',
  'service-account-issuer': 'the service account issuer is set by Magnetar',
  'kubelet-client-certificate': PKI,
  'kubelet-client-key': PKI,
  'kubelet-certificate-authority': PKI,
  'proxy-client-cert-file': PKI,
  'proxy-client-key-file': PKI,
  'requestheader-client-ca-file': PKI,
  'requestheader-allowed-names': 'the aggregation layer (metrics-server) is configured by Magnetar',
  'insecure-port': 'removed from kube-apiserver; the daemon would not start',
  'insecure-bind-address': 'removed from kube-apiserver; the daemon would not start',
};

/** Node label domains the kubelet may not set on itself (it refuses to start), plus Magnum's own keys. */
const RESERVED_NODE_LABEL = /^([^/]*\.)?(kubernetes\.io|k8s\.io)\/|^magnum\.openstack\.org\//;
/** The few `kubernetes.io` labels a kubelet may set on its own node (NodeRestriction). */
const KUBELET_LABEL_OK =
  /^(kubernetes\.io\/(hostname|arch|os)|beta\.kubernetes\.io\/(arch|os|instance-type)|node\.kubernetes\.io\/instance-type|topology\.kubernetes\.io\/(region|zone)|failure-domain\.beta\.kubernetes\.io\/(region|zone)|(kubelet|node)\.kubernetes\.io\/.+)$/;

const FLAG = /^--([a-z0-9][a-z0-9-]*)(?:=(.*))?$/;

/** One parsed flag: its name (no dashes) and value (undefined for a bare `--flag`). */
export interface Flag {
  name: string;
  value: string | undefined;
}

/**
 * Parses a flags label. Returns the reason it is refused as a string (for a 400 naming the label), or the flags.
 */
export function parseFlags(text: string): Flag[] | string {
  const out: Flag[] = [];
  for (const token of text.split(/\s+/).filter((t) => t !== '')) {
    if (/["'`\\$;&|<>(){}]/.test(token))
      return `'${token}' contains a quote or shell character; values are single words`;
    const m = FLAG.exec(token);
    if (!m) return `'${token}' is not a flag of the form --name or --name=value`;
    out.push({ name: m[1] as string, value: m[2] });
  }
  return out;
}

/** Renders flags back to argv words. */
export function flagWords(flags: readonly Flag[]): string[] {
  return flags.map((f) => (f.value === undefined ? `--${f.name}` : `--${f.name}=${f.value}`));
}

/** Checks `kubelet_options`; returns the reason it is refused, or the flags. */
export function kubeletFlags(text: string): Flag[] | string {
  const flags = parseFlags(text);
  if (typeof flags === 'string') return flags;
  for (const f of flags) {
    const managed = KUBELET_MANAGED[f.name];
    if (managed) return `--${f.name} may not be set: ${managed}`;
    const allowed = KUBELET_ALLOWED_VALUES[f.name];
    if (allowed && !allowed.includes((f.value ?? '').toLowerCase()))
      return `--${f.name}=${f.value ?? ''} would break the node: ${KUBELET_VALUE_REASONS[f.name] ?? ''}`;
    if (f.name === 'node-labels') {
      for (const pair of (f.value ?? '').split(',').filter((p) => p !== '')) {
        const key = pair.split('=')[0] ?? '';
        if (RESERVED_NODE_LABEL.test(key) && !KUBELET_LABEL_OK.test(key))
          return `--node-labels may not set ${key}: the kubelet may not set labels of that domain on itself (Magnetar sets the node group and role labels)`;
      }
    }
  }
  return flags;
}

/** Checks `kubeapi_options`; returns the reason it is refused, or the flags. */
export function apiserverFlags(text: string): Flag[] | string {
  const flags = parseFlags(text);
  if (typeof flags === 'string') return flags;
  for (const f of flags) {
    const managed = APISERVER_MANAGED[f.name];
    if (managed) return `--${f.name} may not be set: ${managed}`;
    if (f.name.startsWith('requestheader-'))
      return `--${f.name} may not be set: the aggregation layer (metrics-server) is configured by Magnetar`;
    if (f.name === 'authorization-mode') {
      const modes = (f.value ?? '').split(',');
      if (!modes.includes('Node') || !modes.includes('RBAC'))
        return `--authorization-mode must keep Node and RBAC (kubelets and cluster add-ons rely on them)`;
    }
  }
  return flags;
}
