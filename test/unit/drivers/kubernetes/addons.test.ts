/** @module test/unit/drivers/kubernetes/addons — RBAC, CoreDNS, metrics-server, Prometheus objects, node labels. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addons,
  corefile,
  DEFAULT_ADDON_IMAGES,
  labelValue,
  nodeLabels,
  selfLabels,
  type KubeObject,
} from '../../../../src/drivers/kubernetes/addons.ts';
import { PROMETHEUS_JOBS, prometheusConfig } from '../../../../src/drivers/kubernetes/prometheus.ts';
import { kubeSettings } from '../../../../src/drivers/kubernetes/settings.ts';
import { parse } from 'yaml';

const find = (objs: KubeObject[], kind: string, name: string): KubeObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name}`);
  return o;
};

void describe('add-ons', () => {
  void test('CoreDNS: kube-dns on dns_service_ip, the cluster domain, preloaded image never pulled', () => {
    const s = kubeSettings(
      { dns_service_ip: '10.254.0.53', dns_cluster_domain: 'corp.local' },
      { networkDriver: null },
    );
    const objs = addons(s, ['10.255.255.53'], DEFAULT_ADDON_IMAGES);
    const svc = find(objs, 'Service', 'kube-dns') as KubeObject & { spec: { clusterIP: string } };
    assert.equal(svc.spec.clusterIP, '10.254.0.53');
    assert.equal(svc.metadata.namespace, 'kube-system');
    const cm = find(objs, 'ConfigMap', 'coredns') as KubeObject & { data: { Corefile: string } };
    assert.match(cm.data.Corefile, /kubernetes corp\.local in-addr\.arpa ip6\.arpa \{/);
    assert.match(cm.data.Corefile, /forward \. 10\.255\.255\.53 \{/);
    const dep = JSON.stringify(find(objs, 'Deployment', 'coredns'));
    assert.match(dep, /"image":"magnetar.local\/coredns:v1.15.0","imagePullPolicy":"Never"/);
    assert.match(dep, /"dnsPolicy":"Default"/);
  });

  void test('the Corefile forwards only to usable upstreams, and has no forward without any', () => {
    assert.match(
      corefile('cluster.local', ['127.0.0.11', '192.0.2.1', '192.0.2.2']),
      /forward \. 192\.0\.2\.1 192\.0\.2\.2 \{/,
    );
    assert.doesNotMatch(corefile('cluster.local', ['127.0.0.11']), /forward/);
  });

  void test('the cni identity may list nodes and patch their status; RBAC comes before workloads', () => {
    const objs = addons(kubeSettings({}, { networkDriver: null }), [], DEFAULT_ADDON_IMAGES);
    const role = find(objs, 'ClusterRole', 'magnetar:cni') as KubeObject & {
      rules: { resources: string[]; verbs: string[] }[];
    };
    assert.ok(role.rules.some((r) => r.resources.includes('nodes') && r.verbs.includes('list')));
    assert.ok(role.rules.some((r) => r.resources.includes('nodes/status') && r.verbs.includes('patch')));
    const binding = find(objs, 'ClusterRoleBinding', 'magnetar:cni') as KubeObject & { subjects: { name: string }[] };
    assert.equal(binding.subjects[0]?.name, 'magnetar:cni');
    const index = (kind: string): number => objs.findIndex((o) => o.kind === kind);
    assert.ok(index('ClusterRoleBinding') < index('Deployment'));
  });

  void test('metrics-server only with metrics_server_enabled (default on, as in Magnum)', () => {
    const on = addons(kubeSettings({}, { networkDriver: null }), [], DEFAULT_ADDON_IMAGES);
    assert.ok(find(on, 'APIService', 'v1beta1.metrics.k8s.io'));
    assert.match(JSON.stringify(find(on, 'Deployment', 'metrics-server')), /kubelet-certificate-authority/);
    const off = addons(
      kubeSettings({ metrics_server_enabled: 'false' }, { networkDriver: null }),
      [],
      DEFAULT_ADDON_IMAGES,
    );
    assert.equal(
      off.some((o) => o.metadata.name === 'metrics-server'),
      false,
    );
  });

  void test('Prometheus only with a monitoring label: namespace and RBAC before it, its image preloaded', () => {
    const off = addons(kubeSettings({}, { networkDriver: null }), [], DEFAULT_ADDON_IMAGES);
    assert.equal(
      off.some((o) => o.metadata.namespace === 'prometheus-monitoring'),
      false,
    );
    const on = addons(kubeSettings({ monitoring_enabled: 'true' }, { networkDriver: null }), [], DEFAULT_ADDON_IMAGES);
    const index = (kind: string, name: string): number =>
      on.findIndex((o) => o.kind === kind && o.metadata.name === name);
    assert.ok(index('Namespace', 'prometheus-monitoring') >= 0);
    assert.ok(index('Namespace', 'prometheus-monitoring') < index('ServiceAccount', 'prometheus'));
    assert.ok(index('ClusterRoleBinding', 'magnetar:prometheus') < index('Deployment', 'prometheus'));
    const role = find(on, 'ClusterRole', 'magnetar:prometheus') as KubeObject & { rules: { resources?: string[] }[] };
    assert.ok(role.rules.some((r) => r.resources?.includes('nodes/metrics')));
    const deploy = JSON.stringify(find(on, 'Deployment', 'prometheus'));
    assert.match(deploy, /"image":"magnetar\.local\/prometheus:v3\.16\.0","imagePullPolicy":"Never"/);
    assert.match(deploy, /"serviceAccountName":"prometheus"/);
    const svc = find(on, 'Service', 'prometheus') as KubeObject & { spec: { ports: { port: number }[] } };
    assert.equal(svc.metadata.namespace, 'prometheus-monitoring');
    assert.equal(svc.spec.ports[0]?.port, 9090);
  });

  void test('the scrape configuration: apiserver, kubelets and cAdvisor over verified TLS with the token', () => {
    type Job = {
      job_name: string;
      scheme: string;
      metrics_path?: string;
      tls_config: { ca_file: string; insecure_skip_verify?: boolean };
      authorization: { credentials_file: string };
      kubernetes_sd_configs: { role: string }[];
    };
    const cfg = parse(prometheusConfig(15)) as { global: { scrape_interval: string }; scrape_configs: Job[] };
    assert.equal(cfg.global.scrape_interval, '15s');
    assert.deepEqual(
      cfg.scrape_configs.map((j) => j.job_name),
      [...PROMETHEUS_JOBS],
    );
    for (const j of cfg.scrape_configs) {
      assert.equal(j.scheme, 'https');
      assert.equal(j.tls_config.ca_file, '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
      assert.equal(j.tls_config.insecure_skip_verify, undefined);
      assert.equal(j.authorization.credentials_file, '/var/run/secrets/kubernetes.io/serviceaccount/token');
    }
    const byName = new Map(cfg.scrape_configs.map((j) => [j.job_name, j]));
    assert.equal(byName.get('kubernetes-apiservers')?.kubernetes_sd_configs[0]?.role, 'endpointslice');
    assert.equal(byName.get('kubernetes-nodes')?.kubernetes_sd_configs[0]?.role, 'node');
    assert.equal(byName.get('kubernetes-cadvisor')?.metrics_path, '/metrics/cadvisor');
  });

  void test('node labels: Magnum’s keys, the role label, and what a kubelet may set on itself', () => {
    assert.deepEqual(nodeLabels({ name: 'default-master', role: 'master' }), {
      'magnum.openstack.org/nodegroup': 'default-master',
      'magnum.openstack.org/role': 'master',
      'node-role.kubernetes.io/control-plane': '',
      'node-role.kubernetes.io/master': '',
    });
    const gpu = nodeLabels({ name: 'gpu pool', role: 'GPU' });
    assert.deepEqual(gpu, {
      'magnum.openstack.org/nodegroup': 'gpu-pool',
      'magnum.openstack.org/role': 'GPU',
      'node-role.kubernetes.io/gpu': '',
    });
    assert.deepEqual(selfLabels(gpu), {
      'magnum.openstack.org/nodegroup': 'gpu-pool',
      'magnum.openstack.org/role': 'GPU',
    });
    assert.equal(labelValue('-x'.repeat(40)).length <= 63, true);
    assert.match(labelValue('-x'.repeat(40)), /^[A-Za-z0-9].*[A-Za-z0-9]$/);
  });
});
