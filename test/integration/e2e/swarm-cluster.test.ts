/**
 * End to end against the real Docker engine, through the real `magnetar` CLI and a real `magnetar serve` process:
 * a 1 master + 2 worker swarm is created, used, refused without a client certificate, and deleted without leftovers;
 * and a create interrupted by kill -9 converges after a restart.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import { engineFromConfig, importBusybox, WORKLOAD_IMAGE } from '../../helpers/cluster-engine.ts';
import { cli, getJson, REPO, startServe, waitCluster, type ServeProcess } from '../../helpers/service-process.ts';

const host = new Engine({ socketPath: '/var/run/docker.sock' });

async function leftovers(uuid: string): Promise<number> {
  const f = [`${CLUSTER_LABEL}=${uuid}`];
  const [c, v, n] = await Promise.all([host.listContainers(f), host.listVolumes(f), host.listNetworks(f)]);
  return c.length + v.length + n.length;
}

describe('a swarm cluster through the CLI', () => {
  let dir: string;
  let svc: ServeProcess;

  before(async () => {
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: join(REPO, 'scripts'),
      ifMissing: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'magnetar-e2e-'));
    svc = await startServe(join(dir, 'state'), { env: { MAGNETAR_LEASE_SECONDS: '3' } });
    const t = await cli(svc.url, [
      'cluster-template-create',
      '--name',
      'swarm-e2e',
      '--coe',
      'swarm',
      '--image',
      'magnetar/node:bookworm',
      '--server-type',
      'container',
    ]);
    assert.equal(t.code, 0, t.stderr);
  });

  after(async () => {
    await svc?.stop();
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates 1 master + 2 workers, runs a 3-replica service across them, refuses a client without a cert, and deletes everything', async () => {
    const created = await cli(svc.url, [
      'cluster-create',
      'e2e-one',
      '--cluster-template',
      'swarm-e2e',
      '--master-count',
      '1',
      '--node-count',
      '2',
      '--wait',
    ]);
    assert.equal(created.code, 0, `${created.stdout}\n${created.stderr}\n${svc.output()}`);
    assert.match(created.stdout, /CREATE_COMPLETE/);
    assert.match(created.stdout, /joined as worker/);
    const { body: cluster } = await getJson(`${svc.url}/v1/clusters/e2e-one`);
    const uuid = cluster.uuid as string;
    assert.equal(cluster.status, 'CREATE_COMPLETE');
    assert.equal((cluster.node_addresses as string[]).length, 2);
    assert.match(cluster.api_address as string, /^tcp:\/\/127\.0\.0\.1:\d+$/);

    const config = await cli(svc.url, ['cluster-config', 'e2e-one', '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
    assert.match(config.stdout, /export DOCKER_TLS_VERIFY=1/);
    const engine = await engineFromConfig(config.stdout);
    try {
      const nodes = await engine.listNodes();
      assert.equal(nodes.length, 3);
      assert.ok(
        nodes.every((n) => n.Status.State === 'ready'),
        JSON.stringify(nodes.map((n) => n.Status)),
      );

      // No registry: load the workload image into every node (through the host engine's view of the node ports).
      const machines = await host.listContainers([`${CLUSTER_LABEL}=${uuid}`]);
      assert.equal(machines.length, 3);
      for (const m of machines) {
        const port = m.Ports.find((p) => p.PrivatePort === 2376)?.PublicPort;
        const nodeEngine = await engineFromConfig(
          config.stdout.replace(/DOCKER_HOST=.*/, `DOCKER_HOST=tcp://127.0.0.1:${port}`),
        );
        try {
          await importBusybox(nodeEngine);
        } finally {
          nodeEngine.close();
        }
      }
      await engine.createService({
        Name: 'web',
        TaskTemplate: {
          ContainerSpec: { Image: WORKLOAD_IMAGE, Command: ['/bin/busybox', 'sleep', '3600'] },
          Placement: { MaxReplicas: 1 },
        },
        Mode: { Replicated: { Replicas: 3 } },
        EndpointSpec: { Mode: 'dnsrr' },
      });
      let running: string[] = [];
      for (let i = 0; i < 150 && running.length < 3; i++) {
        const tasks = await engine.listTasks({ service: ['web'], 'desired-state': ['running'] });
        running = tasks.filter((t) => t.Status.State === 'running').map((t) => t.NodeID ?? '');
        if (running.length < 3) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(new Set(running).size, 3, 'three running tasks on three different nodes');
    } finally {
      engine.close();
    }

    const noCert = await engineFromConfig(config.stdout, { withClientCert: false });
    try {
      assert.equal(await noCert.ping(), false, 'a client without a certificate is refused');
    } finally {
      noCert.close();
    }

    const deleted = await cli(svc.url, ['cluster-delete', 'e2e-one', '--wait']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await getJson(`${svc.url}/v1/clusters/${uuid}`)).status, 404);
    assert.equal(await leftovers(uuid), 0, 'nothing labelled with the cluster UUID is left');
  });

  it('converges after kill -9 during create, and leaks nothing', async () => {
    const res = await fetch(`${svc.url}/v1/clusters`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'e2e-crash', cluster_template_id: 'swarm-e2e', master_count: 1, node_count: 2 }),
    });
    assert.equal(res.status, 202);
    const { uuid } = (await res.json()) as { uuid: string };
    // Kill the service as soon as the first node container exists: mid-create, with work half done.
    for (let i = 0; i < 200; i++) {
      if ((await host.listContainers([`${CLUSTER_LABEL}=${uuid}`])).length > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await svc.kill9();
    const before = await getJson(`${svc.url}/v1/clusters/${uuid}`).catch(() => undefined);
    assert.equal(before, undefined, 'the API is gone');

    svc = await startServe(join(dir, 'state'), { port: svc.port, env: { MAGNETAR_LEASE_SECONDS: '3' } });
    const done = await waitCluster(svc.url, uuid, (s) => s !== 'CREATE_IN_PROGRESS');
    assert.equal(done.body.status, 'CREATE_COMPLETE', JSON.stringify(done.body));
    const events = (await getJson(`${svc.url}/v1/clusters/${uuid}/events`)).body.events as { message: string }[];
    assert.ok(
      events.some((e) => /attempt 2/.test(e.message)),
      'the timeline shows the resumed attempt',
    );
    assert.equal(
      (await host.listContainers([`${CLUSTER_LABEL}=${uuid}`])).length,
      3,
      'exactly three nodes, no duplicates',
    );

    assert.equal((await cli(svc.url, ['cluster-delete', uuid, '--wait'])).code, 0);
    assert.equal(await leftovers(uuid), 0);
  });

  it('serves a TLS-disabled cluster without client certificates', async () => {
    const t = await cli(svc.url, [
      'cluster-template-create',
      '--name',
      'swarm-notls',
      '--coe',
      'swarm',
      '--image',
      'magnetar/node:bookworm',
      '--tls-disabled',
    ]);
    assert.equal(t.code, 0, t.stderr);
    const created = await cli(svc.url, [
      'cluster-create',
      'e2e-notls',
      '--cluster-template',
      'swarm-notls',
      '--node-count',
      '1',
      '--wait',
    ]);
    assert.equal(created.code, 0, `${created.stdout}\n${created.stderr}`);
    const config = await cli(svc.url, ['cluster-config', 'e2e-notls', '--dir', join(dir, 'notls')]);
    assert.equal(config.code, 0, config.stderr);
    assert.match(config.stdout, /^export DOCKER_TLS_VERIFY=$/m);
    const m = /DOCKER_HOST=tcp:\/\/127\.0\.0\.1:(\d+)/.exec(config.stdout);
    const plain = new Engine({ host: '127.0.0.1', port: Number(m?.[1]) });
    try {
      assert.equal((await plain.listNodes()).length, 2);
    } finally {
      plain.close();
    }
    const { body } = await getJson(`${svc.url}/v1/clusters/e2e-notls`);
    assert.equal((await cli(svc.url, ['cluster-delete', 'e2e-notls', '--wait'])).code, 0);
    assert.equal(await leftovers(body.uuid as string), 0);
  });
});
