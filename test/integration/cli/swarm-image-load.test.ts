/**
 * @module test/integration/cli/swarm-image-load — `magnetar image load` on a real 1 master + 1 worker swarm cluster
 * (one `magnetar serve` child process, real Docker): an image built on the host reaches both node engines over the
 * cluster's mutual TLS, and a global swarm service runs it on both nodes without a registry; its logs carry the image's
 * greeting from each node. Delete leaves nothing labelled with the cluster.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demuxOutput } from '../../../src/docker-api/exec-stdin.ts';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import { engineFromConfig } from '../../helpers/cluster-engine.ts';
import { buildHelloImage, type HelloImage } from '../../helpers/hello-image.ts';
import { enginePort, eventually, nodeContainers, nodeEngine, removeLeftovers } from '../../helpers/lifecycle.ts';
import { cli, REPO, startServe, waitCluster, type ServeProcess } from '../../helpers/service-process.ts';

const NAME = 'swload';
const host = new Engine({ socketPath: '/var/run/docker.sock' });

describe('image load on a swarm cluster', { timeout: 600_000 }, () => {
  let dir: string;
  let svc: ServeProcess;
  let uuid: string;
  let hello: HelloImage;
  let exportsText: string;

  before(async () => {
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: join(REPO, 'scripts'),
      ifMissing: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'magnetar-swload-'));
    svc = await startServe(join(dir, 'state'));
    hello = await buildHelloImage(host);
    const t = await cli(svc.url, [
      'cluster-template-create',
      '--name',
      'swarm',
      '--coe',
      'swarm',
      '--image',
      'magnetar/node:bookworm',
      '--server-type',
      'container',
    ]);
    assert.equal(t.code, 0, t.stderr);
    const c = await cli(
      svc.url,
      ['cluster-create', NAME, '--cluster-template', 'swarm', '--master-count', '1', '--node-count', '1', '--wait'],
      300_000,
    );
    assert.equal(c.code, 0, `${c.stdout}\n${c.stderr}`);
    uuid = (await waitCluster(svc.url, NAME, (s) => s === 'CREATE_COMPLETE')).body.uuid as string;
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
    exportsText = config.stdout;
  });

  after(async () => {
    await svc?.stop();
    if (uuid) await removeLeftovers(host, uuid);
    await hello?.remove();
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a host image into both node engines; a global service runs it on both', async () => {
    const load = await cli(svc.url, ['image', 'load', NAME, hello.ref]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, /loaded into 2 node\(s\)/);
    for (const c of await nodeContainers(host, uuid)) {
      const e = await nodeEngine(exportsText, enginePort(c));
      try {
        assert.ok(await e.inspectImage(hello.ref), `${hello.ref} on ${c.Names[0]}`);
      } finally {
        e.close();
      }
    }

    const mgr = await engineFromConfig(exportsText);
    try {
      const { ID } = await mgr.createService({
        Name: 'hello',
        Mode: { Global: {} },
        TaskTemplate: {
          ContainerSpec: { Image: hello.ref, Args: ['sh', '-c', 'cat /greeting; echo "on $(hostname)"; sleep 3600'] },
          RestartPolicy: { Condition: 'none' },
        },
      });
      const logs = await eventually(
        'the greeting logged from both nodes',
        async () => {
          const raw = await mgr.requestRaw('GET', `/services/${ID}/logs`, { query: { stdout: 1, stderr: 1 } });
          const { stdout } = demuxOutput(raw.body);
          return stdout.split(hello.greeting).length - 1 >= 2 ? stdout : undefined;
        },
        120_000,
        1_000,
      );
      assert.equal((logs.match(/^on \S+$/gm) ?? []).length, 2, logs);
      const tasks = await mgr.listTasks({ service: [ID] });
      assert.equal(new Set(tasks.map((t) => t.NodeID)).size, 2, 'one task on each node');
      await mgr.removeService(ID);
    } finally {
      mgr.close();
    }
  });

  it('deletes the cluster, leaving nothing labelled with it', async () => {
    const d = await cli(svc.url, ['cluster-delete', NAME, '--wait'], 300_000);
    assert.equal(d.code, 0, d.stderr);
    const f = [`${CLUSTER_LABEL}=${uuid}`];
    assert.equal((await host.listContainers(f)).length, 0);
    assert.equal((await host.listVolumes(f)).length, 0);
    assert.equal((await host.listNetworks(f)).length, 0);
  });
});
