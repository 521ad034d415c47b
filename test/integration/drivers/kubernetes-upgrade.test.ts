/**
 * @module test/integration/drivers/kubernetes-upgrade — rolling upgrade of a real Kubernetes cluster (one `magnetar
 * serve` child process, real Docker, the v1.36.3 and v1.37.2 node images): a 1 master + 2 worker cluster on v1.36.3
 * with a Deployment of 3 busybox httpd replicas behind a PodDisruptionBudget and a Service of type LoadBalancer
 * (`test/helpers/service-probe.ts`) is upgraded through `openstack coe cluster upgrade` (POST
 * /v1/clusters/{id}/actions/upgrade) to a v1.37.2 template while a probe loop from the host GETs the Service's
 * EXTERNAL-IP every 100 ms, counting failed requests (0 expected). The service is killed with SIGKILL in
 * the middle of the workers' upgrade and started again: the upgrade resumes and completes. Afterwards every node
 * reports v1.37.2, the same three machines exist, etcd kept its data (an object written before is still there),
 * `coe_version`, the template and the `kube_tag` labels followed, and a downgrade is refused with a 400 (the skipped
 * minor and the other refusals: test/integration/api/kubernetes-upgrade.test.ts). Skipped, saying so, when either
 * node image is not built.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubeNodeImage } from '../../../src/core/kube-versions.ts';
import type { KubeApi } from '../../../src/drivers/kubernetes/kube-api.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import type { Store } from '../../../src/store/store.ts';
import { kubeFrom, post } from '../../helpers/kube.ts';
import {
  eventually,
  nodeContainers,
  nodeHostnames,
  openStateStore,
  removeLeftovers,
  waitStatus,
} from '../../helpers/lifecycle.ts';
import { openstack } from '../../helpers/real-clients.ts';
import { cli, getJson, startServe, type ServeProcess } from '../../helpers/service-process.ts';
import { deployWeb, probeSummary, probeUrl, type Probe, type WebService } from '../../helpers/service-probe.ts';

const FROM = 'v1.36.3';
const TO = 'v1.37.2';
const NAME = 'ku';
const h = (s: string): string => `${NAME}-${s}`;
const ENV = { MAGNETAR_LEASE_SECONDS: '5', MAGNETAR_SYNC_SECONDS: '5' };
const host = new Engine({ socketPath: '/var/run/docker.sock' });
const missing: string[] = [];
for (const tag of [FROM, TO]) if ((await host.inspectImage(kubeNodeImage(tag))) === null) missing.push(tag);
const SKIP =
  missing.length > 0
    ? `the Kubernetes node image(s) ${missing.map(kubeNodeImage).join(', ')} are not built ` +
      `(magnetar image build --coe kubernetes --kube-tag <tag>)`
    : false;

type PodList = { items: { metadata: { name: string }; spec: { nodeName?: string }; status: { phase?: string } }[] };

void describe('Kubernetes rolling upgrade v1.36.3 → v1.37.2', { skip: SKIP, timeout: 2_400_000 }, () => {
  let dir: string;
  let state: string;
  let svc: ServeProcess;
  let store: Store;
  let uuid: string;
  let kube: KubeApi;
  let probe: Probe | undefined;
  let web: WebService;

  const request = async (path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${svc.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'OpenStack-API-Version': 'container-infra latest' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const timeline = async (): Promise<string[]> =>
    (await store.events.list(uuid)).map((e) => `${e.phase}: ${e.message}`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-ku-'));
    state = join(dir, 'state');
    svc = await startServe(state, { env: ENV });
    store = await openStateStore(state);
    for (const tag of [FROM, TO]) {
      await post(svc.url, '/v1/clustertemplates', {
        name: `k8s-${tag}`,
        coe: 'kubernetes',
        image_id: kubeNodeImage(tag),
        server_type: 'container',
        labels: { kube_tag: tag, metrics_server_enabled: 'false', auto_healing_enabled: 'false' },
      });
    }
    uuid = (await post(svc.url, '/v1/clusters', { name: NAME, cluster_template_id: `k8s-${FROM}`, node_count: 2 }))
      .uuid as string;
  });

  after(async () => {
    await probe?.stop();
    kube?.close();
    await svc?.stop();
    if (uuid) await removeLeftovers(host, uuid);
    await store?.close();
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(`creates a 1 + 2 cluster on ${FROM} serving a Deployment of 3 replicas behind a PDB and a LoadBalancer Service`, async () => {
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'CREATE_IN_PROGRESS', 900_000), 'CREATE_COMPLETE');
    assert.equal((await store.clusters.get(uuid))?.coe_version, FROM);
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
    kube = await kubeFrom(join(dir, 'certs', 'config'));

    await kube.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'before-upgrade', namespace: 'default' },
      data: { kube: FROM },
    } as never);
    web = await deployWeb(kube, { replicas: 3, minAvailable: 2 });
    process.stdout.write(
      `# Service web: EXTERNAL-IP ${web.externalIp} after ${web.addressSeconds.toFixed(1)} s, every replica ` +
        `answering through it after ${web.servingSeconds.toFixed(1)} s\n`,
    );
  });

  it(`upgrades to ${TO} with max_batch_size 1, control plane first, surviving kill -9, with no failed request`, async () => {
    probe = probeUrl(web.url);
    await new Promise((r) => setTimeout(r, 5_000));

    const t0 = Date.now();
    // The real client: python-openstackclient's `coe cluster upgrade` (POST …/actions/upgrade).
    const r = await openstack(svc.url, ['coe', 'cluster', 'upgrade', NAME, `k8s-${TO}`, '--max-batch-size', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Request to upgrade cluster ${NAME} has been accepted\\.`));

    // Kill the service once the first worker is drained (its machine is about to be made again), then start it again.
    await eventually(
      'the first worker drained',
      async () =>
        (await timeline()).some((e) => e.startsWith(`upgrade: node ${h('node-0')} drained`)) ? true : undefined,
      900_000,
      100,
    );
    await svc.kill9();
    svc = await startServe(state, { port: svc.port, env: ENV });

    const status = await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS', 1_500_000);
    const seconds = (Date.now() - t0) / 1000;
    const result = await probe.stop();
    probe = undefined;
    const events = await timeline();
    const c = await store.clusters.get(uuid);
    assert.equal(status, 'UPDATE_COMPLETE', `${c?.status_reason}\n${events.slice(-30).join('\n')}`);
    process.stdout.write(
      `# upgrade ${FROM} → ${TO} of 1 + 2 nodes: ${seconds.toFixed(0)} s (with a kill -9 and restart); through ` +
        `the LoadBalancer Service ${web.url}: ${probeSummary(result)}; answered by ${JSON.stringify(result.byAnswer)}\n`,
    );
    const timed = (await store.events.list(uuid)).map((e) => `${e.at.slice(11, 23)} ${e.phase}: ${e.message}`);
    const accepted = timed.findIndex((e) => e.includes(' accepted: upgrade accepted'));
    const upgradeEvents = [
      ...timed.slice(Math.max(0, accepted)),
      ...result.failures.map((f) => `${f.at.slice(11, 23)} probe: failed: ${f.error}`),
    ].sort();
    process.stdout.write(`# timeline of the upgrade:\n${upgradeEvents.map((e) => `#   ${e}`).join('\n')}\n`);
    assert.equal(result.failed, 0, `${probeSummary(result)}\n${events.join('\n')}`);
    assert.ok(result.requests > 100, `the probe ran throughout (${result.requests} requests)`);

    // The order: the master first, then the workers one at a time (a node whose replacement the kill interrupted may
    // be finished by the resumed run's convergence instead); the resumed attempt is on the timeline.
    const started: string[] = [];
    for (const e of events) {
      const n = /^upgrade: node (\S+) \(\w+\): .* cordon and drain$/.exec(e)?.[1];
      if (n && !started.includes(n)) started.push(n);
    }
    assert.deepEqual(started, [h('master-0'), h('node-0'), h('node-1')], events.join('\n'));
    assert.ok(
      events.some((e) => /resuming/.test(e)),
      `the timeline shows the resumed attempt:\n${events.join('\n')}`,
    );
  });

  it(`every node reports ${TO}; same machines, etcd data kept; coe_version, template and kube_tag followed`, async () => {
    const nodes = await kube.listNodes();
    assert.deepEqual(
      nodes.map((n) => [n.metadata.name, n.status?.nodeInfo?.kubeletVersion, !n.spec?.unschedulable]).sort(),
      [
        [h('master-0'), TO, true],
        [h('node-0'), TO, true],
        [h('node-1'), TO, true],
      ],
    );
    assert.deepEqual(await nodeHostnames(host, uuid), [h('master-0'), h('node-0'), h('node-1')]);
    assert.deepEqual(
      [
        ...new Set(
          (await nodeContainers(host, uuid))
            .filter((x) => x.Labels['magnetar.role'])
            .map((x) => x.Labels['magnetar.image'] ?? x.Image),
        ),
      ],
      [kubeNodeImage(TO)],
    );
    const cm = await kube.get<{ data: Record<string, string> }>('/api/v1/namespaces/default/configmaps/before-upgrade');
    assert.deepEqual(cm.data, { kube: FROM }, 'etcd kept the data written before the upgrade');
    const c = await store.clusters.get(uuid);
    const to = await getJson(`${svc.url}/v1/clustertemplates/k8s-${TO}`);
    assert.equal(c?.coe_version, TO);
    assert.equal(c?.cluster_template_id, to.body.uuid);
    assert.equal(c?.labels.kube_tag, TO);
    for (const g of await store.clusters.nodegroups([uuid])) assert.equal(g.labels.kube_tag, TO, g.name);
    const pods = (await kube.get<PodList>('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items;
    assert.equal(pods.filter((p) => p.status.phase === 'Running').length, 3);
  });

  it(`refuses the downgrade back to ${FROM} with a 400 naming kube_tag; nothing changes`, async () => {
    const before = await store.clusters.get(uuid);
    const r = await request(`/v1/clusters/${uuid}/actions/upgrade`, { cluster_template: `k8s-${FROM}` });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    const detail = String((r.body.errors as { detail: string }[])[0]?.detail);
    assert.match(detail, /^Received invalid tag for kube_tag\. v1\.36\.3 is older than v1\.37\.2/);
    const after = await store.clusters.get(uuid);
    assert.deepEqual(
      [after?.status, after?.cluster_template_id, after?.labels.kube_tag],
      [before?.status, before?.cluster_template_id, before?.labels.kube_tag],
    );
  });
});
