/**
 * @module test/integration/drivers/kubernetes-lifecycle — day two of a real Kubernetes cluster (one `magnetar serve`
 * child process, real Docker, the built node image): kill -9 of the service during the create converging with exactly
 * its nodes; resize 2 → 3 → 1 workers with the node named in nodes_to_remove
 * going first, cordoned and drained through the Eviction API while a PodDisruptionBudget refuses (bounded wait, the
 * refusal on the timeline), its pods rescheduled; a stopped worker reported UNHEALTHY and auto-healing bringing the
 * cluster back to HEALTHY; kill -9 of the service during the delete converging with nothing left. Desired states are
 * written through the store and queued with `store.clusters.startUpdate`, the way the API does. Skipped, saying so,
 * only when the node image is not built.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeApi } from '../../../src/drivers/kubernetes/kube-api.ts';
import { nodeReady } from '../../../src/drivers/kubernetes/kube-api.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import type { Store } from '../../../src/store/store.ts';
import {
  eventually,
  nodeContainers,
  nodeHostnames,
  openStateStore,
  queueUpdate,
  removeLeftovers,
  setNodeCount,
  waitStatus,
} from '../../helpers/lifecycle.ts';
import { cli, startServe, type ServeProcess } from '../../helpers/service-process.ts';
import { BUSYBOX, KUBE_TAG, kubeFrom, kubeImageSkip, NODE_IMAGE, post } from '../../helpers/kube.ts';

const NAME = 'kl';
const h = (s: string): string => `${NAME}-${s}`;
const ENV = { MAGNETAR_LEASE_SECONDS: '5', MAGNETAR_SYNC_SECONDS: '2' };
const host = new Engine({ socketPath: '/var/run/docker.sock' });
const SKIP = await kubeImageSkip(host);

type PodList = { items: { metadata: { name: string }; spec: { nodeName?: string }; status: { phase?: string } }[] };

describe('Kubernetes cluster lifecycle', { skip: SKIP, timeout: 1_800_000 }, () => {
  let dir: string;
  let state: string;
  let svc: ServeProcess;
  let store: Store;
  let uuid: string;
  let kube: KubeApi;

  const eventsAfter = async (id: number): Promise<string[]> =>
    (await store.events.list(uuid, id)).map((e) => `${e.phase}: ${e.message}`);
  const lastEventId = async (): Promise<number> => (await store.events.list(uuid)).at(-1)?.id ?? 0;
  const readyNodes = async (): Promise<string[]> =>
    (await kube.listNodes())
      .filter((n) => nodeReady(n) === 'True')
      .map((n) => n.metadata.name)
      .sort();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-kl-'));
    state = join(dir, 'state');
    svc = await startServe(state, { env: ENV });
    store = await openStateStore(state);
    await post(svc.url, '/v1/clustertemplates', {
      name: 'k8s-life',
      coe: 'kubernetes',
      image_id: NODE_IMAGE,
      server_type: 'container',
      labels: { kube_tag: KUBE_TAG, metrics_server_enabled: 'false' },
    });
    uuid = (
      await post(svc.url, '/v1/clusters', {
        name: NAME,
        cluster_template_id: 'k8s-life',
        node_count: 2,
        labels: { kube_tag: KUBE_TAG, auto_healing_enabled: 'false', metrics_server_enabled: 'false' },
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

  it('converges after kill -9 of the service during the create: exactly its 3 nodes, all Ready', async () => {
    await eventually(
      'the first node container exists',
      async () => ((await nodeContainers(host, uuid)).length > 0 ? true : undefined),
      120_000,
      25,
    );
    await svc.kill9();
    svc = await startServe(state, { port: svc.port, env: ENV });
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'CREATE_IN_PROGRESS', 900_000), 'CREATE_COMPLETE');
    assert.deepEqual(await nodeHostnames(host, uuid), [h('master-0'), h('node-0'), h('node-1')]);
    assert.ok(
      (await store.events.list(uuid)).some((e) => /resuming/.test(e.message)),
      'the timeline shows the resumed attempt',
    );
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
    kube = await kubeFrom(join(dir, 'certs', 'config'));
    assert.deepEqual(await readyNodes(), [h('master-0'), h('node-0'), h('node-1')]);
  });

  it('scales 2 → 3 workers: the new node joins Ready with its node group labels', async () => {
    await queueUpdate(
      store,
      uuid,
      { action: 'resize', nodegroup: 'default-worker' },
      setNodeCount(uuid, 'default-worker', 3),
    );
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS', 600_000), 'UPDATE_COMPLETE');
    assert.deepEqual(await nodeHostnames(host, uuid), [h('master-0'), h('node-0'), h('node-1'), h('node-2')]);
    assert.deepEqual(await readyNodes(), [h('master-0'), h('node-0'), h('node-1'), h('node-2')]);
    const n2 = (await kube.listNodes()).find((n) => n.metadata.name === h('node-2'));
    assert.equal(n2?.metadata.labels?.['magnum.openstack.org/nodegroup'], 'default-worker');
    assert.equal(n2?.metadata.labels?.['node-role.kubernetes.io/worker'], '');
  });

  it('scales 3 → 1 removing the named node first: cordon, drain honouring a PDB (bounded), pods rescheduled', async () => {
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
              nodeAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    preference: {
                      matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [h('node-0')] }],
                    },
                  },
                ],
              },
            },
            containers: [{ name: 'sleep', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
          },
        },
      },
    });
    await eventually(
      'both replicas run, at least one on node-0 (preferred)',
      async () => {
        const pods = (await kube.get<PodList>('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items;
        const running = pods.filter((p) => p.status.phase === 'Running');
        return running.length === 2 && running.some((p) => p.spec.nodeName === h('node-0')) ? true : undefined;
      },
      120_000,
      500,
    );
    await kube.apply({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: 'default' },
      spec: { maxUnavailable: 0, selector: { matchLabels: labels } },
    });

    const mark = await lastEventId();
    await queueUpdate(
      store,
      uuid,
      { action: 'resize', nodegroup: 'default-worker', nodes_to_remove: [h('node-0')] },
      setNodeCount(uuid, 'default-worker', 1),
    );
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS', 600_000), 'UPDATE_COMPLETE');
    const events = await eventsAfter(mark);
    const remaining = await nodeHostnames(host, uuid);
    assert.equal(remaining.length, 2, remaining.join(', '));
    assert.ok(!remaining.includes(h('node-0')), `the named node went: ${remaining.join(', ')}`);
    assert.ok(
      events.some((e) => e.startsWith(`scale-in: eviction of default/`) && e.includes(`from ${h('node-0')} refused`)),
      `the PDB's refusal is on the timeline:\n${events.join('\n')}`,
    );
    assert.ok(
      events.some((e) => e.startsWith(`scale-in: node ${h('node-0')} cordoned; its pods had not all left`)),
      events.join('\n'),
    );
    assert.ok(
      events.some((e) => e === `scale-in: node ${h('node-0')} removed (scale-in)`),
      events.join('\n'),
    );
    assert.deepEqual(await readyNodes(), remaining, 'the Node objects of removed nodes are gone');
    await eventually(
      'the deployment runs 2 replicas again on the remaining worker',
      async () => {
        const d = await kube.get<{ status?: { readyReplicas?: number } }>(
          '/apis/apps/v1/namespaces/default/deployments/web',
        );
        return d.status?.readyReplicas === 2 ? true : undefined;
      },
      180_000,
      1_000,
    );
  });

  it('reports a stopped worker UNHEALTHY, and auto-healing brings the cluster back to HEALTHY', async () => {
    const worker = (await nodeHostnames(host, uuid)).find((n) => n !== h('master-0')) as string;
    await eventually(
      'health HEALTHY',
      async () => ((await store.clusters.get(uuid))?.health_status === 'HEALTHY' ? true : undefined),
      120_000,
    );
    const victim = (await nodeContainers(host, uuid)).find((c) => c.Labels['magnetar.hostname'] === worker);
    await host.requestRaw('POST', `/containers/${victim?.Id}/stop`, { query: { t: 1 } });
    const sick = await eventually(
      'health UNHEALTHY',
      async () => {
        const c = await store.clusters.get(uuid);
        return c?.health_status === 'UNHEALTHY' ? c : undefined;
      },
      120_000,
    );
    assert.equal(sick.health_status_reason?.[`${worker}.Ready`], 'False');
    assert.equal(sick.health_status_reason?.api, 'ok');
    const mark = await lastEventId();
    await store.db.kysely
      .updateTable('clusters')
      .set({
        labels: JSON.stringify({ kube_tag: KUBE_TAG, auto_healing_enabled: 'true', metrics_server_enabled: 'false' }),
      })
      .where('uuid', '=', uuid)
      .execute();
    await eventually(
      'health HEALTHY again',
      async () => ((await store.clusters.get(uuid))?.health_status === 'HEALTHY' ? true : undefined),
      300_000,
      1_000,
    );
    const events = await eventsAfter(mark);
    assert.ok(
      events.some((e) => e.startsWith(`nodes: node ${worker} was exited; started`)),
      events.join('\n'),
    );
    assert.ok((await readyNodes()).includes(worker));
  });

  it('auto-healing makes a worker whose kubelet stopped reporting again', async () => {
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS', 300_000), 'UPDATE_COMPLETE');
    const worker = (await nodeHostnames(host, uuid)).find((n) => n !== h('master-0')) as string;
    const mark = await lastEventId();
    const c = (await nodeContainers(host, uuid)).find((x) => x.Labels['magnetar.hostname'] === worker);
    /** Runs a command in the worker's container and returns its output. */
    const run = async (cmd: string[]): Promise<string> => {
      const exec = await host.request<{ Id: string }>('POST', `/containers/${c?.Id}/exec`, {
        body: { Cmd: cmd, AttachStdout: true, AttachStderr: true },
      });
      return (await host.requestRaw('POST', `/exec/${exec.Id}/start`, { body: { Detach: false } })).body.toString();
    };
    await run(['/usr/local/sbin/magnetar-supervise', 'stop', '50-kubelet']);
    assert.match(await run(['/usr/local/sbin/magnetar-supervise', 'status']), /50-kubelet stopped/);
    let last = '';
    await eventually(
      'the node is replaced by auto-healing and the cluster HEALTHY again',
      async () => {
        const cl = await store.clusters.get(uuid);
        const events = await eventsAfter(mark);
        last = `${cl?.status} ${cl?.health_status} ${JSON.stringify(cl?.health_status_reason)}\n${events.join('\n')}`;
        return cl?.health_status === 'HEALTHY' &&
          events.some((e) => e.startsWith(`heal: node ${worker} not Ready since`))
          ? true
          : undefined;
      },
      360_000,
      1_000,
    ).catch((e: Error) => assert.fail(`${e.message}: ${last}`));
    const replaced = (await nodeContainers(host, uuid)).find((x) => x.Labels['magnetar.hostname'] === worker);
    assert.notEqual(replaced?.Id, c?.Id, 'the node container was made again');
    assert.ok((await readyNodes()).includes(worker));
  });

  it('converges after kill -9 of the service during the delete, leaving nothing', async () => {
    const res = await fetch(`${svc.url}/v1/clusters/${uuid}`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    await eventually(
      'the teardown started',
      async () => ((await nodeContainers(host, uuid)).length < 2 ? true : undefined),
      60_000,
      10,
    );
    await svc.kill9();
    svc = await startServe(state, { port: svc.port, env: ENV });
    await eventually(
      'the cluster row is gone',
      async () => ((await store.clusters.get(uuid)) === undefined ? true : undefined),
      180_000,
    );
    const f = [`${CLUSTER_LABEL}=${uuid}`];
    const [c, v, n] = await Promise.all([host.listContainers(f), host.listVolumes(f), host.listNetworks(f)]);
    assert.deepEqual([c.length, v.length, n.length], [0, 0, 0]);
  });
});
