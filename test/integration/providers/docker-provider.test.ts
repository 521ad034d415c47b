/**
 * The local Docker provider against the real host engine, through the provider contract only: a cluster network, a
 * machine booted from a cloud-init payload (files with modes and owners, the raw user-data, runcmd rendered as
 * cloud-init does and run by the image's magnetar-node-init, a supervised service), bootstrap success and failure
 * with the output's tail, restart (runcmd runs again), idempotence, volumes kept or removed, and teardown.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../../src/docker-api/engine.ts';
import {
  CloudConfigError,
  renderRuncmd,
  renderUserData,
  serviceFile,
  SUPERVISE_START,
  type CloudConfig,
} from '../../../src/providers/cloud-config.ts';
import type { Machine, MachineSpec, Network } from '../../../src/providers/contract.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import { INPUTS_LABEL } from '../../../src/providers/docker/image-inputs.ts';
import { DockerProvider } from '../../../src/providers/docker/provider.ts';
import { readTar, type TarEntry } from '../../../src/core/tar.ts';

const SOCKET = '/var/run/docker.sock';
const IMAGE = 'magnetar/node:bookworm';
const skip = existsSync(SOCKET) ? false : `no Docker engine socket at ${SOCKET}`;

void describe('DockerProvider (the provider contract on the local Docker engine)', { skip, timeout: 300_000 }, () => {
  const uuid = randomUUID();
  let host: Engine;
  let provider: DockerProvider;
  let network: Network;

  /** One file of a machine, read back through the engine (undefined when missing). */
  const file = async (m: Machine, path: string): Promise<TarEntry | undefined> => {
    try {
      return readTar(await host.getArchive(m.id, path)).find((e) => e.type === 'file');
    } catch {
      return undefined;
    }
  };
  const text = async (m: Machine, path: string): Promise<string> => (await file(m, path))?.content.toString() ?? '';

  const spec = (index: number, config: CloudConfig, extra: Partial<MachineSpec> = {}): MachineSpec => ({
    name: `magnetar-${uuid}-node-${index}`,
    hostname: `prov-node-${index}`,
    clusterUuid: uuid,
    role: 'worker',
    nodegroup: 'default-worker',
    index,
    image: IMAGE,
    flavor: { name: 'm1.tiny', limits: { memoryBytes: 512 * 2 ** 20, nanoCpus: 1e9 } },
    network: { id: network.id, address: network.cidr.replace(/0\/24$/, String(20 + index)) },
    volumes: [{ name: `magnetar-${uuid}-node-${index}-data`, mountPath: '/data', sizeGb: null, keep: false }],
    labels: { 'magnetar.test': 'provider' },
    ports: [{ name: 'engine', port: 2376 }],
    userData: renderUserData(config),
    ...extra,
  });

  before(async () => {
    host = new Engine({ socketPath: SOCKET });
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: fileURLToPath(new URL('../../../scripts/', import.meta.url)),
      ifMissing: true,
    });
    provider = new DockerProvider(host);
  });

  after(async () => {
    await provider.removeCluster(uuid);
    host.close();
  });

  void it('ensureNetwork makes a labelled /24 once and finds it again', async () => {
    network = await provider.ensureNetwork({ clusterUuid: uuid, subnetHint: null });
    assert.equal(network.created, true);
    assert.match(network.cidr, /^10\.\d+\.\d+\.0\/24$/);
    assert.equal(network.gateway, network.cidr.replace(/0\/24$/, '1'));
    const again = await provider.ensureNetwork({ clusterUuid: uuid, subnetHint: null });
    assert.deepEqual(again, { ...network, created: false });
  });

  let booted: Machine;
  const config: CloudConfig = {
    write_files: [
      { path: '/etc/magnetar-test/secret', content: 'key material\n', permissions: '0600' },
      { path: '/etc/magnetar-test/owned', content: 'mine\n', owner: '1000:1000' },
      { path: '/etc/magnetar-test/blob', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'b64' },
      { path: '/tmp/in-tmp', content: 'x\n' },
      serviceFile('10-ticker', ['sh', '-c', 'echo "ticker up"; exec sleep 3600']),
    ],
    runcmd: [
      ['sh', '-c', 'printf \'%s\\n\' "$1" >> /var/lib/argv.txt', 'sh', "it's a $HOME `x`"],
      'echo "boot of $(hostname)"',
      [...SUPERVISE_START],
    ],
  };

  void it('ensureMachine boots the payload: files with modes and owners, user-data, runcmd, a supervised service', async () => {
    const s = spec(0, config);
    booted = await provider.ensureMachine(s);
    assert.equal(booted.state, 'running');
    assert.equal(booted.address, s.network.address);
    assert.equal(booted.flavor, 'm1.tiny');
    const ep = provider.endpoint(booted, 'engine');
    assert.ok(ep && ep.host === '127.0.0.1' && ep.port > 0);
    assert.equal(provider.endpoint(booted, 'nope'), null);

    const status = await provider.waitBootstrap(booted, { timeoutMs: 30_000 });
    assert.equal(status.state, 'done', status.output);

    const secret = await file(booted, '/etc/magnetar-test/secret');
    assert.equal(secret?.mode, 0o600);
    assert.equal(secret?.content.toString(), 'key material\n');
    const owned = await file(booted, '/etc/magnetar-test/owned');
    assert.deepEqual([owned?.uid, owned?.gid, owned?.mode], [1000, 1000, 0o644]);
    assert.deepEqual([...((await file(booted, '/etc/magnetar-test/blob'))?.content ?? [])], [0, 1, 2, 255]);
    const tmp = readTar(await host.getArchive(booted.id, '/tmp')).find((e) => e.path === 'tmp');
    assert.equal(tmp?.mode, 0o1777, '/tmp keeps its mode (the archive has no directory entries)');
    assert.equal((await file(booted, '/etc/magnetar/services/10-ticker'))?.mode, 0o755);

    assert.equal(await text(booted, '/var/lib/cloud/seed/nocloud/user-data'), s.userData);
    const runcmd = await file(booted, '/var/lib/cloud/instance/scripts/runcmd');
    assert.equal(runcmd?.content.toString(), renderRuncmd(config.runcmd ?? []));
    assert.equal(runcmd?.mode, 0o700);
    assert.equal(await text(booted, '/var/lib/argv.txt'), "it's a $HOME `x`\n", 'argv words arrive unexpanded');
    assert.match(await text(booted, '/var/log/cloud-init-output.log'), /boot of prov-node-0/);
    let log = '';
    for (let i = 0; i < 50 && !log.includes('ticker up'); i++) {
      log = await text(booted, '/var/log/magnetar/10-ticker.log');
      if (!log.includes('ticker up')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(log, /ticker up/);

    const inspected = await host.inspectContainer(booted.id);
    assert.equal(inspected?.HostConfig.Memory, 512 * 2 ** 20);
    assert.equal(inspected?.Config.Labels?.['magnetar.cluster'], uuid);
    assert.equal(inspected?.Config.Labels?.['magnetar.test'], 'provider');
  });

  void it('ensureMachine of a running machine with the same image returns it as it is', async () => {
    const again = await provider.ensureMachine(spec(0, config));
    assert.equal(again.id, booted.id);
    assert.deepEqual(again.endpoints, booted.endpoints);
  });

  void it('listMachines and observeMachines (one call for every cluster) report it', async () => {
    const listed = await provider.listMachines(uuid);
    assert.deepEqual(
      listed.map((m) => [m.name, m.hostname, m.role, m.nodegroup, m.index, m.image, m.state]),
      [[booted.name, 'prov-node-0', 'worker', 'default-worker', 0, IMAGE, 'running']],
    );
    assert.deepEqual(listed[0]?.endpoints, booted.endpoints);
    const all = await provider.observeMachines();
    assert.deepEqual(
      all.get(uuid)?.map((m) => m.id),
      [booted.id],
    );
  });

  void it('a stopped machine keeps its endpoints; started again, its runcmd and services run again', async () => {
    await host.stopContainer(booted.id, 10);
    const [stopped] = await provider.listMachines(uuid);
    assert.equal(stopped?.state, 'stopped');
    assert.equal(stopped?.status, 'exited');
    assert.deepEqual(stopped?.endpoints, booted.endpoints);
    await provider.startMachine(booted);
    assert.equal((await provider.waitBootstrap(booted, { timeoutMs: 30_000 })).state, 'done');
    assert.equal((await text(booted, '/var/log/cloud-init-output.log')).match(/boot of prov-node-0/g)?.length, 2);
    let starts = 0;
    for (let i = 0; i < 50 && starts < 2; i++) {
      starts = (await text(booted, '/var/log/magnetar/10-ticker.log')).match(/starting 10-ticker/g)?.length ?? 0;
      if (starts < 2) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(starts, 2, 'the supervised service started again after the restart');
  });

  void it('a failing payload is reported as failed with the tail of its output', async () => {
    const bad = await provider.ensureMachine(spec(1, { runcmd: ['echo "about to fail"', 'exit 3'] }));
    const status = await provider.waitBootstrap(bad, { timeoutMs: 30_000 });
    assert.equal(status.state, 'failed');
    assert.match(status.output, /about to fail/);
    assert.match(status.output, /runcmd failed with exit code 3/);
    await provider.removeMachine(bad);
  });

  void it('user-data outside the subset is refused before anything is made', async () => {
    const s = { ...spec(2, {}), userData: '#cloud-config\npackages: [curl]\n' };
    await assert.rejects(provider.ensureMachine(s), CloudConfigError);
    assert.equal(await host.inspectContainer(s.name), null);
    await assert.rejects(provider.ensureMachine({ ...spec(2, {}), name: 'magnetar-no-uuid' }), RangeError);
  });

  void it('removeMachine keeps volumes when asked, and removes them otherwise', async () => {
    const volume = `magnetar-${uuid}-node-0-data`;
    const volumes = async (): Promise<string[]> =>
      (await host.listVolumes([`magnetar.cluster=${uuid}`])).map((v) => v.Name);
    assert.deepEqual(await volumes(), [volume]);
    await provider.removeMachine(booted, { keepVolumes: true });
    assert.deepEqual(await volumes(), [volume]);
    const remade = await provider.ensureMachine(
      spec(
        0,
        { runcmd: ['test -f /data/marker || echo first > /data/marker'] },
        { previousEndpoints: booted.endpoints },
      ),
    );
    assert.deepEqual(remade.endpoints, booted.endpoints, 'the previous loopback port is kept');
    await provider.removeMachine(remade);
    assert.deepEqual(await volumes(), []);
  });

  void it('image() reads an image and its properties; a missing one is null', async () => {
    const img = await provider.image(IMAGE);
    assert.equal(img?.properties.os_distro, 'debian');
    assert.match(img?.properties[INPUTS_LABEL] ?? '', /^[0-9a-f]{16}$/);
    assert.equal(img?.properties['magnetar.node-image'], 'docker');
    assert.equal(await provider.image('magnetar/does-not-exist:1'), null);
  });

  void it('removeCluster removes everything labelled with the cluster; leftovers are then zero', async () => {
    await provider.ensureMachine(spec(3, { runcmd: ['true'] }));
    const removed = await provider.removeCluster(uuid);
    assert.deepEqual(removed, { machines: 1, volumes: 1, networks: 1, loadBalancers: 0 });
    assert.deepEqual(await provider.leftovers(uuid), { machines: 0, volumes: 0, networks: 0, loadBalancers: 0 });
  });
});
