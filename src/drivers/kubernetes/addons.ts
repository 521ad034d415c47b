/**
 * @module Objects the driver applies through the Kubernetes API once the apiserver is ready: RBAC for the `magnetar:cni`
 * identity (flanneld), CoreDNS (Deployment + `kube-dns` Service on `dns_service_ip`) and, with
 * `metrics_server_enabled`, metrics-server behind the aggregation layer and, with `prometheus_monitoring` or
 * `monitoring_enabled`, Prometheus (prometheus.ts). Images are preloaded on every node
 * (`imagePullPolicy: Never`: there is no registry). Pure.
 *
 * CoreDNS's upstream: Magnum's CoreDNS forwards to the node's /etc/resolv.conf. Here pods cannot reach Docker's
 * embedded resolver (127.0.0.11, the node's own resolv.conf), and the Docker network's gateway is not a resolver, so
 * CoreDNS forwards to the resolvers the driver is given: the template's `dns_nameserver`, else the host's own
 * (non-loopback) nameservers. With none, CoreDNS answers cluster names only.
 */
import { PRELOADED_IMAGES } from '../../core/kube-versions.ts';
import { CNI_USER } from './pki.ts';
import { prometheus } from './prometheus.ts';
import type { KubeSettings } from './settings.ts';

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** Add-on images (NODE-CONVENTION: fully qualified, preloaded from /opt/k8s/images). */
export interface AddonImages {
  coredns: string;
  metricsServer: string;
  prometheus: string;
}

export const DEFAULT_ADDON_IMAGES: AddonImages = {
  coredns: PRELOADED_IMAGES.coredns,
  metricsServer: PRELOADED_IMAGES.metricsServer,
  prometheus: PRELOADED_IMAGES.prometheus,
};

const MANAGED = { 'app.kubernetes.io/managed-by': 'magnetar' };
const NS = 'kube-system';
const CONTROL_PLANE_TOLERATION = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

/** flanneld's rights: read nodes and pods, patch node status (its annotations). */
export function cniRbac(): KubeObject[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'magnetar:cni', labels: MANAGED },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'magnetar:cni', labels: MANAGED },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'magnetar:cni' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: CNI_USER }],
    },
  ];
}

/** The Corefile: cluster names from the API, everything else forwarded to `resolvers` (when there are any). */
export function corefile(clusterDomain: string, resolvers: readonly string[]): string {
  const upstream = resolvers.filter((r) => !r.startsWith('127.') && r !== '::1');
  return [
    '.:53 {',
    '    errors',
    '    health {',
    '       lameduck 5s',
    '    }',
    '    ready',
    `    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {`,
    '       pods insecure',
    '       fallthrough in-addr.arpa ip6.arpa',
    '       ttl 30',
    '    }',
    '    prometheus :9153',
    ...(upstream.length > 0 ? [`    forward . ${upstream.join(' ')} {`, '       max_concurrent 1000', '    }'] : []),
    '    cache 30',
    '    loop',
    '    reload',
    '    loadbalance',
    '}',
    '',
  ].join('\n');
}

/** CoreDNS as kubeadm deploys it, with Magnum's `dns_service_ip` / `dns_cluster_domain`. */
export function coreDns(
  s: Pick<KubeSettings, 'dnsServiceIp' | 'clusterDomain'>,
  resolvers: readonly string[],
  image: string,
): KubeObject[] {
  const labels = { 'k8s-app': 'kube-dns' };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: NS, labels: MANAGED } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:coredns', labels: MANAGED },
      rules: [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns', labels: MANAGED },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: NS }],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'coredns', namespace: NS, labels: MANAGED },
      data: { Corefile: corefile(s.clusterDomain, resolvers) },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: NS, labels: { ...labels, ...MANAGED } },
      spec: {
        replicas: 2,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: 'system-cluster-critical',
            serviceAccountName: 'coredns',
            dnsPolicy: 'Default',
            tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, CONTROL_PLANE_TOLERATION],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns'] }] },
                      topologyKey: 'kubernetes.io/hostname',
                    },
                  },
                ],
              },
            },
            containers: [
              {
                name: 'coredns',
                image,
                imagePullPolicy: 'Never',
                args: ['-conf', '/etc/coredns/Corefile'],
                resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
                volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
                ports: [
                  { containerPort: 53, name: 'dns', protocol: 'UDP' },
                  { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
                  { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
                ],
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                  readOnlyRootFilesystem: true,
                },
                livenessProbe: {
                  httpGet: { path: '/health', port: 8080, scheme: 'HTTP' },
                  initialDelaySeconds: 60,
                  timeoutSeconds: 5,
                  successThreshold: 1,
                  failureThreshold: 5,
                },
                readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' }, periodSeconds: 2 },
              },
            ],
            volumes: [
              { name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kube-dns',
        namespace: NS,
        labels: { ...labels, 'kubernetes.io/name': 'CoreDNS', ...MANAGED },
        annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
      },
      spec: {
        selector: labels,
        clusterIP: s.dnsServiceIp,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          { name: 'metrics', port: 9153, protocol: 'TCP' },
        ],
      },
    },
  ];
}

/**
 * metrics-server (`kubectl top`): verifies each kubelet's serving certificate against the cluster CA (the
 * `kube-root-ca.crt` every service account token carries), reached on the node's InternalIP.
 */
export function metricsServer(image: string): KubeObject[] {
  const labels = { 'k8s-app': 'metrics-server' };
  const meta = (name: string, namespaced = true): KubeObject['metadata'] => ({
    name,
    ...(namespaced ? { namespace: NS } : {}),
    labels: { ...labels, ...MANAGED },
  });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('metrics-server') },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {
        ...meta('system:aggregated-metrics-reader', false),
        labels: {
          ...labels,
          ...MANAGED,
          'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
          'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
          'rbac.authorization.k8s.io/aggregate-to-view': 'true',
        },
      },
      rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta('system:metrics-server', false),
      rules: [
        { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('metrics-server-auth-reader'),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'extension-apiserver-authentication-reader',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'metrics-server', namespace: NS }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta('metrics-server:system:auth-delegator', false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name: 'metrics-server', namespace: NS }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta('system:metrics-server', false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:metrics-server' },
      subjects: [{ kind: 'ServiceAccount', name: 'metrics-server', namespace: NS }],
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('metrics-server'),
      spec: { selector: labels, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('metrics-server'),
      spec: {
        selector: { matchLabels: labels },
        strategy: { rollingUpdate: { maxUnavailable: 0 } },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: 'system-cluster-critical',
            serviceAccountName: 'metrics-server',
            tolerations: [CONTROL_PLANE_TOLERATION],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            containers: [
              {
                name: 'metrics-server',
                image,
                imagePullPolicy: 'Never',
                args: [
                  '--cert-dir=/tmp',
                  '--secure-port=10250',
                  '--kubelet-preferred-address-types=InternalIP',
                  '--kubelet-use-node-status-port',
                  '--metric-resolution=15s',
                  '--kubelet-certificate-authority=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
                ],
                ports: [{ containerPort: 10250, name: 'https', protocol: 'TCP' }],
                readinessProbe: {
                  httpGet: { path: '/readyz', port: 'https', scheme: 'HTTPS' },
                  initialDelaySeconds: 5,
                  periodSeconds: 5,
                  failureThreshold: 3,
                },
                livenessProbe: {
                  httpGet: { path: '/livez', port: 'https', scheme: 'HTTPS' },
                  periodSeconds: 10,
                  failureThreshold: 3,
                },
                resources: { requests: { cpu: '100m', memory: '200Mi' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ['ALL'] },
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  runAsUser: 1000,
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                volumeMounts: [{ name: 'tmp-dir', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp-dir', emptyDir: {} }],
          },
        },
      },
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: meta('v1beta1.metrics.k8s.io', false),
      spec: {
        service: { name: 'metrics-server', namespace: NS },
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  ];
}

/** Everything applied after the apiserver is ready, in order (RBAC before the workloads using it). */
export function addons(
  s: Pick<KubeSettings, 'dnsServiceIp' | 'clusterDomain' | 'metricsServer' | 'monitoring'>,
  resolvers: readonly string[],
  images: AddonImages,
): KubeObject[] {
  return [
    ...cniRbac(),
    ...coreDns(s, resolvers, images.coredns),
    ...(s.metricsServer ? metricsServer(images.metricsServer) : []),
    ...(s.monitoring ? prometheus(images.prometheus) : []),
  ];
}

/** The Kubernetes labels of a node from its node group (Magnum's keys plus the role label Kubernetes shows). */
export function nodeLabels(group: { name: string; role: string }): Record<string, string> {
  const master = group.role === 'master';
  return {
    'magnum.openstack.org/nodegroup': labelValue(group.name),
    'magnum.openstack.org/role': labelValue(group.role),
    ...(master ? { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': '' } : {}),
    ...(!master ? { [`node-role.kubernetes.io/${roleLabelName(group.role)}`]: '' } : {}),
  };
}

/** The labels a kubelet may set on itself (NodeRestriction forbids node-role.kubernetes.io/*; the driver sets those). */
export function selfLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('node-role.kubernetes.io/')));
}

/** A text as a label value (at most 63 of [A-Za-z0-9._-], alphanumeric at both ends). */
export function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** A node group role as the name part of a label key. */
function roleLabelName(role: string): string {
  const safe = role
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return safe.slice(0, 63) || 'worker';
}
