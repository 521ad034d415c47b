/**
 * @module test/integration/drivers/kubernetes-ha-day-two — the day-two operations on a highly available control plane
 * (one `magnetar serve` child process, real Docker, the v1.36.3 and v1.37.2 node images and the load-balancer image):
 * a 3 master + 2 worker cluster with `master_lb_enabled` on v1.36.3 serving a Deployment of 3 busybox httpd replicas
 * behind a PodDisruptionBudget and a Service of type LoadBalancer (`test/helpers/service-probe.ts`) is
 *  1. upgraded to v1.37.2 (masters one at a time on their etcd volumes, then the workers), while the Service's
 *     EXTERNAL-IP and the API through `api_address` are probed from the host: 0 failed requests to the Service (the
 *     API probe is printed, not asserted: 0 of 489 and 2 of 506 failed in two runs, an HTTP 500 from /readyz and a
 *     TLS reset while a master went); every node reports v1.37.2 afterwards, the same five machines exist and etcd
 *     kept its data and its 3 members;
 *  2. rotated to a new CA (`PATCH /v1/certificates/{cluster}`), every master trusting the new CA before any apiserver
 *     serves with it, the Service at 0 failed requests; afterwards the old client certificate is refused with 401 and
 *     a new `cluster-config` works through `api_address`. The API probe through `api_address` is printed, not
 *     asserted, for the rotation: each master's etcd and apiserver restart in place, and the load balancer's health
 *     check (every 2 s, 2 failures) takes a master out only after its /readyz has failed, so some API requests fail
 *     around each restart (measured: 26 of 925). Draining a master from the API load balancer before its restart
 *     is the mend for both, not done yet (docs/compatibility.md).
 * Skipped, saying so, only when an image is not built.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubeNodeImage } from '../../../src/core/kube-versions.ts';
import { KubeApi, KubeApiError, nodeReady } from '../../../src/drivers/kubernetes/kube-api.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { LB_IMAGE } from '../../../src/providers/docker/load-balancers.ts';
import type { Store } from '../../../src/store/store.ts';
import { kubeconfigIdentity, kubeFrom, post } from '../../helpers/kube.ts';
import { nodeHostnames, openStateStore, removeLeftovers, waitStatus } from '../../helpers/lifecycle.ts';
import { cli, startServe, type ServeProcess } from '../../helpers/service-process.ts';
import {
  deployWeb,
  probeSummary,
  probeUrl,
  startProbe,
  type Probe,
  type ProbeResult,
  type WebService,
} from '../../helpers/service-probe.ts';

const FROM = 'v1.36.3';
const TO = 'v1.37.2';
const NAME = 'hd';
const h = (s: string): string => `${NAME}-${s}`;
const NODES = [h('master-0'), h('master-1'), h('master-2'), h('node-0'), h('node-1')];
const ENV = { MAGNETAR_LEASE_SECONDS: '5', MAGNETAR_SYNC_SECONDS: '2' };
const host = new Engine({ socketPath: '/var/run/docker.sock' });
const missing = [];
for (const image of [kubeNodeImage(FROM), kubeNodeImage(TO), LB_IMAGE])
  if ((await host.inspectImage(image)) === null) missing.push(image);
const SKIP = missing.length > 0 ? `not built: ${missing.join(', ')} (magnetar image build --coe kubernetes)` : false;

/**
 * A probe of the API through `api_address`: `GET /readyz` every 250 ms on a fresh TLS connection. The client trusts
 * both CAs, the old one and (once rotation started) the new one, as a client given the new `cluster-config` would.
 */
function probeApi(server: URL, cas: () => string[]): Probe {
  return startProbe(
    () =>
      new Promise<string>((resolve, reject) => {
        const req = https.get(
          {
            host: server.hostname,
            port: Number(server.port),
            path: '/readyz',
            ca: cas(),
            agent: false,
            timeout: 3_000,
          },
          (res) => {
            res.resume();
            res.on('end', () =>
              res.statusCode === 200 ? resolve('ready') : reject(new Error(`HTTP ${res.statusCode}`)),
            );
          },
        );
        req.on('timeout', () => req.destroy(new Error('no answer in 3000 ms')));
        req.on('error', reject);
      }),
    { everyMs: 250 },
  );
}

void describe('day two on a 3-master control plane: upgrade and ca-rotate', { skip: SKIP, timeout: 3_000_000 }, () => {
  let dir: string;
  let svc: ServeProcess;
  let store: Store;
  let uuid: string;
  let kube: KubeApi;
  let web: WebService;
  let api: URL;
  let oldCa = '';
  let newCa = '';

  const timeline = async (phase?: string): Promise<string[]> =>
    (await store.events.list(uuid)).filter((e) => !phase || e.phase === phase).map((e) => `${e.phase}: ${e.message}`);

  /** Runs `act` (which leaves the cluster UPDATE_IN_PROGRESS) under both probes; their results. */
  const probed = async (
    what: string,
    act: () => Promise<void>,
  ): Promise<{ service: ProbeResult; api: ProbeResult; seconds: number }> => {
    const service = probeUrl(web.url);
    const apiProbe = probeApi(api, () => [oldCa, newCa].filter((c) => c !== ''));
    const t0 = Date.now();
    try {
      await act();
      const status = await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS', 1_500_000);
      const c = await store.clusters.get(uuid);
      assert.equal(status, 'UPDATE_COMPLETE', `${c?.status_reason}\n${(await timeline()).slice(-30).join('\n')}`);
    } finally {
      await new Promise((r) => setTimeout(r, 2_000));
    }
    const seconds = (Date.now() - t0) / 1000;
    const result = { service: await service.stop(), api: await apiProbe.stop(), seconds };
    process.stdout.write(
      `# ${what} of 3 masters + 2 workers: ${seconds.toFixed(0)} s; Service ${web.url}: ` +
        `${probeSummary(result.service)}; API ${api.origin}/readyz: ${probeSummary(result.api)}\n`,
    );
    return result;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-hd-'));
    svc = await startServe(join(dir, 'state'), { env: ENV });
    store = await openStateStore(join(dir, 'state'));
    for (const tag of [FROM, TO]) {
      await post(svc.url, '/v1/clustertemplates', {
        name: `k8s-ha-${tag}`,
        coe: 'kubernetes',
        image_id: kubeNodeImage(tag),
        server_type: 'container',
        master_lb_enabled: true,
        labels: { kube_tag: tag, metrics_server_enabled: 'false', auto_healing_enabled: 'false' },
      });
    }
    uuid = (
      await post(svc.url, '/v1/clusters', {
        name: NAME,
        cluster_template_id: `k8s-ha-${FROM}`,
        master_count: 3,
        node_count: 2,
      })
    ).uuid as string;
  });

  after(async () => {
    kube?.close();
    await svc?.stop();
    if (uuid) await removeLeftovers(host, uuid);
    await store?.close();
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(`creates 3 masters + 2 workers on ${FROM} behind the API load balancer, serving a LoadBalancer Service`, async () => {
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'CREATE_IN_PROGRESS', 900_000), 'CREATE_COMPLETE');
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'old')]);
    assert.equal(config.code, 0, config.stderr);
    const id = await kubeconfigIdentity(join(dir, 'old', 'config'));
    api = id.server;
    oldCa = id.caPem;
    const c = await store.clusters.get(uuid);
    assert.equal(api.origin, new URL(c?.api_address ?? '').origin, 'the kubeconfig names api_address');
    kube = await kubeFrom(join(dir, 'old', 'config'));
    await kube.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'before-day-two', namespace: 'default' },
      data: { kube: FROM },
    } as never);
    web = await deployWeb(kube, { replicas: 3, minAvailable: 2 });
  });

  it(`upgrades to ${TO}, masters one at a time, with no failed request to the Service`, async () => {
    const r = await probed(`upgrade ${FROM} → ${TO}`, async () => {
      const res = await fetch(`${svc.url}/v1/clusters/${uuid}/actions/upgrade`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'OpenStack-API-Version': 'container-infra latest' },
        body: JSON.stringify({ cluster_template: `k8s-ha-${TO}`, max_batch_size: 1 }),
      });
      assert.equal(res.status, 202, await res.text());
    });
    const events = await timeline('upgrade');
    const order: string[] = [];
    for (const e of events) {
      const n = /^upgrade: node (\S+) \(\w+\): .* cordon and drain$/.exec(e)?.[1];
      if (n && !order.includes(n)) order.push(n);
    }
    assert.deepEqual(order, NODES, events.join('\n'));
    assert.ok(r.service.requests > 100 && r.api.requests > 50, 'the probes ran throughout');
    assert.equal(r.service.failed, 0, `Service: ${probeSummary(r.service)}\n${events.join('\n')}`);
    // The API through api_address is reported above, not asserted (see the module comment).
    assert.ok(r.api.requests - r.api.failed > 0, 'the API answered during the upgrade');

    const nodes = await kube.listNodes();
    assert.deepEqual(
      nodes.map((n) => [n.metadata.name, n.status?.nodeInfo?.kubeletVersion, nodeReady(n)]).sort(),
      NODES.map((n) => [n, TO, 'True']),
    );
    assert.deepEqual((await nodeHostnames(host, uuid)).sort(), [...NODES].sort());
    const cm = await kube.get<{ data: Record<string, string> }>('/api/v1/namespaces/default/configmaps/before-day-two');
    assert.deepEqual(cm.data, { kube: FROM }, 'etcd kept the data written before the upgrade');
    const ep = await kube.get<{ subsets?: { addresses?: { ip: string }[] }[] }>(
      '/api/v1/namespaces/default/endpoints/kubernetes',
    );
    assert.equal(ep.subsets?.[0]?.addresses?.length, 3, 'three apiservers behind the kubernetes Service');
    assert.equal((await store.clusters.get(uuid))?.coe_version, TO);
  });

  it('rotates the CA with no failed request to the Service; the old client certificate is refused, a new cluster-config works', async () => {
    const r = await probed('ca-rotate', async () => {
      const res = await fetch(`${svc.url}/v1/certificates/${uuid}`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/octet-stream', 'OpenStack-API-Version': 'container-infra latest' },
      });
      assert.equal(res.status, 202, await res.text());
      const shown = await cli(svc.url, ['ca-show', '--cluster', NAME]);
      assert.equal(shown.code, 0, shown.stderr);
      newCa = shown.stdout.trim();
      assert.notEqual(newCa, oldCa.trim());
    });
    const events = await timeline('rotate-ca');
    for (const n of NODES)
      assert.ok(
        events.some((e) => e.startsWith(`rotate-ca: ${n}: trusts only the new CA`)),
        `${n} finished:\n${events.join('\n')}`,
      );
    assert.equal(r.service.failed, 0, `Service: ${probeSummary(r.service)}\n${events.join('\n')}`);
    // The API through api_address is reported above, not asserted (see the module comment).
    assert.ok(r.api.requests - r.api.failed > 0, 'the API answered during the rotation');

    const old = await kubeconfigIdentity(join(dir, 'old', 'config'));
    const withOldCert = new KubeApi({
      host: old.server.hostname,
      port: Number(old.server.port),
      caPem: newCa,
      certPem: old.certPem,
      keyPem: old.keyPem,
    });
    try {
      await assert.rejects(withOldCert.get('/api'), (e: unknown) => e instanceof KubeApiError && e.status === 401);
    } finally {
      withOldCert.close();
    }
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'new')]);
    assert.equal(config.code, 0, config.stderr);
    kube.close();
    kube = await kubeFrom(join(dir, 'new', 'config'));
    const nodes = await kube.listNodes();
    assert.deepEqual(
      nodes.map((n) => `${n.metadata.name} ${nodeReady(n)}`).sort(),
      NODES.map((n) => `${n} True`),
    );
  });
});
