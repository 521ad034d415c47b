/**
 * Day-two operations of one real swarm cluster (one `magnetar serve` child process, real Docker): resize 2 → 4 → 2 → 1
 * workers (empty nodes first; then the node named in nodes_to_remove), a node group with another flavor added and
 * deleted, health going UNHEALTHY when a node container dies and HEALTHY again with auto-healing, and kill -9 of the
 * service during a resize and during the delete. Desired states are written through the store and queued with
 * `store.clusters.startUpdate`, the way the API does.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import type { Store } from '../../../src/store/store.ts';
import { engineFromConfig, importBusybox, WORKLOAD_IMAGE } from '../../helpers/cluster-engine.ts';
import {
  enginePort,
  eventually,
  nodeContainers,
  nodeEngine,
  nodeHostnames,
  openStateStore,
  queueUpdate,
  removeLeftovers,
  setNodeCount,
  waitStatus,
} from '../../helpers/lifecycle.ts';
import { cli, REPO, startServe, type ServeProcess } from '../../helpers/service-process.ts';

const host = new Engine({ socketPath: '/var/run/docker.sock' });
const ENV = { MAGNETAR_LEASE_SECONDS: '3', MAGNETAR_SYNC_SECONDS: '1' };
const NAME = 'life';
const h = (s: string): string => `${NAME}-${s}`;

async function leftovers(uuid: string): Promise<number> {
  const f = [`${CLUSTER_LABEL}=${uuid}`];
  const [c, v, n] = await Promise.all([host.listContainers(f), host.listVolumes(f), host.listNetworks(f)]);
  return c.length + v.length + n.length;
}

async function post(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'OpenStack-API-Version': 'container-infra latest' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

describe('swarm cluster lifecycle on the local provider', () => {
  let dir: string;
  let state: string;
  let svc: ServeProcess;
  let store: Store;
  let uuid: string;
  let exportsText: string;

  /** Events of the cluster after the given id. */
  const eventsAfter = async (id: number): Promise<string[]> =>
    (await store.events.list(uuid, id)).map((e) => `${e.phase}: ${e.message}`);
  const lastEventId = async (): Promise<number> => (await store.events.list(uuid)).at(-1)?.id ?? 0;

  /** The manager's engine (the api_address) with the cluster's client credentials. */
  const manager = (): Promise<Engine> => engineFromConfig(exportsText);

  before(async () => {
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: join(REPO, 'scripts'),
      ifMissing: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'magnetar-life-'));
    state = join(dir, 'state');
    svc = await startServe(state, { env: ENV });
    store = await openStateStore(state);
    await post(svc.url, '/v1/clustertemplates', {
      name: 'swarm-life',
      coe: 'swarm',
      image_id: 'magnetar/node:bookworm',
      server_type: 'container',
    });
    const created = await post(svc.url, '/v1/clusters', {
      name: NAME,
      cluster_template_id: 'swarm-life',
      master_count: 1,
      node_count: 2,
      labels: { auto_healing_enabled: 'false' },
    });
    uuid = created.uuid as string;
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'CREATE_IN_PROGRESS'), 'CREATE_COMPLETE');
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
    exportsText = config.stdout;
  });

  after(async () => {
    await svc?.stop();
    if (uuid) await removeLeftovers(host, uuid);
    await store?.close();
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('scales 2 → 4 workers, then 4 → 2 removing the empty nodes first, then 2 → 1 removing the node named in nodes_to_remove', async () => {
    assert.deepEqual(await nodeHostnames(host, uuid), [h('master-0'), h('node-0'), h('node-1')]);

    await queueUpdate(
      store,
      uuid,
      { action: 'resize', nodegroup: 'default-worker' },
      setNodeCount(uuid, 'default-worker', 4),
    );
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS'), 'UPDATE_COMPLETE');
    assert.deepEqual(await nodeHostnames(host, uuid), [
      h('master-0'),
      h('node-0'),
      h('node-1'),
      h('node-2'),
      h('node-3'),
    ]);
    const mgr = await manager();
    try {
      const nodes = await mgr.listNodes();
      assert.equal(nodes.filter((n) => n.Status.State === 'ready').length, 5);
      const ng = (await store.clusters.nodegroups([uuid])).find((n) => n.name === 'default-worker');
      assert.equal(ng?.node_addresses.length, 4);
      assert.equal(ng?.status, 'UPDATE_COMPLETE');

      // One task pinned to node-3 (the highest index, which a plain "last first" scale-in would remove).
      const node3 = (await nodeContainers(host, uuid)).find((c) => c.Labels['magnetar.hostname'] === h('node-3'));
      const e3 = await nodeEngine(exportsText, enginePort(node3 as never));
      await importBusybox(e3).finally(() => e3.close());
      await mgr.createService({
        Name: 'pinned',
        TaskTemplate: {
          ContainerSpec: { Image: WORKLOAD_IMAGE, Command: ['/bin/busybox', 'sleep', '3600'], Init: true },
          Placement: { Constraints: [`node.hostname == ${h('node-3')}`] },
        },
        Mode: { Replicated: { Replicas: 1 } },
        EndpointSpec: { Mode: 'dnsrr' },
      });
      await eventually('the pinned task runs', async () =>
        (await mgr.listTasks({ service: ['pinned'], 'desired-state': ['running'] })).some(
          (t) => t.Status.State === 'running',
        )
          ? true
          : undefined,
      );

      const mark = await lastEventId();
      await queueUpdate(
        store,
        uuid,
        { action: 'resize', nodegroup: 'default-worker' },
        setNodeCount(uuid, 'default-worker', 2),
      );
      assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS'), 'UPDATE_COMPLETE');
      assert.deepEqual(
        await nodeHostnames(host, uuid),
        [h('master-0'), h('node-0'), h('node-3')],
        'the two empty nodes with the highest indexes went',
      );
      const events = await eventsAfter(mark);
      assert.ok(
        events.some((e) => e === `scale-in: node ${h('node-2')} removed (scale-in)`),
        events.join('\n'),
      );
      assert.ok(
        events.some((e) => e.startsWith(`scale-in: node ${h('node-1')} drained`)),
        events.join('\n'),
      );
      const after = await mgr.listNodes();
      assert.deepEqual(
        after.map((n) => n.Description.Hostname).sort(),
        [h('master-0'), h('node-0'), h('node-3')],
        'their swarm entries are gone too',
      );
      const pinned = await mgr.listTasks({ service: ['pinned'], 'desired-state': ['running'] });
      assert.ok(
        pinned.some((t) => t.Status.State === 'running'),
        `the pinned task kept running: ${JSON.stringify(pinned.map((t) => [t.NodeID, t.Status]))}\n${events.join('\n')}`,
      );
      await mgr.removeService('pinned');

      // Both workers are empty now: the heuristic would take node-3 (higher index); nodes_to_remove names node-0.
      const node0 = after.find((n) => n.Description.Hostname === h('node-0'));
      await queueUpdate(
        store,
        uuid,
        { action: 'resize', nodegroup: 'default-worker', nodes_to_remove: [node0?.ID ?? ''] },
        setNodeCount(uuid, 'default-worker', 1),
      );
      assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS'), 'UPDATE_COMPLETE');
      assert.deepEqual(await nodeHostnames(host, uuid), [h('master-0'), h('node-3')]);
      assert.deepEqual((await mgr.listNodes()).map((n) => n.Description.Hostname).sort(), [h('master-0'), h('node-3')]);
    } finally {
      mgr.close();
    }
    const vols = await host.listVolumes([`${CLUSTER_LABEL}=${uuid}`]);
    assert.equal(vols.length, 2, `one data volume per remaining node: ${vols.map((v) => v.Name).join(', ')}`);
  });

  it('refuses a worker count the /24 layout cannot hold, with the reason', async () => {
    await queueUpdate(
      store,
      uuid,
      { action: 'resize', nodegroup: 'default-worker' },
      setNodeCount(uuid, 'default-worker', 300),
    );
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS'), 'UPDATE_FAILED');
    assert.match((await store.clusters.get(uuid))?.status_reason ?? '', /^plan: at most 180 workers fit/);
    await queueUpdate(
      store,
      uuid,
      { action: 'resize', nodegroup: 'default-worker' },
      setNodeCount(uuid, 'default-worker', 1),
    );
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS'), 'UPDATE_COMPLETE');
    assert.deepEqual(await nodeHostnames(host, uuid), [h('master-0'), h('node-3')], 'nothing was touched');
  });

  it('adds a node group with flavor m1.tiny (512 MiB, 1 vCPU) and its labels, then deletes it', async () => {
    const now = new Date().toISOString();
    await queueUpdate(store, uuid, { action: 'nodegroup_create', nodegroup: 'tiny' }, async (tx) => {
      await tx
        .insertInto('nodegroups')
        .values({
          uuid: randomUUID(),
          cluster_id: uuid,
          project_id: 'default',
          name: 'tiny',
          docker_volume_size: null,
          labels: JSON.stringify({ tier: 'small' }),
          flavor_id: 'm1.tiny',
          image_id: 'magnetar/node:bookworm',
          node_addresses: '[]',
          node_count: 2,
          role: 'worker',
          min_node_count: 0,
          max_node_count: null,
          is_default: 0,
          stack_id: null,
          status: 'CREATE_IN_PROGRESS',
          status_reason: null,
          version: null,
          created_at: now,
          updated_at: null,
        })
        .execute();
    });
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS'), 'UPDATE_COMPLETE');
    const tiny = (await nodeContainers(host, uuid)).filter((c) => c.Labels['magnetar.nodegroup'] === 'tiny');
    assert.deepEqual(
      tiny.map((c) => c.Labels['magnetar.hostname']).sort(),
      [h('node-0'), h('node-1')],
      'the new nodes take the free indexes',
    );
    for (const c of tiny) {
      const inspect = await host.inspectContainer(c.Id);
      assert.equal(inspect?.HostConfig.Memory, 512 * 1024 * 1024);
      assert.equal(inspect?.HostConfig.NanoCpus, 1e9);
    }
    const other = (await nodeContainers(host, uuid)).find((c) => c.Labels['magnetar.nodegroup'] === 'default-worker');
    assert.equal(
      (await host.inspectContainer(other?.Id ?? ''))?.HostConfig.Memory,
      0,
      'the default group has no flavor, so no limit',
    );
    const ng = (await store.clusters.nodegroups([uuid])).find((n) => n.name === 'tiny');
    assert.equal(ng?.status, 'CREATE_COMPLETE');
    assert.equal(ng?.node_addresses.length, 2);
    const mgr = await manager();
    try {
      const labelled = (await mgr.listNodes()).filter((n) => n.Spec.Labels?.['magnetar.nodegroup'] === 'tiny');
      assert.equal(labelled.length, 2);
      assert.ok(
        labelled.every((n) => n.Spec.Labels?.tier === 'small'),
        'the node group labels are swarm node labels',
      );

      await queueUpdate(store, uuid, { action: 'nodegroup_delete', nodegroup: 'tiny' }, async (tx) => {
        await tx
          .updateTable('nodegroups')
          .set({ status: 'DELETE_IN_PROGRESS' })
          .where('cluster_id', '=', uuid)
          .where('name', '=', 'tiny')
          .execute();
      });
      assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS'), 'UPDATE_COMPLETE');
      assert.deepEqual(await nodeHostnames(host, uuid), [h('master-0'), h('node-3')]);
      assert.equal(
        (await store.clusters.nodegroups([uuid])).some((n) => n.name === 'tiny'),
        false,
        'the row is gone',
      );
      assert.equal((await mgr.listNodes()).length, 2);
    } finally {
      mgr.close();
    }
  });

  it('reports a dead node container as UNHEALTHY, and auto-healing brings the cluster back to HEALTHY', async () => {
    const want = { api: 'ok', [`${h('master-0')}.Ready`]: 'True', [`${h('node-3')}.Ready`]: 'True' };
    const healthy = await eventually('health HEALTHY with a reason per node', async () => {
      const c = await store.clusters.get(uuid);
      return c?.health_status === 'HEALTHY' && JSON.stringify(c.health_status_reason) === JSON.stringify(want)
        ? c
        : undefined;
    });
    assert.deepEqual(healthy.health_status_reason, want);

    const victim = (await nodeContainers(host, uuid)).find((c) => c.Labels['magnetar.hostname'] === h('node-3'));
    await host.requestRaw('POST', `/containers/${victim?.Id}/kill`);
    const sick = await eventually('health UNHEALTHY', async () => {
      const c = await store.clusters.get(uuid);
      return c?.health_status === 'UNHEALTHY' ? c : undefined;
    });
    assert.equal(sick.health_status_reason?.[`${h('node-3')}.Ready`], 'False');
    assert.equal(sick.status, 'UPDATE_COMPLETE', 'without auto_healing_enabled nothing is queued');

    const mark = await lastEventId();
    await store.db.kysely
      .updateTable('clusters')
      .set({ labels: JSON.stringify({ auto_healing_enabled: 'true' }) })
      .where('uuid', '=', uuid)
      .execute();
    await eventually(
      'the heal is queued',
      async () =>
        (await store.operations.active(uuid)).some((o) => o.payload.action === 'heal') ||
        (await store.clusters.get(uuid))?.status !== 'UPDATE_COMPLETE'
          ? true
          : undefined,
      30_000,
    );
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS'), 'UPDATE_COMPLETE');
    await eventually(
      'health HEALTHY again',
      async () => ((await store.clusters.get(uuid))?.health_status === 'HEALTHY' ? true : undefined),
      60_000,
    );
    const events = await eventsAfter(mark);
    assert.ok(
      events.some((e) => /auto-healing: replacing or restarting/.test(e)),
      events.join('\n'),
    );
    assert.ok(
      events.some((e) => e.startsWith(`nodes: node ${h('node-3')} was exited; restarted`)),
      events.join('\n'),
    );
    const running = (await nodeContainers(host, uuid)).filter((c) => c.State === 'running');
    assert.equal(running.length, 2);

    // A node container that is gone altogether is made again (at the lowest free index) and joins the swarm afresh;
    // the swarm entry of the lost node is removed.
    const mark2 = await lastEventId();
    const gone = (await nodeContainers(host, uuid)).find((c) => c.Labels['magnetar.hostname'] === h('node-3'));
    await host.removeContainer(gone?.Id ?? '');
    await eventually(
      'the heal of the missing node is queued',
      async () => ((await eventsAfter(mark2)).some((e) => /auto-healing/.test(e)) ? true : undefined),
      30_000,
    );
    assert.equal(await waitStatus(store, uuid, (st) => st !== 'UPDATE_IN_PROGRESS'), 'UPDATE_COMPLETE');
    const want2 = { api: 'ok', [`${h('master-0')}.Ready`]: 'True', [`${h('node-0')}.Ready`]: 'True' };
    let lastHealth = '';
    await eventually('health HEALTHY after the replacement', async () => {
      const c = await store.clusters.get(uuid);
      lastHealth = `${c?.status} ${c?.health_status} ${JSON.stringify(c?.health_status_reason)}\n${(await eventsAfter(mark2)).join('\n')}`;
      return c?.health_status === 'HEALTHY' && JSON.stringify(c.health_status_reason) === JSON.stringify(want2)
        ? true
        : undefined;
    }).catch((e: Error) => assert.fail(`${e.message}: ${lastHealth}`));
    const events2 = await eventsAfter(mark2);
    assert.ok(
      events2.some((e) => e.startsWith(`nodes: node ${h('node-0')} (worker, default-worker) started`)),
      events2.join('\n'),
    );
    assert.ok(
      events2.some((e) => e === `swarm: node ${h('node-0')} joined as worker`),
      events2.join('\n'),
    );
    assert.ok(
      events2.some((e) => e.startsWith(`prune: stale swarm entry of ${h('node-3')}`)),
      events2.join('\n'),
    );
    const mgr = await manager();
    try {
      assert.deepEqual(
        (await mgr.listNodes()).map((n) => [n.Description.Hostname, n.Status.State]).sort(),
        [
          [h('master-0'), 'ready'],
          [h('node-0'), 'ready'],
        ],
        'the old entry is gone',
      );
    } finally {
      mgr.close();
    }
  });

  it('converges after kill -9 of the service during a resize', async () => {
    await queueUpdate(
      store,
      uuid,
      { action: 'resize', nodegroup: 'default-worker' },
      setNodeCount(uuid, 'default-worker', 3),
    );
    await eventually(
      'a new node container exists',
      async () => ((await nodeContainers(host, uuid)).length > 2 ? true : undefined),
      60_000,
      25,
    );
    await svc.kill9();
    svc = await startServe(state, { port: svc.port, env: ENV });
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS'), 'UPDATE_COMPLETE');
    assert.deepEqual(await nodeHostnames(host, uuid), [h('master-0'), h('node-0'), h('node-1'), h('node-2')]);
    const mgr = await manager();
    try {
      const nodes = await mgr.listNodes();
      assert.deepEqual(
        nodes
          .filter((n) => n.Status.State === 'ready')
          .map((n) => n.Description.Hostname)
          .sort(),
        [h('master-0'), h('node-0'), h('node-1'), h('node-2')],
      );
      assert.equal(nodes.length, 4, 'no stale swarm entries');
    } finally {
      mgr.close();
    }
    assert.ok(
      (await store.events.list(uuid)).some((e) => /resuming/.test(e.message)),
      'the timeline shows the resumed attempt',
    );
  });

  it('converges after kill -9 of the service during the delete, leaving nothing', async () => {
    const res = await fetch(`${svc.url}/v1/clusters/${uuid}`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    await eventually(
      'the teardown started',
      async () => ((await nodeContainers(host, uuid)).length < 4 ? true : undefined),
      60_000,
      10,
    );
    await svc.kill9();
    svc = await startServe(state, { port: svc.port, env: ENV });
    await eventually(
      'the cluster row is gone',
      async () => ((await store.clusters.get(uuid)) === undefined ? true : undefined),
      120_000,
    );
    assert.equal(await leftovers(uuid), 0, 'nothing labelled with the cluster UUID is left');
  });
});
