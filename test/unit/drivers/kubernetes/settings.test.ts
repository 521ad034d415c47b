/** @module test/unit/drivers/kubernetes/settings — the Kubernetes labels: defaults, and a 400 naming each bad label. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MagnumError } from '../../../../src/core/errors.ts';
import type { Labels } from '../../../../src/core/labels.ts';
import { kubeSettings, type SettingsContext } from '../../../../src/drivers/kubernetes/settings.ts';

const FLANNEL: SettingsContext = { networkDriver: 'flannel' };

/** Asserts that the labels are refused with a 400 whose message matches. */
function refused(labels: Labels, message: RegExp, ctx: SettingsContext = FLANNEL): void {
  assert.throws(
    () => kubeSettings(labels, ctx),
    (e: unknown) => {
      assert.ok(e instanceof MagnumError, `expected a MagnumError, got ${String(e)}`);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'InvalidParameterValue');
      assert.match(e.message, message);
      return true;
    },
  );
}

void describe('kubeSettings defaults (Magnum’s)', () => {
  void test('no labels: v1.37.2, flannel vxlan, services 10.254/16, pods 10.100/16, DNS 10.254.0.10', () => {
    const s = kubeSettings({}, { networkDriver: null });
    assert.equal(s.kubeTag, 'v1.37.2');
    assert.equal(s.flannelBackend, 'vxlan');
    assert.equal(s.serviceCidr.text, '10.254.0.0/16');
    assert.equal(s.podsCidr.text, '10.100.0.0/16');
    assert.equal(s.nodeCidrMask, 24);
    assert.equal(s.apiServiceIp, '10.254.0.1');
    assert.equal(s.dnsServiceIp, '10.254.0.10');
    assert.equal(s.clusterDomain, 'cluster.local');
    assert.deepEqual(s.kubeletArgs, []);
    assert.deepEqual(s.apiserverArgs, []);
    assert.equal(s.metricsServer, true);
    assert.equal(s.monitoring, false);
    assert.equal(s.autoHealing, false);
    assert.equal(s.etcdVolumeGb, null);
  });

  void test('the DNS address follows a moved service range (10th address)', () => {
    const s = kubeSettings({ service_cluster_ip_range: '10.96.0.0/16' }, FLANNEL);
    assert.equal(s.apiServiceIp, '10.96.0.1');
    assert.equal(s.dnsServiceIp, '10.96.0.10');
  });

  void test('labels are honoured', () => {
    const s = kubeSettings(
      {
        kube_tag: 'v1.36.3',
        flannel_backend: 'host-gw',
        pods_network_cidr: '10.244.0.0/16',
        flannel_network_subnetlen: '25',
        dns_service_ip: '10.254.0.53',
        dns_cluster_domain: 'Example.Internal',
        kubelet_options: '--max-pods=50  --v=2',
        kubeapi_options: '--audit-log-maxage=3',
        metrics_server_enabled: 'false',
        auto_healing_enabled: 'True',
        etcd_volume_size: '5',
        min_node_count: '1',
        max_node_count: '4',
      },
      FLANNEL,
    );
    assert.equal(s.kubeTag, 'v1.36.3');
    assert.equal(s.flannelBackend, 'host-gw');
    assert.equal(s.podsCidr.text, '10.244.0.0/16');
    assert.equal(s.nodeCidrMask, 25);
    assert.equal(s.dnsServiceIp, '10.254.0.53');
    assert.equal(s.clusterDomain, 'example.internal');
    assert.deepEqual(s.kubeletArgs, ['--max-pods=50', '--v=2']);
    assert.deepEqual(s.apiserverArgs, ['--audit-log-maxage=3']);
    assert.equal(s.metricsServer, false);
    assert.equal(s.monitoring, false);
    assert.equal(s.autoHealing, true);
    assert.equal(s.etcdVolumeGb, 5);
    assert.equal(s.minNodeCount, 1);
    assert.equal(s.maxNodeCount, 4);
  });

  void test("Magnum's older flannel_network_cidr names the pod range when pods_network_cidr is absent", () => {
    assert.equal(kubeSettings({ flannel_network_cidr: '10.200.0.0/16' }, FLANNEL).podsCidr.text, '10.200.0.0/16');
  });
});

void describe('kubeSettings refusals name the label and why', () => {
  void test('calico is refused with the reason', () => {
    refused({}, /calico is not supported by the kubernetes driver: .*Go module.*IPIP/, { networkDriver: 'calico' });
  });
  void test('another network driver', () => {
    refused({}, /Network driver type docker is not supported .* expecting flannel/, { networkDriver: 'docker' });
  });
  const cases: [string, Labels, RegExp][] = [
    [
      'malformed kube_tag',
      { kube_tag: 'latest' },
      /^Label kube_tag=latest is not a supported Kubernetes version; supported: v1\.37\.2, v1\.36\.3\.$/,
    ],
    [
      'unsupported kube_tag',
      { kube_tag: 'v1.30.1' },
      /^Label kube_tag=v1\.30\.1 is not a supported Kubernetes version/,
    ],
    [
      'udp backend',
      { flannel_backend: 'udp' },
      /^Label flannel_backend=udp is not valid: the udp backend is not supported/,
    ],
    [
      'unknown backend',
      { flannel_backend: 'wireguard' },
      /^Label flannel_backend=wireguard is not valid: must be vxlan or host-gw/,
    ],
    [
      'service range not a CIDR',
      { service_cluster_ip_range: '10.254.0.0' },
      /^Label service_cluster_ip_range=10.254.0.0 is not valid: must be an IPv4 CIDR/,
    ],
    ['service range with host bits', { service_cluster_ip_range: '10.254.0.1/16' }, /no host bits set/],
    [
      'service range too large',
      { service_cluster_ip_range: '10.0.0.0/8' },
      /service_cluster_ip_range=10.0.0.0\/8 is not valid: the prefix must be \/12 to \/28/,
    ],
    [
      'pods range malformed',
      { pods_network_cidr: '10.300.0.0/16' },
      /^Label pods_network_cidr=10.300.0.0\/16 is not valid/,
    ],
    [
      'pods overlapping services',
      { pods_network_cidr: '10.254.128.0/17' },
      /^Label pods_network_cidr=10.254.128.0\/17 is not valid: overlaps service_cluster_ip_range 10.254.0.0\/16/,
    ],
    [
      'node mask not inside the pod range',
      { pods_network_cidr: '10.100.0.0/24' },
      /^Label flannel_network_subnetlen=24 is not valid: each node's pod range \(\/24\) must be smaller than pods_network_cidr 10.100.0.0\/24/,
    ],
    [
      'dns outside the range',
      { dns_service_ip: '10.100.0.10' },
      /^Label dns_service_ip=10.100.0.10 is not valid: must be a host address inside service_cluster_ip_range 10.254.0.0\/16/,
    ],
    [
      'dns = the kubernetes Service',
      { dns_service_ip: '10.254.0.1' },
      /10.254.0.1 is the kubernetes Service's address/,
    ],
    [
      'dns not an address',
      { dns_service_ip: 'dns' },
      /^Label dns_service_ip=dns is not valid: must be an IPv4 address/,
    ],
    ['bad domain', { dns_cluster_domain: 'bad_domain' }, /^Label dns_cluster_domain=bad_domain is not valid/],
    [
      'kubelet systemd cgroups',
      { kubelet_options: '--cgroup-driver=systemd' },
      /^Label kubelet_options=--cgroup-driver=systemd is not valid: --cgroup-driver=systemd would break the node: nodes have no systemd/,
    ],
    [
      'kubelet managed flag',
      { kubelet_options: '--max-pods=10 --cluster-dns=1.2.3.4' },
      /--cluster-dns may not be set: set it with the dns_service_ip label/,
    ],
    [
      'kubelet positional word',
      { kubelet_options: 'max-pods=10' },
      /'max-pods=10' is not a flag of the form --name or --name=value/,
    ],
    ['kubelet shell characters', { kubelet_options: '--v=2;reboot' }, /contains a quote or shell character/],
    [
      'kubelet reserved node label',
      { kubelet_options: '--node-labels=node-role.kubernetes.io/gpu=' },
      /--node-labels may not set node-role.kubernetes.io\/gpu/,
    ],
    [
      'apiserver etcd',
      { kubeapi_options: '--etcd-servers=http://x:2379' },
      /^Label kubeapi_options=--etcd-servers=http:\/\/x:2379 is not valid: --etcd-servers may not be set/,
    ],
    [
      'apiserver authorization without Node',
      { kubeapi_options: '--authorization-mode=RBAC' },
      /--authorization-mode must keep Node and RBAC/,
    ],
    [
      'apiserver requestheader',
      { kubeapi_options: '--requestheader-group-headers=X' },
      /--requestheader-group-headers may not be set/,
    ],
    [
      'metrics_server_enabled',
      { metrics_server_enabled: 'maybe' },
      /^Label metrics_server_enabled=maybe is not valid: must be true or false/,
    ],
    [
      'prometheus_monitoring',
      { prometheus_monitoring: 'yes please' },
      /^Label prometheus_monitoring=yes please is not valid: must be true or false/,
    ],
    [
      'monitoring_enabled',
      { monitoring_enabled: 'on!' },
      /^Label monitoring_enabled=on! is not valid: must be true or false/,
    ],
    [
      'grafana_admin_passwd (its value not echoed)',
      { prometheus_monitoring: 'true', grafana_admin_passwd: 's3cret' },
      /^Label grafana_admin_passwd=\*\*\* is not valid: Grafana is not available in Magnetar/,
    ],
    ['grafana_tag', { grafana_tag: '7.5.0' }, /^Label grafana_tag=7.5.0 is not valid: Grafana is not available/],
    [
      'influx_grafana_dashboard_enabled',
      { influx_grafana_dashboard_enabled: 'true' },
      /^Label influx_grafana_dashboard_enabled=true is not valid: Grafana is not available/,
    ],
    [
      'influx_grafana_dashboard_enabled not boolean',
      { influx_grafana_dashboard_enabled: 'maybe' },
      /^Label influx_grafana_dashboard_enabled=maybe is not valid: must be true or false/,
    ],
    [
      'auto_healing_enabled',
      { auto_healing_enabled: '2' },
      /^Label auto_healing_enabled=2 is not valid: must be true or false/,
    ],
    [
      'etcd_volume_size',
      { etcd_volume_size: '-1' },
      /^Label etcd_volume_size=-1 is not valid: must be a non-negative integer/,
    ],
    ['docker_volume_size', { docker_volume_size: 'ten' }, /^Label docker_volume_size=ten is not valid/],
    ['min_node_count', { min_node_count: '1.5' }, /^Label min_node_count=1.5 is not valid/],
    [
      'min > max',
      { min_node_count: '3', max_node_count: '2' },
      /^Label max_node_count=2 is not valid: must be at least min_node_count \(3\)/,
    ],
  ];
  for (const [name, labels, message] of cases) void test(name, () => refused(labels, message));

  void test('either monitoring label turns Prometheus on (Magnum: prometheus_monitoring, monitoring_enabled)', () => {
    assert.equal(kubeSettings({ prometheus_monitoring: 'true' }, FLANNEL).monitoring, true);
    assert.equal(kubeSettings({ monitoring_enabled: 'True' }, FLANNEL).monitoring, true);
    assert.equal(
      kubeSettings({ prometheus_monitoring: 'false', monitoring_enabled: 'false' }, FLANNEL).monitoring,
      false,
    );
    assert.equal(kubeSettings({ influx_grafana_dashboard_enabled: 'false' }, FLANNEL).monitoring, false);
  });

  void test('ranges overlapping the fixed subnet', () => {
    refused(
      { service_cluster_ip_range: '10.20.0.0/16' },
      /service_cluster_ip_range=10.20.0.0\/16 is not valid: overlaps the cluster's fixed_subnet 10.20.3.0\/24/,
      {
        networkDriver: 'flannel',
        fixedSubnet: '10.20.3.0/24',
      },
    );
    refused(
      {},
      /^Label pods_network_cidr=10.100.0.0\/16 is not valid: overlaps the cluster's fixed_subnet 10.100.7.0\/24/,
      { networkDriver: 'flannel', fixedSubnet: '10.100.7.0/24' },
    );
  });
});
