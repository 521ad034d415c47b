/**
 * @module test/integration/drivers/kubernetes-monitoring — the monitoring labels through Magnetar's API (one `magnetar
 * serve` child process, real Docker, the built node image): bad values and Grafana labels are 400s naming the label
 * with nothing written; a 1 master + 1 worker cluster with `prometheus_monitoring=true` runs the Prometheus built from
 * its Go module (preloaded in the node image), which answers `up` through the apiserver's service proxy with value 1
 * for the apiserver, both kubelets and both cAdvisors. Skipped, saying so, only when the node image is not built.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeApi } from '../../../src/drivers/kubernetes/kube-api.ts';
import { PROMETHEUS_NAMESPACE } from '../../../src/drivers/kubernetes/prometheus.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import type { Store } from '../../../src/store/store.ts';
import { eventually, openStateStore, removeLeftovers, waitStatus } from '../../helpers/lifecycle.ts';
import { cli, getJson, startServe, waitCluster, type ServeProcess } from '../../helpers/service-process.ts';
import { KUBE_TAG, kubeFrom, kubeImageSkip, NODE_IMAGE, post } from '../../helpers/kube.ts';

const NAME = 'mon';
const host = new Engine({ socketPath: '/var/run/docker.sock' });
const SKIP = await kubeImageSkip(host);
const HEADERS = { 'Content-Type': 'application/json', 'OpenStack-API-Version': 'container-infra latest' };
const PROXY = `/api/v1/namespaces/${PROMETHEUS_NAMESPACE}/services/prometheus:9090/proxy`;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** POSTs and expects a 400 whose Magnum error body's detail matches. */
async function refused(url: string, path: string, body: unknown, detail: RegExp): Promise<string> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
  const json = (await res.json()) as { errors?: { status: number; code: string; detail: string }[] };
  assert.equal(res.status, 400, JSON.stringify(json));
  assert.equal(json.errors?.[0]?.status, 400);
  assert.match(json.errors?.[0]?.detail ?? '', detail);
  return json.errors?.[0]?.detail ?? '';
}

describe('monitoring labels: Prometheus in a Kubernetes cluster', { skip: SKIP, timeout: 1_200_000 }, () => {
  let dir: string;
  let svc: ServeProcess;
  let store: Store;
  let uuid: string;
  let kube: KubeApi;
  const timings: Record<string, number> = {};
  const template = {
    coe: 'kubernetes',
    image_id: NODE_IMAGE,
    server_type: 'container',
    labels: { kube_tag: KUBE_TAG },
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-kube-mon-'));
    svc = await startServe(join(dir, 'state'), { env: { MAGNETAR_SYNC_SECONDS: '2' } });
    store = await openStateStore(join(dir, 'state'));
  });

  after(async () => {
    kube?.close();
    await svc?.stop();
    if (uuid) await removeLeftovers(host, uuid);
    await store?.close();
    host.close();
    await rm(dir, { recursive: true, force: true });
    if (Object.keys(timings).length) console.log(`[kubernetes-monitoring] timings (s): ${JSON.stringify(timings)}`);
  });

  it('refuses bad monitoring labels and Grafana at template and cluster create, writing nothing', async () => {
    const withLabels = (l: Record<string, string>, name: string): Record<string, unknown> => ({
      ...template,
      name,
      labels: { ...template.labels, ...l },
    });
    const cases: [Record<string, string>, RegExp][] = [
      [{ prometheus_monitoring: 'sure' }, /^Label prometheus_monitoring=sure is not valid: must be true or false/],
      [{ monitoring_enabled: '1x' }, /^Label monitoring_enabled=1x is not valid: must be true or false/],
      [
        { prometheus_monitoring: 'true', grafana_admin_passwd: 'hunter2' },
        /^Label grafana_admin_passwd=\*\*\* is not valid: Grafana is not available in Magnetar/,
      ],
      [{ monitoring_enabled: 'true', grafana_tag: '10.4.1' }, /^Label grafana_tag=10\.4\.1 is not valid: Grafana/],
      [
        { influx_grafana_dashboard_enabled: 'true' },
        /^Label influx_grafana_dashboard_enabled=true is not valid: Grafana is not available/,
      ],
    ];
    for (const [i, [labels, detail]] of cases.entries()) {
      const said = await refused(svc.url, '/v1/clustertemplates', withLabels(labels, `bad-${i}`), detail);
      assert.ok(!said.includes('hunter2'), 'the Grafana password is not echoed');
    }
    const templates = (await getJson(`${svc.url}/v1/clustertemplates`)).body.clustertemplates as unknown[];
    assert.equal(templates.length, 0, 'no template was written');

    await post(svc.url, '/v1/clustertemplates', withLabels({ prometheus_monitoring: 'true' }, 'k8s-mon'));
    await refused(
      svc.url,
      '/v1/clusters',
      { name: 'bad', cluster_template_id: 'k8s-mon', labels: { grafana_admin_passwd: 'x' }, merge_labels: true },
      /^Label grafana_admin_passwd=\*\*\* is not valid: Grafana is not available/,
    );
    await refused(
      svc.url,
      '/v1/clusters',
      { name: 'bad', cluster_template_id: 'k8s-mon', labels: { prometheus_monitoring: 'maybe' }, merge_labels: true },
      /^Label prometheus_monitoring=maybe is not valid: must be true or false/,
    );
    const clusters = (await getJson(`${svc.url}/v1/clusters`)).body.clusters as unknown[];
    assert.equal(clusters.length, 0, 'no cluster was written');
  });

  it('creates 1 master + 1 worker with prometheus_monitoring=true', async () => {
    const t0 = Date.now();
    uuid = (
      await post(svc.url, '/v1/clusters', {
        name: NAME,
        cluster_template_id: 'k8s-mon',
        node_count: 1,
        labels: { metrics_server_enabled: 'false' },
        merge_labels: true,
      })
    ).uuid as string;
    const status = await waitStatus(store, uuid, (s) => s !== 'CREATE_IN_PROGRESS', 900_000);
    timings.create = (Date.now() - t0) / 1000;
    const detail = (await getJson(`${svc.url}/v1/clusters/${uuid}`)).body;
    assert.equal(status, 'CREATE_COMPLETE', String(detail.status_reason));
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
    kube = await kubeFrom(join(dir, 'certs', 'config'));
    assert.equal((await kube.listNodes()).length, 2);
  });

  it('Prometheus (our 3.16.0 build) answers `up` = 1 for the apiserver, both kubelets and both cAdvisors', async () => {
    const t0 = Date.now();
    await eventually(
      'the Prometheus pod Ready',
      async () => {
        type Pod = { status?: { conditions?: { type: string; status: string }[] } };
        const pods = await kube.get<{ items: Pod[] }>(`/api/v1/namespaces/${PROMETHEUS_NAMESPACE}/pods`);
        const ready = pods.items[0]?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        if (!ready) throw new Error(`pods: ${JSON.stringify(pods.items.map((x) => x.status))}`);
        return true;
      },
      300_000,
      2_000,
    );
    timings.prometheusReady = (Date.now() - t0) / 1000;

    const build = await kube.get<{ status: string; data: { version: string } }>(`${PROXY}/api/v1/status/buildinfo`);
    assert.equal(build.data.version, '3.16.0');

    const nodes = (await kube.listNodes()).map((n) => n.metadata.name).sort();
    const expected = [
      'kubernetes-apiservers',
      ...nodes.map((n) => `kubernetes-cadvisor/${n}`),
      ...nodes.map((n) => `kubernetes-nodes/${n}`),
    ];
    let last: Sample[] = [];
    const up = await eventually(
      'up = 1 over every target',
      async () => {
        const r = await kube.get<{ status: string; data: { result: Sample[] } }>(
          `${PROXY}/api/v1/query?query=${encodeURIComponent('up')}`,
        );
        assert.equal(r.status, 'success');
        last = r.data.result;
        const seen = last
          .map((s) =>
            s.metric.job === 'kubernetes-apiservers' ? s.metric.job : `${s.metric.job}/${s.metric.instance}`,
          )
          .sort();
        if (JSON.stringify(seen) !== JSON.stringify(expected) || last.some((s) => s.value[1] !== '1'))
          throw new Error(`up: ${JSON.stringify(last.map((s) => [s.metric.job, s.metric.instance, s.value[1]]))}`);
        return last;
      },
      240_000,
      3_000,
    );
    timings.allTargetsUp = (Date.now() - t0) / 1000;
    assert.equal(up.length, 1 + 2 * nodes.length);
    for (const s of up) assert.equal(s.value[1], '1', JSON.stringify(s.metric));
    console.log(
      `[kubernetes-monitoring] up: ${up.map((s) => `${s.metric.job}/${s.metric.instance}=${s.value[1]}`).join(' ')}`,
    );

    // The targets' data is real: cAdvisor reports container CPU, the kubelet its own metrics.
    const cpu = await kube.get<{ data: { result: Sample[] } }>(
      `${PROXY}/api/v1/query?query=${encodeURIComponent('count(container_cpu_usage_seconds_total) > 0')}`,
    );
    assert.ok(Number(cpu.data.result[0]?.value[1] ?? 0) > 0, JSON.stringify(cpu.data));
    const apiserver = await kube.get<{ data: { result: Sample[] } }>(
      `${PROXY}/api/v1/query?query=${encodeURIComponent('sum(apiserver_request_total) > 0')}`,
    );
    assert.ok(Number(apiserver.data.result[0]?.value[1] ?? 0) > 0, JSON.stringify(apiserver.data));
  });

  it('deletes the cluster and leaves nothing labelled with it', async () => {
    const res = await fetch(`${svc.url}/v1/clusters/${uuid}`, { method: 'DELETE', headers: HEADERS });
    assert.equal(res.status, 204);
    await waitCluster(svc.url, uuid, (_s, code) => code === 404, 300_000);
    const f = [`${CLUSTER_LABEL}=${uuid}`];
    const [c, v, n] = await Promise.all([host.listContainers(f), host.listVolumes(f), host.listNetworks(f)]);
    assert.deepEqual([c.length, v.length, n.length], [0, 0, 0]);
  });
});
