/** @module test/unit/drivers/kubernetes/addons — RBAC, CoreDNS, metrics-server objects and node labels. */
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
import { kubeSettings } from '../../../../src/drivers/kubernetes/settings.ts';

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
