/**
 * @module test/integration/api/kubernetes-validation — Kubernetes templates and clusters through the real HTTP edge
 * with the kubernetes driver registered over the real Docker provider (image catalog): every bad label, network
 * driver, volume driver, unbuilt or unsupported `kube_tag` and master count is a 400 in Magnum's error body naming it,
 * and nothing is written. No conductor runs. Needs the default version's node image (skipped, saying so, without it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_KUBE_TAG, kubeNodeImage, supportedKubeTags } from '../../../src/core/kube-versions.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { startApiHarness, type ApiHarness, type BadCase } from '../../helpers/api-harness.ts';

const TAG = DEFAULT_KUBE_TAG;
const IMAGE = kubeNodeImage(TAG);
const engine = new Engine({ socketPath: '/var/run/docker.sock' });
const built = new Map<string, boolean>();
for (const t of supportedKubeTags()) built.set(t, (await engine.inspectImage(kubeNodeImage(t))) !== null);
engine.close();
const SKIP = built.get(TAG)
  ? false
  : `the Kubernetes node image ${IMAGE} is not built (magnetar image build --coe kubernetes)`;
/** A supported version whose image is not built (none: that case is skipped). */
const UNBUILT = supportedKubeTags().find((t) => !built.get(t));
const url = '/v1/clustertemplates';
const base = { coe: 'kubernetes', image_id: IMAGE, server_type: 'container', labels: { kube_tag: TAG } };

void describe(
  'kubernetes templates and clusters: 400s naming the label, nothing written',
  { skip: SKIP, timeout: 300_000 },
  () => {
    let h: ApiHarness;
    let template: string;

    before(async () => {
      h = await startApiHarness({ kubernetes: true });
      template = String((await h.createTemplate({ ...base, name: 'k8s' })).uuid);
    });
    after(async () => {
      await h?.close();
    });

    void test('a valid template: flannel is the default network driver', async () => {
      const res = await h.send('GET', `${url}/${template}`);
      assert.equal(res.json<{ network_driver: string }>().network_driver, 'flannel');
    });

    const labels = (l: Record<string, string>): Record<string, unknown> => ({
      ...base,
      labels: { ...base.labels, ...l },
    });
    const templateCases: BadCase[] = [
      {
        name: 'calico is refused with the reason',
        url,
        body: { ...base, network_driver: 'calico' },
        status: 400,
        detail: /^Network driver type calico is not supported by the kubernetes driver: Calico cannot be built here/,
      },
      {
        name: 'an unsupported kube_tag',
        url,
        body: labels({ kube_tag: 'v1.29.3' }),
        status: 400,
        detail: /^Label kube_tag=v1\.29\.3 is not a supported Kubernetes version; supported: v1\.37\.2, v1\.36\.3\.$/,
      },
      {
        name: 'flannel_backend',
        url,
        body: labels({ flannel_backend: 'udp' }),
        status: 400,
        detail: /^Label flannel_backend=udp is not valid/,
      },
      {
        name: 'overlapping pod and service ranges',
        url,
        body: labels({ pods_network_cidr: '10.254.0.0/16' }),
        status: 400,
        detail: /^Label pods_network_cidr=10\.254\.0\.0\/16 is not valid: overlaps service_cluster_ip_range/,
      },
      {
        name: 'dns_service_ip outside the service range',
        url,
        body: labels({ dns_service_ip: '10.0.0.10' }),
        status: 400,
        detail:
          /^Label dns_service_ip=10\.0\.0\.10 is not valid: must be a host address inside service_cluster_ip_range/,
      },
      {
        name: 'kubelet_options that would break the node',
        url,
        body: labels({ kubelet_options: '--cgroup-driver=systemd' }),
        status: 400,
        detail: /^Label kubelet_options=--cgroup-driver=systemd is not valid: .*nodes have no systemd/,
      },
      {
        name: 'kubeapi_options not flags',
        url,
        body: labels({ kubeapi_options: 'v=2' }),
        status: 400,
        detail: /^Label kubeapi_options=v=2 is not valid: 'v=2' is not a flag/,
      },
      {
        name: 'metrics_server_enabled',
        url,
        body: labels({ metrics_server_enabled: 'sometimes' }),
        status: 400,
        detail: /^Label metrics_server_enabled=sometimes is not valid: must be true or false/,
      },
      {
        name: 'min_node_count above max_node_count',
        url,
        body: labels({ min_node_count: '3', max_node_count: '1' }),
        status: 400,
        detail: /^Label max_node_count=1 is not valid: must be at least min_node_count \(3\)/,
      },
      {
        name: 'etcd_volume_size',
        url,
        body: labels({ etcd_volume_size: 'big' }),
        status: 400,
        detail: /^Label etcd_volume_size=big is not valid: must be a non-negative integer/,
      },
      {
        name: 'a fixed_subnet inside the service range',
        url,
        body: { ...base, fixed_subnet: '10.254.3.0/24' },
        status: 400,
        detail: /^Label service_cluster_ip_range=10\.254\.0\.0\/16 is not valid: overlaps the cluster's fixed_subnet/,
      },
      {
        name: 'TLS turned off',
        url,
        body: { ...base, tls_disabled: true },
        status: 400,
        detail: /^tls_disabled is not supported by the kubernetes driver: the apiserver always uses TLS\.$/,
      },
      {
        name: 'a volume driver',
        url,
        body: { ...base, volume_driver: 'cinder' },
        status: 400,
        detail: /^Volume driver type cinder is not supported by the kubernetes driver\.$/,
      },
    ];
    for (const c of templateCases) void test(`template: ${c.name}`, () => h.expectRefused(c));

    void test(
      'template: a kube_tag whose image is not built says how to build it',
      { skip: !UNBUILT && 'every supported version is built' },
      () =>
        h.expectRefused({
          name: 'unbuilt',
          url,
          body: labels({ kube_tag: UNBUILT ?? '' }),
          status: 400,
          detail: new RegExp(
            `^Label kube_tag=${UNBUILT}: the node image magnetar/k8s-node:${UNBUILT} is not built; build it with "magnetar image build --coe kubernetes --kube-tag ${UNBUILT}"\\.$`,
          ),
        }),
    );

    // The template's uuid is known only once `before` ran: the body is completed in the test.
    const clusterCase = (name: string, body: Record<string, unknown>, detail: RegExp): BadCase => ({
      name,
      url: '/v1/clusters',
      body,
      status: 400,
      detail,
    });
    const clusterCases: BadCase[] = [
      clusterCase(
        'two masters without a load balancer: Magnum’s message',
        { master_count: 2 },
        /^master_count must be 1 when master_lb_enabled is False$/,
      ),
      clusterCase(
        'three masters with master_lb_enabled false: Magnum’s message',
        { master_count: 3, master_lb_enabled: false },
        /^master_count must be 1 when master_lb_enabled is False$/,
      ),
      clusterCase(
        'more masters than a cluster network holds, even with a load balancer',
        { master_count: 11, master_lb_enabled: true },
        /^master_count 11 is not valid: the kubernetes driver runs at most 10 masters per cluster\.$/,
      ),
      clusterCase(
        'a cluster label overriding kube_tag with an unsupported version',
        { labels: { kube_tag: 'v1.99.0' }, merge_labels: true },
        /^Label kube_tag=v1\.99\.0 is not a supported Kubernetes version/,
      ),
      clusterCase(
        'a cluster fixed_subnet inside the pod range',
        { fixed_subnet: '10.100.7.0/24' },
        /^Label pods_network_cidr=10\.100\.0\.0\/16 is not valid: overlaps the cluster's fixed_subnet 10\.100\.7\.0\/24/,
      ),
      clusterCase(
        'a cluster label with a bad dns_service_ip',
        { labels: { dns_service_ip: 'x' }, merge_labels: true },
        /^Label dns_service_ip=x is not valid: must be an IPv4 address/,
      ),
    ];
    for (const c of clusterCases)
      void test(`cluster: ${c.name}`, () =>
        h.expectRefused({ ...c, body: { cluster_template_id: template, ...(c.body as object) } }));

    void test('a valid cluster is accepted (the conductor is not running here)', async () => {
      const uuid = await h.createCluster({ cluster_template_id: template, node_count: 2 });
      assert.match(uuid, /^[0-9a-f-]{36}$/);
    });

    void test('several masters behind a load balancer are accepted, an even count too (as Magnum does)', async () => {
      for (const masters of [3, 2]) {
        const uuid = await h.createCluster({
          cluster_template_id: template,
          master_count: masters,
          master_lb_enabled: true,
          node_count: 1,
        });
        const c = (await h.send('GET', `/v1/clusters/${uuid}`)).json<{
          master_count: number;
          master_lb_enabled: boolean;
        }>();
        assert.deepEqual([c.master_count, c.master_lb_enabled], [masters, true]);
      }
    });
  },
);
