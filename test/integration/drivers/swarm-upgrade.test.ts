/**
 * Upgrade of a real 1 master + 3 worker swarm to a new node image while a 3-replica service keeps running (at least
 * N-1 tasks running whenever the manager answers): a first upgrade to an image that does not exist fails with the
 * reason (UPDATE_FAILED), a second one to a real image resumes from there, survives kill -9 of the service, and ends
 * with every node on the new image under its old name, address and swarm identity count.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterTemplate } from '../../../src/core/types.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import type { Store } from '../../../src/store/store.ts';
import { engineFromConfig, importBusybox, WORKLOAD_IMAGE } from '../../helpers/cluster-engine.ts';
import {
  enginePort,
  eventually,
  nodeContainers,
  nodeEngine,
  openStateStore,
  queueUpdate,
  removeLeftovers,
  waitStatus,
} from '../../helpers/lifecycle.ts';
import { cli, REPO, startServe, type ServeProcess } from '../../helpers/service-process.ts';

const host = new Engine({ socketPath: '/var/run/docker.sock' });
const ENV = { MAGNETAR_LEASE_SECONDS: '3', MAGNETAR_SYNC_SECONDS: '0' };
const NEXT = 'magnetar-test/node:next';
const MISSING = 'magnetar-test/node:missing';
const NAME = 'upg';

describe('swarm upgrade to a new node image', () => {
  let dir: string;
  let state: string;
  let svc: ServeProcess;
  let store: Store;
  let uuid: string;
  let exportsText: string;
  let seeding = true;
  let seeder: Promise<void> | undefined;

  /** Loads the workload image into every node container that appears (there is no registry). */
  async function seedLoop(): Promise<void> {
    const done = new Set<string>();
    while (seeding) {
      for (const c of await nodeContainers(host, uuid).catch(() => [])) {
        if (done.has(c.Id) || c.State !== 'running' || !enginePort(c)) continue;
        const e = await nodeEngine(exportsText, enginePort(c));
        try {
          if (await e.ping()) {
            await importBusybox(e);
            done.add(c.Id);
          }
        } catch {
          // not up yet: next round
        } finally {
          e.close();
        }
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Copies the template row with another image (as `cluster-template-create` would, minus the image check). */
  async function templateWith(image: string): Promise<ClusterTemplate> {
    const base = (
      await store.templates.findVisible(
        { userId: 'admin', projectId: 'default', roles: ['admin'], isAdmin: true },
        { name: 'swarm-upg' },
      )
    )[0] as ClusterTemplate;
    const { id: _id, ...rest } = base;
    return store.templates.insert({
      ...rest,
      uuid: randomUUID(),
      name: `swarm-upg-${image.split(':')[1]}`,
      image_id: image,
    });
  }

  /** The upgrade as the API writes it: the cluster's template and the default groups' image, then the operation. */
  async function upgradeTo(t: ClusterTemplate, maxBatch: number): Promise<void> {
    await queueUpdate(
      store,
      uuid,
      { action: 'upgrade', nodegroup: 'default-worker', max_batch_size: maxBatch, cluster_template: t.uuid },
      async (tx) => {
        await tx.updateTable('clusters').set({ cluster_template_id: t.uuid }).where('uuid', '=', uuid).execute();
        await tx
          .updateTable('nodegroups')
          .set({ image_id: t.image_id, status: 'UPDATE_IN_PROGRESS' })
          .where('cluster_id', '=', uuid)
          .where('is_default', '=', 1)
          .execute();
      },
    );
  }

  before(async () => {
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: join(REPO, 'scripts'),
      ifMissing: true,
    });
    await host.requestRaw('POST', '/images/magnetar/node:bookworm/tag', {
      query: { repo: 'magnetar-test/node', tag: 'next' },
    });
    dir = await mkdtemp(join(tmpdir(), 'magnetar-upg-'));
    state = join(dir, 'state');
    svc = await startServe(state, { env: ENV });
    store = await openStateStore(state);
    const t = await cli(svc.url, [
      'cluster-template-create',
      '--name',
      'swarm-upg',
      '--coe',
      'swarm',
      '--image',
      'magnetar/node:bookworm',
      '--server-type',
      'container',
    ]);
    assert.equal(t.code, 0, t.stderr);
    const c = await cli(svc.url, [
      'cluster-create',
      NAME,
      '--cluster-template',
      'swarm-upg',
      '--master-count',
      '1',
      '--node-count',
      '3',
    ]);
    assert.equal(c.code, 0, c.stderr);
    uuid =
      (
        await store.clusters.findVisible(
          { userId: 'admin', projectId: 'default', roles: ['admin'], isAdmin: true },
          { name: NAME },
        )
      )[0]?.uuid ?? '';
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'CREATE_IN_PROGRESS'), 'CREATE_COMPLETE');
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
    exportsText = config.stdout;
    seeder = seedLoop();
  });

  after(async () => {
    seeding = false;
    await seeder;
    await svc?.stop();
    if (uuid) await removeLeftovers(host, uuid);
    await host.removeImage(NEXT);
    await store?.close();
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('replaces every node one at a time while the service keeps ≥ N-1 tasks running, resuming after a failure and after kill -9', async () => {
    const before = new Map(
      (await nodeContainers(host, uuid)).map((c) => [c.Labels['magnetar.hostname'], c.Labels['magnetar.ip']]),
    );
    assert.equal(before.size, 4);
    const mgr = await engineFromConfig(exportsText);
    let minRunning = Infinity;
    let samples = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        try {
          const tasks = await mgr.listTasks({ service: ['web'], 'desired-state': ['running'] });
          minRunning = Math.min(minRunning, tasks.filter((t) => t.Status.State === 'running').length);
          samples++;
        } catch {
          // the manager is being replaced
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    try {
      await eventually('busybox is on every node', async () => {
        const cs = await nodeContainers(host, uuid);
        for (const c of cs) {
          const e = await nodeEngine(exportsText, enginePort(c));
          const has = await e.inspectImage(WORKLOAD_IMAGE).finally(() => e.close());
          if (!has) return undefined;
        }
        return true;
      });
      await mgr.createService({
        Name: 'web',
        TaskTemplate: {
          ContainerSpec: { Image: WORKLOAD_IMAGE, Command: ['/bin/busybox', 'sleep', '3600'], Init: true },
          Placement: { MaxReplicas: 1 },
          RestartPolicy: { Condition: 'any', Delay: 500_000_000 },
        },
        Mode: { Replicated: { Replicas: 3 } },
        EndpointSpec: { Mode: 'dnsrr' },
      });
      await eventually('3 tasks run', async () =>
        (await mgr.listTasks({ service: ['web'], 'desired-state': ['running'] })).filter(
          (t) => t.Status.State === 'running',
        ).length === 3
          ? true
          : undefined,
      );
      minRunning = 3;
      samples = 0;

      // 1. An image that does not exist: UPDATE_FAILED with the reason.
      await upgradeTo(await templateWith(MISSING), 1);
      assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS'), 'UPDATE_FAILED');
      const failed = await store.clusters.get(uuid);
      assert.match(failed?.status_reason ?? '', /^upgrade: .*magnetar-test\/node:missing/);

      // 2. A real new image: resumes (the node removed by the failed attempt is made on the new image), survives kill -9.
      const next = await templateWith(NEXT);
      const mark = (await store.events.list(uuid)).at(-1)?.id ?? 0;
      await upgradeTo(next, 1);
      await eventually(
        'a first node is replaced',
        async () =>
          (await store.events.list(uuid, mark)).some((e) => / replaced: /.test(e.message)) ? true : undefined,
        120_000,
        50,
      );
      await svc.kill9();
      svc = await startServe(state, { port: svc.port, env: ENV });
      assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS', 300_000), 'UPDATE_COMPLETE');

      const after = await nodeContainers(host, uuid);
      assert.deepEqual(
        after.map((c) => [c.Labels['magnetar.hostname'], c.Labels['magnetar.image']]).sort(),
        [...before.keys()].sort().map((hn) => [hn, NEXT]),
        'every node runs the new image under its old name',
      );
      for (const c of after)
        assert.equal(c.Labels['magnetar.ip'], before.get(c.Labels['magnetar.hostname']), 'addresses are kept');
      const events = (await store.events.list(uuid, mark)).map((e) => e.message);
      const order = events.filter((e) => / replaced: /.test(e)).map((e) => /node (\S+) replaced/.exec(e)?.[1]);
      assert.equal(order.at(-1), `${NAME}-master-0`, `workers first, then the master: ${order.join(', ')}`);
      assert.ok(
        events.some((e) => /resuming/.test(e)),
        'the timeline shows the resumed attempt',
      );

      const m2 = await engineFromConfig(
        exportsText.replace(/DOCKER_HOST=.*/, `DOCKER_HOST=${(await store.clusters.get(uuid))?.api_address ?? ''}`),
      );
      try {
        const nodes = await m2.listNodes();
        assert.equal(nodes.length, 4, 'no stale swarm entries');
        assert.ok(
          nodes.every((n) => n.Status.State === 'ready' && n.Spec.Availability === 'active'),
          JSON.stringify(nodes.map((n) => [n.Description.Hostname, n.Status.State, n.Spec.Availability])),
        );
        await eventually(
          'the service is whole again',
          async () =>
            (await m2.listTasks({ service: ['web'], 'desired-state': ['running'] })).filter(
              (t) => t.Status.State === 'running',
            ).length === 3
              ? true
              : undefined,
          60_000,
        );
      } finally {
        m2.close();
      }
      assert.ok(samples > 10, `the service was watched (${samples} samples)`);
      assert.ok(minRunning >= 2, `at least N-1 = 2 tasks kept running throughout (minimum seen: ${minRunning})`);
    } finally {
      watching = false;
      await watch;
      mgr.close();
    }
  });
});
