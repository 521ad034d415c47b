/**
 * The `docker` driver against the real Docker engine through a real `magnetar serve`: a cluster is one node whose
 * engine answers over mutual TLS on api_address (and refuses a client without a certificate), its health is
 * reported, an upgrade makes it again on the new image keeping its engine's data, and deleting it leaves nothing behind.
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
import { engineFromConfig } from '../../helpers/cluster-engine.ts';
import { eventually, nodeContainers, openStateStore, queueUpdate, waitStatus } from '../../helpers/lifecycle.ts';
import { cli, getJson, REPO, startServe, waitCluster, type ServeProcess } from '../../helpers/service-process.ts';

const host = new Engine({ socketPath: '/var/run/docker.sock' });
const NEXT = 'magnetar-test/node:docker-next';

describe('the docker driver', () => {
  let dir: string;
  let svc: ServeProcess;

  before(async () => {
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: join(REPO, 'scripts'),
      ifMissing: true,
    });
    await host.requestRaw('POST', '/images/magnetar/node:bookworm/tag', {
      query: { repo: 'magnetar-test/node', tag: 'docker-next' },
    });
    dir = await mkdtemp(join(tmpdir(), 'magnetar-docker-'));
    svc = await startServe(join(dir, 'state'), { env: { MAGNETAR_LEASE_SECONDS: '3', MAGNETAR_SYNC_SECONDS: '1' } });
  });

  after(async () => {
    await svc?.stop();
    await host.removeImage(NEXT);
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates one node whose engine answers over mutual TLS, reports it HEALTHY, upgrades it in place, and deletes it without leftovers', async () => {
    const t = await cli(svc.url, [
      'cluster-template-create',
      '--name',
      'docker-one',
      '--coe',
      'docker',
      '--image',
      'magnetar/node:bookworm',
      '--server-type',
      'container',
    ]);
    assert.equal(t.code, 0, `${t.stdout}\n${t.stderr}`);
    const created = await cli(svc.url, ['cluster-create', 'dk', '--cluster-template', 'docker-one', '--wait']);
    assert.equal(created.code, 0, `${created.stdout}\n${created.stderr}\n${svc.output()}`);
    const { body: cluster } = await getJson(`${svc.url}/v1/clusters/dk`);
    const uuid = cluster.uuid as string;
    assert.equal(cluster.status, 'CREATE_COMPLETE');
    assert.match(cluster.api_address as string, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    const containers = await nodeContainers(host, uuid);
    assert.equal(containers.length, 1, 'exactly one node');
    assert.equal(containers[0]?.Labels['magnetar.role'], 'master');

    const config = await cli(svc.url, ['cluster-config', 'dk', '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
    assert.ok(config.stdout.includes(`DOCKER_HOST=${cluster.api_address as string}`), config.stdout);
    const engine = await engineFromConfig(config.stdout);
    try {
      const info = await engine.info();
      assert.equal(info.Swarm.LocalNodeState, 'inactive', 'a plain engine, not a swarm');
      assert.equal(info.Driver, 'overlay2');
      assert.equal((await engine.version()).Version, cluster.coe_version);
    } finally {
      engine.close();
    }
    const noCert = await engineFromConfig(config.stdout, { withClientCert: false });
    try {
      assert.equal(await noCert.ping(), false, 'a client without a certificate is refused');
    } finally {
      noCert.close();
    }

    const health = await eventually(
      'health is reported',
      async () => {
        const { body } = await getJson(`${svc.url}/v1/clusters/${uuid}`);
        return body.health_status === 'HEALTHY' ? body : undefined;
      },
      30_000,
    );
    const hostname = containers[0]?.Labels['magnetar.hostname'] ?? '';
    assert.deepEqual(health.health_status_reason, { api: 'ok', [`${hostname}.Ready`]: 'True' });

    // Upgrade: the node is made again on the new image, in place — what its engine holds survives.
    const engine2 = await engineFromConfig(config.stdout);
    try {
      await engine2.createVolume({ Name: 'kept-across-upgrade' });
    } finally {
      engine2.close();
    }
    const store = await openStateStore(join(dir, 'state'));
    try {
      // As the API writes an upgrade: a template on the new image, the cluster moved to it, its default groups too.
      const base = (
        await store.templates.findVisible(
          { userId: 'admin', projectId: 'default', roles: ['admin'], isAdmin: true },
          { name: 'docker-one' },
        )
      )[0];
      assert.ok(base);
      const { id: _id, ...rest } = base;
      const next = await store.templates.insert({ ...rest, uuid: randomUUID(), name: 'docker-next', image_id: NEXT });
      await queueUpdate(
        store,
        uuid,
        { action: 'upgrade', nodegroup: 'default-worker', max_batch_size: 1, cluster_template: next.uuid },
        async (tx) => {
          await tx.updateTable('clusters').set({ cluster_template_id: next.uuid }).where('uuid', '=', uuid).execute();
          await tx
            .updateTable('nodegroups')
            .set({ image_id: NEXT, status: 'UPDATE_IN_PROGRESS' })
            .where('cluster_id', '=', uuid)
            .where('is_default', '=', 1)
            .execute();
        },
      );
      assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS'), 'UPDATE_COMPLETE');
    } finally {
      await store.close();
    }
    const upgraded = await nodeContainers(host, uuid);
    assert.equal(upgraded.length, 1);
    assert.equal(upgraded[0]?.Labels['magnetar.image'], NEXT);
    assert.notEqual(upgraded[0]?.Id, containers[0]?.Id, 'a new container');
    const { body: after } = await getJson(`${svc.url}/v1/clusters/${uuid}`);
    assert.equal(after.api_address, cluster.api_address, 'the same address');
    const engine3 = await engineFromConfig(config.stdout);
    try {
      assert.ok(
        (await engine3.listVolumes([])).some((v) => v.Name === 'kept-across-upgrade'),
        'the engine kept its data',
      );
    } finally {
      engine3.close();
    }

    const deleted = await cli(svc.url, ['cluster-delete', 'dk']);
    assert.equal(deleted.code, 0, deleted.stderr);
    await waitCluster(svc.url, uuid, (_s, code) => code === 404);
    const f = [`${CLUSTER_LABEL}=${uuid}`];
    const [c, v, n] = await Promise.all([host.listContainers(f), host.listVolumes(f), host.listNetworks(f)]);
    assert.equal(c.length + v.length + n.length, 0, 'no container, volume or network is left');
  });
});
