import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { Engine, EngineError, EngineUnreachableError } from '../../../src/providers/docker/engine.ts';
import { buildNodeImage, imageOsDistro } from '../../../src/providers/docker/image-build.ts';
import { PROBE_LABEL, probeNodeSecurity } from '../../../src/providers/docker/node-security.ts';
import { createNetworkOnFreeSubnet } from '../../../src/providers/docker/free-network.ts';
import { usedSubnets } from '../../../src/providers/docker/subnets.ts';
import { readTar, tarFiles } from '../../../src/core/tar.ts';

const SOCKET = '/var/run/docker.sock';
const IMAGE = 'magnetar/node:bookworm';
const skip = existsSync(SOCKET) ? false : `no Docker engine socket at ${SOCKET}`;
const run = randomBytes(4).toString('hex');
const LABEL = 'magnetar.test';
const label = `${LABEL}=engine-${run}`;
const labels = { [LABEL]: `engine-${run}` };

void describe('Engine against the host Docker engine', { skip, timeout: 300_000 }, () => {
  let engine: Engine;
  let networkId: string;
  let containerId: string;
  const importRepo = `magnetar/test-import-${run}`;

  before(async () => {
    engine = new Engine({ socketPath: SOCKET });
    const build = await buildNodeImage(engine, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      rootfsDir: '/var/tmp/magnetar-rootfs',
      scriptsDir: fileURLToPath(new URL('../../../scripts/', import.meta.url)),
      ifMissing: true,
    });
    if (build.imported) console.log(`built ${IMAGE} in ${build.seconds.toFixed(1)} s`);
  });

  after(async () => {
    for (const c of await engine.listContainers([label])) await engine.removeContainer(c.Id);
    for (const v of await engine.listVolumes([label])) await engine.removeVolume(v.Name);
    for (const n of await engine.listNetworks([label])) await engine.removeNetwork(n.Id);
    await engine.removeImage(`${importRepo}:1`);
    assert.equal((await engine.listContainers([label])).length, 0);
    assert.equal((await engine.listVolumes([label])).length, 0);
    assert.equal((await engine.listNetworks([label])).length, 0);
    engine.close();
  });

  void it('pings the engine and reads its version and info', async () => {
    assert.equal(await engine.ping(), true);
    const version = await engine.version();
    assert.match(version.ApiVersion, /^1\.\d+$/);
    const info = await engine.info();
    assert.equal(typeof info.ServerVersion, 'string');
    assert.ok(['inactive', 'active', 'pending', 'error', 'locked'].includes(info.Swarm.LocalNodeState));
  });

  void it('creates, lists and finds a labelled network on a free subnet', async () => {
    // a free subnet, skipping one that a concurrent test takes between the pick and the create
    const created = await createNetworkOnFreeSubnet(engine, { name: `magnetar-test-${run}`, labels });
    const subnet = created.cidr;
    networkId = created.id;
    const listed = await engine.listNetworks([label]);
    assert.deepEqual(
      listed.map((n) => n.Id),
      [networkId],
    );
    assert.equal(listed[0]?.IPAM.Config?.[0]?.Subnet, subnet);
    assert.ok((await usedSubnets(engine)).includes(subnet));
  });

  void it('reports the engine message and status when a subnet overlaps', async () => {
    const taken = (await engine.inspectNetwork(networkId))?.IPAM.Config?.[0]?.Subnet;
    assert.ok(taken);
    await assert.rejects(
      engine.createNetwork({ Name: `magnetar-test-${run}-dup`, IPAM: { Config: [{ Subnet: taken }] }, Labels: labels }),
      (err: unknown) => {
        assert.ok(err instanceof EngineError);
        assert.equal(err.message, 'Pool overlaps with other one on this address space');
        assert.ok(err.status >= 400);
        assert.equal(err.method, 'POST');
        assert.equal(err.path, '/networks/create');
        return true;
      },
    );
  });

  void it('creates, starts, lists and inspects a labelled container with a labelled volume', async () => {
    const created = await engine.createContainer(`magnetar-test-${run}`, {
      Image: IMAGE,
      Entrypoint: ['/bin/sleep', 'infinity'],
      Labels: labels,
      HostConfig: {
        Init: true,
        NetworkMode: `magnetar-test-${run}`,
        Mounts: [{ Type: 'volume', Target: '/var/lib/docker', VolumeOptions: { Labels: labels } }],
      },
    });
    containerId = created.Id;
    await engine.startContainer(containerId);
    await engine.startContainer(containerId); // already running: 304, no error
    const listed = await engine.listContainers([label]);
    assert.deepEqual(
      listed.map((c) => c.Id),
      [containerId],
    );
    const inspected = await engine.inspectContainer(containerId);
    assert.equal(inspected?.State.Running, true);
    assert.equal(inspected?.Config.Labels?.[LABEL], `engine-${run}`);
    const volumes = await engine.listVolumes([label]);
    assert.equal(volumes.length, 1);
    assert.equal(inspected?.Mounts.find((m) => m.Destination === '/var/lib/docker')?.Name, volumes[0]?.Name);
  });

  void it('puts an archive into the container and reads the file back', async () => {
    await engine.putArchive(
      containerId,
      '/',
      tarFiles([{ path: 'etc/magnetar/hello.json', content: '{"hello":"node"}\n', mode: 0o600 }]),
    );
    const entries = readTar(await engine.getArchive(containerId, '/etc/magnetar/hello.json'));
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.path, 'hello.json');
    assert.equal(entries[0]?.mode, 0o600);
    assert.equal(entries[0]?.content.toString(), '{"hello":"node"}\n');
  });

  void it('throws EngineError with status 404 and the engine message for a missing container', async () => {
    const missing = `magnetar-missing-${run}`;
    assert.equal(await engine.inspectContainer(missing), null);
    await assert.rejects(engine.startContainer(missing), (err: unknown) => {
      assert.ok(err instanceof EngineError);
      assert.equal(err.status, 404);
      assert.equal(err.message, `No such container: ${missing}`);
      return true;
    });
    await engine.removeContainer(missing); // 404 is fine for removal
  });

  void it('removes the container, its volume and the network, and then finds none of them', async () => {
    await engine.removeContainer(containerId);
    assert.equal(await engine.inspectContainer(containerId), null);
    // the anonymous volume goes with v=1
    assert.equal((await engine.listVolumes([label])).length, 0);
    await engine.removeNetwork(networkId);
    await engine.removeNetwork(networkId); // already gone: fine
    assert.equal((await engine.listNetworks([label])).length, 0);
    const vol = await engine.createVolume({ Name: `magnetar-test-${run}`, Labels: labels });
    assert.deepEqual(
      (await engine.listVolumes([label])).map((v) => v.Name),
      [vol.Name],
    );
    await engine.removeVolume(vol.Name);
    await engine.removeVolume(vol.Name);
    assert.equal((await engine.listVolumes([label])).length, 0);
  });

  void it('imports a tiny tar as an image whose labels inspectImage shows', async () => {
    const tar = tarFiles([{ path: 'hello.txt', content: 'hi\n' }]);
    const id = await engine.importImage(Readable.from([tar]), importRepo, '1', [
      'LABEL os_distro=testos',
      `LABEL ${label}`,
      'ENV container=docker',
    ]);
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const image = await engine.inspectImage(`${importRepo}:1`);
    assert.equal(image?.Id, id);
    assert.equal(image?.Config?.Labels?.os_distro, 'testos');
    assert.equal(image?.Config?.Labels?.[LABEL], `engine-${run}`);
    assert.ok(image?.Config?.Env?.includes('container=docker'));
    assert.equal(await imageOsDistro(engine, `${importRepo}:1`), 'testos');
    assert.equal(await imageOsDistro(engine, IMAGE), 'debian');
    await engine.removeImage(`${importRepo}:1`);
    assert.equal(await engine.inspectImage(`${importRepo}:1`), null);
    assert.equal(await imageOsDistro(engine, `${importRepo}:1`), undefined);
  });

  void it('throws when the import progress stream reports an error', async () => {
    await assert.rejects(
      engine.importImage(Readable.from([Buffer.from('this is not a tar archive')]), importRepo, 'bad', []),
      EngineError,
    );
    assert.equal(await engine.inspectImage(`${importRepo}:bad`), null);
  });

  void it('finds that node containers need the emulated privileged mode on this host', async () => {
    // labelled as this run's, since clusters created by tests running beside this one probe too
    const sec = await probeNodeSecurity(engine, IMAGE, { labels });
    assert.deepEqual(sec, { mode: 'emulated', capDrop: ['SYS_RESOURCE'] });
    assert.equal((await engine.listContainers([`${PROBE_LABEL}=1`, label])).length, 0);
  });

  void it('reports an unreachable engine as EngineUnreachableError, and ping as false', async () => {
    const nowhere = new Engine({ socketPath: `/tmp/magnetar-no-such-socket-${run}` });
    try {
      assert.equal(await nowhere.ping(), false);
      await assert.rejects(nowhere.version(), (err: unknown) => {
        assert.ok(err instanceof EngineUnreachableError);
        assert.equal(err.code, 'ENOENT');
        assert.ok(err.cause instanceof Error);
        return true;
      });
    } finally {
      nowhere.close();
    }
  });

  void it('aborts a request through its signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(engine.request('GET', '/version', { signal: controller.signal }), { name: 'AbortError' });
    assert.equal(await engine.ping(controller.signal), false);
  });
});
