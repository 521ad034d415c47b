/**
 * @module test/integration/drivers/kubernetes-cluster — a real Kubernetes cluster through Magnetar's API (one
 * `magnetar serve` child process, real Docker, the built node image `magnetar/k8s-node:v1.37.2`): 1 master + 2 workers
 * Ready; the kubeconfig of `magnetar cluster-config` (an admin certificate signed through ca-sign) reaches the
 * apiserver; a Deployment of 2 busybox httpd replicas, one per worker, answers through its ClusterIP Service and by its
 * DNS name from another pod; metrics-server serves node metrics; health is HEALTHY; `kubectl expose … --type=LoadBalancer`
 * gets an EXTERNAL-IP within seconds which `curl` from the host follows to both replicas, port and source-range changes
 * are followed, deleting the Service frees its address, a node group with role gateway becomes the only member (the
 * traffic still reaches both replicas); delete leaves nothing labelled (load balancers included).
 * Skipped, saying so, only when the node image is not built (`magnetar image build --coe kubernetes`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { KubeApi } from '../../../src/drivers/kubernetes/kube-api.ts';
import { type KubeNode } from '../../../src/drivers/kubernetes/kube-api.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import type { ContainerSummary } from '../../../src/docker-api/engine-types.ts';
import { KIND_LABEL, LB_KIND, LB_VIP_LABEL } from '../../../src/providers/docker/load-balancers.ts';
import { DockerProvider } from '../../../src/providers/docker/provider.ts';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import type { Store } from '../../../src/store/store.ts';
import { eventually, openStateStore, removeLeftovers, waitStatus } from '../../helpers/lifecycle.ts';
import { openstack } from '../../helpers/real-clients.ts';
import { cli, getJson, startServe, waitCluster, type ServeProcess } from '../../helpers/service-process.ts';
import { BUSYBOX, KUBE_TAG, kubeFrom, kubeImageSkip, magnetarKubectl, NODE_IMAGE, post } from '../../helpers/kube.ts';
import { externalIpOf } from '../../helpers/service-probe.ts';

const NAME = 'kube';
const host = new Engine({ socketPath: '/var/run/docker.sock' });
const SKIP = await kubeImageSkip(host);

const pod = (name: string, command: string, nodeSelector?: Record<string, string>): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: {
    restartPolicy: 'Never',
    ...(nodeSelector ? { nodeSelector } : {}),
    containers: [{ name, image: BUSYBOX, imagePullPolicy: 'Never', command: ['/bin/sh', '-c', command] }],
  },
});

describe('a Kubernetes cluster through the API', { skip: SKIP, timeout: 1_200_000 }, () => {
  let dir: string;
  let svc: ServeProcess;
  let store: Store;
  let uuid: string;
  let kube: KubeApi;
  const timings: Record<string, number> = {};

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-kube-'));
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
    if (Object.keys(timings).length) console.log(`[kubernetes-cluster] timings (s): ${JSON.stringify(timings)}`);
  });

  it('creates 1 master + 2 workers, all Ready, reachable with the kubeconfig of cluster-config', async () => {
    await post(svc.url, '/v1/clustertemplates', {
      name: 'k8s',
      coe: 'kubernetes',
      image_id: NODE_IMAGE,
      server_type: 'container',
      labels: { kube_tag: KUBE_TAG },
    });
    const t0 = Date.now();
    uuid = (await post(svc.url, '/v1/clusters', { name: NAME, cluster_template_id: 'k8s', node_count: 2 }))
      .uuid as string;
    const status = await waitStatus(store, uuid, (s) => s !== 'CREATE_IN_PROGRESS', 900_000);
    timings.create = (Date.now() - t0) / 1000;
    const detail = (await getJson(`${svc.url}/v1/clusters/${uuid}`)).body;
    assert.equal(status, 'CREATE_COMPLETE', `${String(detail.status_reason)}`);
    assert.match(String(detail.api_address), /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((detail.node_addresses as string[]).length, 2);
    assert.equal((detail.master_addresses as string[]).length, 1);

    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
    assert.match(config.stdout, /export KUBECONFIG=/);
    kube = await kubeFrom(join(dir, 'certs', 'config'));
    const nodes = await kube.listNodes();
    const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
    assert.deepEqual([...byName.keys()].sort(), [`${NAME}-master-0`, `${NAME}-node-0`, `${NAME}-node-1`]);
    for (const n of nodes)
      assert.equal(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', n.metadata.name);
    const master = byName.get(`${NAME}-master-0`) as KubeNode;
    assert.equal(detail.coe_version, master.status?.nodeInfo?.kubeletVersion, 'coe_version is the Kubernetes version');
    assert.match(String(detail.coe_version), /^v1\.3[67]\.\d+$/);
    assert.equal(master.metadata.labels?.['node-role.kubernetes.io/control-plane'], '');
    assert.equal(master.metadata.labels?.['magnum.openstack.org/role'], 'master');
    // (node.kubernetes.io/not-ready may still be there for a moment: the node controller lifts it after Ready)
    assert.ok(
      master.spec?.taints?.some((t) => t.key === 'node-role.kubernetes.io/control-plane' && t.effect === 'NoSchedule'),
      JSON.stringify(master.spec?.taints),
    );
    const worker = byName.get(`${NAME}-node-0`) as KubeNode;
    assert.equal(worker.metadata.labels?.['magnum.openstack.org/nodegroup'], 'default-worker');
    assert.equal(worker.metadata.labels?.['node-role.kubernetes.io/worker'], '');
  });

  it('the REAL `openstack coe cluster config` writes a kubeconfig that lists the 3 Ready nodes', async () => {
    const out = join(dir, 'osc');
    await mkdir(out);
    const r = await openstack(svc.url, ['coe', 'cluster', 'config', NAME, '--dir', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /export KUBECONFIG=.*osc\/config/);
    const viaClient = await kubeFrom(join(out, 'config'));
    try {
      const nodes = await viaClient.listNodes();
      assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), [
        `${NAME}-master-0`,
        `${NAME}-node-0`,
        `${NAME}-node-1`,
      ]);
      for (const n of nodes)
        assert.equal(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', n.metadata.name);
    } finally {
      viaClient.close();
    }
  });

  it('serves a Deployment spread over both workers through its ClusterIP Service and its DNS name', async () => {
    const t0 = Date.now();
    const labels = { app: 'web' };
    await kube.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' },
                ],
              },
            },
            containers: [
              {
                name: 'httpd',
                image: BUSYBOX,
                imagePullPolicy: 'Never',
                command: [
                  '/bin/sh',
                  '-c',
                  'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www',
                ],
                ports: [{ containerPort: 8080 }],
                readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    });
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    });
    type PodList = { items: { metadata: { name: string }; spec: { nodeName?: string }; status: { podIP?: string } }[] };
    const backends = await eventually(
      'both web replicas ready',
      async () => {
        const d = await kube.get<{ status?: { readyReplicas?: number } }>(
          '/apis/apps/v1/namespaces/default/deployments/web',
        );
        if ((d.status?.readyReplicas ?? 0) < 2) return undefined;
        return (await kube.get<PodList>('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items;
      },
      120_000,
      500,
    );
    assert.deepEqual(
      backends.map((p) => p.spec.nodeName).sort(),
      [`${NAME}-node-0`, `${NAME}-node-1`],
      'one replica on each worker',
    );
    // Ready replicas reach the Service's endpoints (and from there every kube-proxy) a moment later: wait for both.
    type Slices = { items: { endpoints?: { conditions?: { ready?: boolean }; targetRef?: { name?: string } }[] }[] };
    await eventually(
      'both web replicas ready endpoints of the Service',
      async () => {
        const slices = await kube.get<Slices>(
          '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb',
        );
        const ready = slices.items.flatMap((sl) =>
          (sl.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.targetRef?.name ?? ''),
        );
        return backends.every((b) => ready.includes(b.metadata.name)) ? true : undefined;
      },
      60_000,
      250,
    );
    await new Promise((r) => setTimeout(r, 2_000)); // kube-proxy's sync of the new endpoints on both workers
    const svcIp = (await kube.get<{ spec: { clusterIP: string } }>('/api/v1/namespaces/default/services/web')).spec
      .clusterIP;

    // From another pod: 12 requests by ClusterIP, 12 by the Service's DNS name, and the name resolved.
    const script = [
      `for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "ip $(timeout 5 wget -q -O - http://${svcIp}/)"; done`,
      'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "dns $(timeout 5 wget -q -O - http://web.default.svc.cluster.local/)"; done',
      'echo "short $(timeout 5 wget -q -O - http://web/)"',
      'nslookup web.default.svc.cluster.local 2>&1 | sed "s/^/lookup /"',
    ].join('; ');
    await kube.request('POST', '/api/v1/namespaces/default/pods', { body: pod('client', script) });
    await eventually(
      'the client pod finished',
      async () => {
        const p = await kube.get<{ status: { phase: string } }>('/api/v1/namespaces/default/pods/client');
        return p.status.phase === 'Succeeded' || p.status.phase === 'Failed' ? p.status.phase : undefined;
      },
      120_000,
      500,
    );
    const log = String((await kube.request('GET', '/api/v1/namespaces/default/pods/client/log')).body);
    const seen = (kind: string): Set<string> =>
      new Set(
        log
          .split('\n')
          .filter((l) => l.startsWith(`${kind} `))
          .map((l) => l.slice(kind.length + 1).trim())
          .filter((l) => l !== ''),
      );
    const names = backends.map((p) => p.metadata.name).sort();
    assert.deepEqual([...seen('ip')].sort(), names, `ClusterIP ${svcIp} reached both replicas:\n${log}`);
    assert.deepEqual([...seen('dns')].sort(), names, `the DNS name reached both replicas:\n${log}`);
    assert.equal(seen('short').size, 1, `the search list resolves the short name:\n${log}`);
    assert.match(log, new RegExp(`lookup Address:? .*${svcIp.replaceAll('.', '\\.')}`), log);
    timings.workload = (Date.now() - t0) / 1000;
  });

  it('serves node metrics (kubectl top nodes) and reports the cluster HEALTHY', async () => {
    const t0 = Date.now();
    const metrics = await eventually(
      'metrics-server serves node metrics',
      async () => {
        const r = await kube.get<{ items: { metadata: { name: string }; usage: { cpu: string; memory: string } }[] }>(
          '/apis/metrics.k8s.io/v1beta1/nodes',
        );
        return r.items.length === 3 ? r.items : undefined;
      },
      180_000,
      2_000,
    );
    for (const m of metrics) assert.match(m.usage.memory, /^\d+(Ki|Mi)$/, m.metadata.name);
    timings.metrics = (Date.now() - t0) / 1000;
    const health = await eventually(
      'health HEALTHY',
      async () => {
        const c = (await getJson(`${svc.url}/v1/clusters/${uuid}`)).body;
        return c.health_status === 'HEALTHY' ? c : undefined;
      },
      60_000,
      500,
    );
    assert.deepEqual(health.health_status_reason, {
      api: 'ok',
      [`${NAME}-master-0.Ready`]: 'True',
      [`${NAME}-node-0.Ready`]: 'True',
      [`${NAME}-node-1.Ready`]: 'True',
    });
  });

  // Services of type LoadBalancer (issue 10): the conductor's lb-sync gives each a load balancer on the cluster network.
  const kubectl = (...args: string[]): ReturnType<typeof magnetarKubectl> =>
    magnetarKubectl(svc.url, join(dir, 'certs', 'config'), args);
  /** `curl` from the host: the body, or null when the connection fails (refused, reset, timeout). */
  const curl = async (url: string): Promise<string | null> => {
    try {
      return (await promisify(execFile)('curl', ['-sS', '-m', '3', url], { timeout: 10_000 })).stdout.trim();
    } catch {
      return null;
    }
  };
  const lbContainers = (): Promise<ContainerSummary[]> =>
    host.listContainers([`${CLUSTER_LABEL}=${uuid}`, `${KIND_LABEL}=${LB_KIND}`]);
  /** The Service's published address, read straight from the apiserver ('' while none). */
  const externalIp = (name: string): Promise<string> => externalIpOf(kube, 'default', name);
  let vip = '';
  let replicas: string[] = [];

  it('kubectl expose --type=LoadBalancer: EXTERNAL-IP within seconds; curl from the host reaches both replicas', async () => {
    type PodList = { items: { metadata: { name: string } }[] };
    replicas = (await kube.get<PodList>('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items
      .map((p) => p.metadata.name)
      .sort();
    const exposed = await kubectl(
      'expose',
      'deployment',
      'web',
      '--type=LoadBalancer',
      '--port',
      '80',
      '--target-port',
      '8080',
      '--name',
      'web-lb',
    );
    assert.equal(exposed.code, 0, exposed.stderr);
    const t0 = Date.now(); // the Service exists: from here the conductor's sync gives it an address
    vip = await eventually('EXTERNAL-IP of web-lb', async () => (await externalIp('web-lb')) || undefined, 60_000, 200);
    timings.lbAddress = (Date.now() - t0) / 1000;
    const net = (await host.listNetworks([`${CLUSTER_LABEL}=${uuid}`]))[0]?.IPAM?.Config?.[0]?.Subnet ?? '';
    assert.equal(vip, net.replace(/\.0\/24$/, '.201'), `the first Service VIP of ${net}`);
    const table = await kubectl('get', 'svc', 'web-lb', '--no-headers');
    assert.match(
      table.stdout,
      new RegExp(`^web-lb +LoadBalancer +\\S+ +${vip.replaceAll('.', '\\.')} +80:\\d+/TCP`),
      table.stdout,
    );
    const lbs = await lbContainers();
    assert.equal(lbs.length, 1);
    assert.equal(lbs[0]?.Labels[LB_VIP_LABEL], vip);
    assert.equal(lbs[0]?.Labels['magnetar.service'], 'default/web-lb');

    const seen = new Set<string>();
    const bodies = await eventually(
      'curl through the load balancer reaches both replicas',
      async () => {
        for (let i = 0; i < 8; i++) {
          const body = await curl(`http://${vip}/`);
          if (body) seen.add(body);
        }
        return seen.size >= 2 ? [...seen].sort() : undefined;
      },
      60_000,
      200,
    );
    timings.lbServing = (Date.now() - t0) / 1000;
    assert.deepEqual(bodies, replicas, 'both replicas (one per worker) answered through the VIP');
  });

  it('follows port changes and loadBalancerSourceRanges', async () => {
    const patch = async (spec: unknown): Promise<void> => {
      const r = await kubectl('patch', 'svc', 'web-lb', '--type=merge', '-p', JSON.stringify({ spec }));
      assert.equal(r.code, 0, r.stderr);
    };
    await patch({ ports: [{ port: 8081, targetPort: 8080 }] });
    await eventually(
      'port 8081 answers and 80 is closed',
      async () =>
        (await curl(`http://${vip}:8081/`)) && (await curl(`http://${vip}:80/`)) === null ? true : undefined,
      60_000,
      300,
    );
    const gateway = (await host.listNetworks([`${CLUSTER_LABEL}=${uuid}`]))[0]?.IPAM?.Config?.[0]?.Gateway ?? '';
    await patch({ loadBalancerSourceRanges: ['192.0.2.0/24'] });
    await eventually(
      'the host is refused outside the source ranges',
      async () => ((await curl(`http://${vip}:8081/`)) === null ? true : undefined),
      60_000,
      300,
    );
    await patch({ loadBalancerSourceRanges: [`${gateway}/32`] });
    const body = await eventually(
      'the host is let in by its own address',
      async () => (await curl(`http://${vip}:8081/`)) ?? undefined,
      60_000,
      300,
    );
    assert.ok(replicas.includes(body), body);
  });

  it('deleting the Service frees its address: the load balancer goes, the next Service gets the VIP again', async () => {
    const del = await kubectl('delete', 'svc', 'web-lb');
    assert.equal(del.code, 0, del.stderr);
    await eventually(
      'the load balancer container is gone',
      async () => ((await lbContainers()).length === 0 ? true : undefined),
      60_000,
      300,
    );
    assert.equal(await curl(`http://${vip}:8081/`), null);
    const events = (await getJson(`${svc.url}/v1/clusters/${uuid}/events`)).body;
    const messages = JSON.stringify(events);
    assert.match(messages, /created load balancer for service default\/web-lb/);
    assert.match(messages, /removed load balancer [\d.]+ of service default\/web-lb/);
    // A second one, left for the cluster delete to take away.
    const exposed = await kubectl(
      'expose',
      'deployment',
      'web',
      '--type=LoadBalancer',
      '--port',
      '80',
      '--target-port',
      '8080',
      '--name',
      'web-lb2',
    );
    assert.equal(exposed.code, 0, exposed.stderr);
    assert.equal(
      await eventually('EXTERNAL-IP of web-lb2', async () => (await externalIp('web-lb2')) || undefined, 60_000, 200),
      vip,
    );
    assert.ok(
      replicas.includes(
        await eventually('web-lb2 answers', async () => (await curl(`http://${vip}/`)) ?? undefined, 60_000, 300),
      ),
    );
  });

  it('a node group with role gateway takes the external traffic: the load balancer sends to it only', async () => {
    const t0 = Date.now();
    const ng = await cli(
      svc.url,
      ['nodegroup-create', NAME, 'edge', '--role', 'gateway', '--node-count', '1', '--wait'],
      600_000,
    );
    assert.equal(ng.code, 0, `${ng.stdout}\n${ng.stderr}`);
    timings.gatewayGroup = (Date.now() - t0) / 1000;
    const gateway = `${NAME}-node-2`;
    const node = (await kube.listNodes()).find((n) => n.metadata.name === gateway);
    assert.equal(node?.metadata.labels?.['magnum.openstack.org/role'], 'gateway');
    const lbs = new DockerProvider(host);
    const members = await eventually(
      'the load balancer of web-lb2 sends to the gateway node only',
      async () => {
        const lb = (await lbs.listLoadBalancers(uuid)).find((l) => l.labels['magnetar.service'] === 'default/web-lb2');
        const names = lb?.listeners[0]?.members.map((m) => m.name) ?? [];
        return names.length === 1 && names[0] === gateway ? names : undefined;
      },
      60_000,
      500,
    );
    assert.deepEqual(members, [gateway]);
    const seen = new Set<string>();
    const bodies = await eventually(
      'both replicas (on the workers) reached through the gateway node',
      async () => {
        for (let i = 0; i < 8; i++) {
          const body = await curl(`http://${vip}/`);
          if (body) seen.add(body);
        }
        return seen.size >= 2 ? [...seen].sort() : undefined;
      },
      60_000,
      200,
    );
    assert.deepEqual(bodies, replicas);
  });

  it('deletes the cluster and leaves nothing labelled with it (its load balancers too)', async () => {
    assert.equal((await lbContainers()).length, 1, 'a load balancer is there before the delete');
    const t0 = Date.now();
    const res = await fetch(`${svc.url}/v1/clusters/${uuid}`, {
      method: 'DELETE',
      headers: { 'OpenStack-API-Version': 'container-infra latest' },
    });
    assert.equal(res.status, 204);
    await waitCluster(svc.url, uuid, (_s, code) => code === 404, 300_000);
    timings.delete = (Date.now() - t0) / 1000;
    const f = [`${CLUSTER_LABEL}=${uuid}`];
    const [c, v, n] = await Promise.all([host.listContainers(f), host.listVolumes(f), host.listNetworks(f)]);
    assert.deepEqual([c.length, v.length, n.length], [0, 0, 0], 'no node, load balancer, volume or network is left');
  });
});
