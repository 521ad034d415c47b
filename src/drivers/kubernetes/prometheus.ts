/**
 * @module The Prometheus the `prometheus_monitoring` / `monitoring_enabled` labels deploy (namespace
 * `prometheus-monitoring`, as Magnum's): a service account allowed to discover and scrape, the scrape configuration,
 * one replica keeping its TSDB on an emptyDir, and the `prometheus` Service on port 9090 (reached through the
 * apiserver's service proxy or `kubectl port-forward`). Three jobs, each over TLS verified against the cluster CA with
 * the service account's token: `kubernetes-apiservers` (the `kubernetes` Service's endpoints), `kubernetes-nodes`
 * (each kubelet's /metrics on its InternalIP:10250) and `kubernetes-cadvisor` (/metrics/cadvisor there). Pure.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { KubeObject } from './addons.ts';

export const PROMETHEUS_NAMESPACE = 'prometheus-monitoring';
export const PROMETHEUS_SERVICE = 'prometheus';
export const PROMETHEUS_PORT = 9090;

/** The scrape jobs by name, in the configuration's order. */
export const PROMETHEUS_JOBS = ['kubernetes-apiservers', 'kubernetes-nodes', 'kubernetes-cadvisor'] as const;

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const MANAGED = { 'app.kubernetes.io/managed-by': 'magnetar' };

/** TLS and credentials of every job: the cluster CA and the pod's service account token. */
const clusterAuth = {
  scheme: 'https',
  tls_config: { ca_file: `${SA_DIR}/ca.crt` },
  authorization: { credentials_file: `${SA_DIR}/token` },
};

/** A job scraping every node's kubelet at `path`, named by node. */
function kubeletJob(name: string, path: string): Record<string, unknown> {
  return {
    job_name: name,
    ...clusterAuth,
    metrics_path: path,
    kubernetes_sd_configs: [{ role: 'node' }],
    relabel_configs: [{ action: 'labelmap', regex: '__meta_kubernetes_node_label_(.+)' }],
  };
}

/** `prometheus.yml`: scrape and evaluation every `intervalSeconds`. */
export function prometheusConfig(intervalSeconds: number): string {
  const interval = `${intervalSeconds}s`;
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: 'kubernetes-apiservers',
        ...clusterAuth,
        kubernetes_sd_configs: [{ role: 'endpointslice', namespaces: { names: ['default'] } }],
        relabel_configs: [
          {
            action: 'keep',
            source_labels: ['__meta_kubernetes_service_name', '__meta_kubernetes_endpointslice_port_name'],
            regex: 'kubernetes;https',
          },
        ],
      },
      kubeletJob('kubernetes-nodes', '/metrics'),
      kubeletJob('kubernetes-cadvisor', '/metrics/cadvisor'),
    ],
  });
}

/** Every object of the Prometheus add-on, in apply order (namespace and RBAC first). */
export function prometheus(image: string, intervalSeconds = 15): KubeObject[] {
  const ns = PROMETHEUS_NAMESPACE;
  const labels = { 'app.kubernetes.io/name': 'prometheus' };
  const meta = (name: string, namespaced = true): KubeObject['metadata'] => ({
    name,
    ...(namespaced ? { namespace: ns } : {}),
    labels: { ...labels, ...MANAGED },
  });
  const subject = { kind: 'ServiceAccount', name: 'prometheus', namespace: ns };
  const config = prometheusConfig(intervalSeconds);
  // A changed configuration rolls the pod (Prometheus reads its file at start).
  const configHash = createHash('sha256').update(config).digest('hex').slice(0, 16);
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: MANAGED } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('prometheus') },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta('magnetar:prometheus', false),
      rules: [
        { apiGroups: [''], resources: ['nodes', 'services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
        { nonResourceURLs: ['/metrics', '/metrics/cadvisor'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta('magnetar:prometheus', false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'magnetar:prometheus' },
      subjects: [subject],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('prometheus-config'),
      data: { 'prometheus.yml': config },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('prometheus'),
      spec: {
        replicas: 1,
        // One TSDB on an emptyDir: the old pod goes before the new one starts.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: { 'magnetar.openstack.org/config-sha256': configHash } },
          spec: {
            serviceAccountName: 'prometheus',
            tolerations: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 },
            containers: [
              {
                name: 'prometheus',
                image,
                imagePullPolicy: 'Never',
                args: [
                  '--config.file=/etc/prometheus/prometheus.yml',
                  '--storage.tsdb.path=/prometheus',
                  '--storage.tsdb.retention.time=14d',
                  `--web.listen-address=:${PROMETHEUS_PORT}`,
                ],
                ports: [{ containerPort: PROMETHEUS_PORT, name: 'web', protocol: 'TCP' }],
                readinessProbe: { httpGet: { path: '/-/ready', port: 'web' }, periodSeconds: 5 },
                livenessProbe: { httpGet: { path: '/-/healthy', port: 'web' }, periodSeconds: 15, failureThreshold: 4 },
                resources: { requests: { cpu: '100m', memory: '200Mi' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ['ALL'] },
                  readOnlyRootFilesystem: true,
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                volumeMounts: [
                  { name: 'config', mountPath: '/etc/prometheus', readOnly: true },
                  { name: 'data', mountPath: '/prometheus' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: 'prometheus-config' } },
              { name: 'data', emptyDir: {} },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(PROMETHEUS_SERVICE),
      spec: {
        selector: labels,
        ports: [{ name: 'web', port: PROMETHEUS_PORT, protocol: 'TCP', targetPort: 'web' }],
      },
    },
  ];
}
