import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Engine, EngineUnreachableError } from '../../../src/providers/docker/engine.ts';
import { findFreePort } from '../../../src/providers/docker/free-port.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import { probeNodeSecurity, securityHostConfig } from '../../../src/providers/docker/node-security.ts';
import { createNetworkOnFreeSubnet } from '../../../src/providers/docker/free-network.ts';
import { hostAddress } from '../../../src/providers/docker/subnets.ts';
import { renderUserData, serviceFile, SUPERVISE_START } from '../../../src/providers/cloud-config.ts';
import { payloadArchive } from '../../../src/providers/docker/payload.ts';
import { tarFiles } from '../../../src/core/tar.ts';

const SOCKET = '/var/run/docker.sock';
const IMAGE = 'magnetar/node:bookworm';
const skip = existsSync(SOCKET) ? false : `no Docker engine socket at ${SOCKET}`;
const run = randomBytes(4).toString('hex');
const LABEL = 'magnetar.test';
const label = `${LABEL}=node-${run}`;
const labels = { [LABEL]: `node-${run}` };
const name = `magnetar-test-${run}`;

/** A CA, a client certificate and a server certificate for the node, made with openssl. */
function makeCerts(
  dir: string,
  nodeIp: string,
): Record<'ca' | 'caKey' | 'clientCert' | 'clientKey' | 'serverCert' | 'serverKey', string> {
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    '-new',
    ...ec,
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    `/CN=${name} CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const sign = (base: string, subject: string, ext: string[]): void => {
    openssl('req', '-new', ...ec, '-keyout', `${base}-key.pem`, '-out', `${base}.csr`, '-subj', subject);
    writeFileSync(
      join(dir, `${base}.ext`),
      ['keyUsage=critical,digitalSignature,keyEncipherment', ...ext].join('\n') + '\n',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      '2',
      '-extfile',
      `${base}.ext`,
      '-out',
      `${base}.pem`,
    );
  };
  sign('client', '/CN=magnetar-admin', ['extendedKeyUsage=clientAuth']);
  sign('server', `/CN=${name}-m1`, [
    'extendedKeyUsage=serverAuth',
    `subjectAltName=IP:${nodeIp},IP:127.0.0.1,DNS:${name}-m1,DNS:localhost`,
  ]);
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return {
    ca: read('ca.pem'),
    caKey: read('ca-key.pem'),
    clientCert: read('client.pem'),
    clientKey: read('client-key.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server-key.pem'),
  };
}

/** The host's first non-loopback resolver, for the node dockerd's `dns`. */
function upstreamDns(): string[] {
  const m = /^nameserver\s+(?!127\.)(\S+)/m.exec(readFileSync('/etc/resolv.conf', 'utf8'));
  return m?.[1] ? [m[1]] : [];
}

void describe('a node container running its own dockerd, reached over mutual TLS', { skip, timeout: 300_000 }, () => {
  let host: Engine;
  let node: Engine | undefined;
  let dir: string;
  let certs: ReturnType<typeof makeCerts>;
  let port: number;
  let nodeIp: string;
  let startedAt: number;

  before(async () => {
    host = new Engine({ socketPath: SOCKET });
    const build = await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      rootfsDir: '/var/tmp/magnetar-rootfs',
      scriptsDir: fileURLToPath(new URL('../../../scripts/', import.meta.url)),
      ifMissing: true,
    });
    if (build.imported) console.log(`built ${IMAGE} in ${build.seconds.toFixed(1)} s`);
    dir = mkdtempSync(join(tmpdir(), 'magnetar-node-'));
  });

  after(async () => {
    node?.close();
    for (const c of await host.listContainers([label])) await host.removeContainer(c.Id);
    for (const v of await host.listVolumes([label])) await host.removeVolume(v.Name);
    for (const n of await host.listNetworks([label])) await host.removeNetwork(n.Id);
    await host.removeImage(`magnetar/test-load-${run}:1`);
    rmSync(dir, { recursive: true, force: true });
    assert.equal((await host.listContainers([label])).length, 0);
    assert.equal((await host.listVolumes([label])).length, 0);
    assert.equal((await host.listNetworks([label])).length, 0);
    host.close();
  });

  void it('starts a node container whose engine answers ping over mutual TLS on a pinned 127.0.0.1 port', async () => {
    startedAt = performance.now();
    // other tests create networks at the same time: a subnet taken under our feet is skipped, as the provider does
    const { cidr } = await createNetworkOnFreeSubnet(host, { name, labels });
    nodeIp = hostAddress(cidr, 10);
    certs = makeCerts(dir, nodeIp);
    const security = await probeNodeSecurity(host, IMAGE);
    port = await findFreePort();
    const created = await host.createContainer(`${name}-m1`, {
      Image: IMAGE,
      Hostname: `${name}-m1`,
      Labels: labels,
      ExposedPorts: { '2376/tcp': {} },
      StopTimeout: 30,
      HostConfig: {
        Init: true,
        ...securityHostConfig(security),
        CgroupnsMode: 'private',
        Mounts: [{ Type: 'volume', Target: '/var/lib/docker', VolumeOptions: { Labels: labels } }],
        PortBindings: { '2376/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
        NetworkMode: name,
      },
      NetworkingConfig: { EndpointsConfig: { [name]: { IPAMConfig: { IPv4Address: nodeIp } } } },
    });
    const daemonJson = {
      hosts: ['unix:///var/run/docker.sock', 'tcp://0.0.0.0:2376'],
      tls: true,
      tlsverify: true,
      tlscacert: '/etc/docker/tls/ca.pem',
      tlscert: '/etc/docker/tls/server-cert.pem',
      tlskey: '/etc/docker/tls/server-key.pem',
      'storage-driver': 'overlay2',
      dns: upstreamDns(),
      'shutdown-timeout': 5,
      'log-driver': 'json-file',
      'log-opts': { 'max-size': '10m' },
    };
    // The node boots from a cloud-init payload, delivered as the local provider does (one archive before start).
    const userData = renderUserData({
      write_files: [
        { path: '/etc/docker/daemon.json', content: `${JSON.stringify(daemonJson, null, 2)}\n` },
        { path: '/etc/docker/tls/ca.pem', content: certs.ca },
        { path: '/etc/docker/tls/server-cert.pem', content: certs.serverCert },
        { path: '/etc/docker/tls/server-key.pem', content: certs.serverKey, permissions: '0600' },
        serviceFile('10-dockerd', ['/usr/sbin/dockerd']),
      ],
      runcmd: [[...SUPERVISE_START]],
    });
    await host.putArchive(created.Id, '/', payloadArchive(userData));
    await host.startContainer(created.Id);
    const inspected = await host.inspectContainer(created.Id);
    assert.equal(inspected?.NetworkSettings.Ports?.['2376/tcp']?.[0]?.HostPort, String(port));

    node = new Engine({ host: '127.0.0.1', port, tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
    const deadline = Date.now() + 30_000;
    while (!(await node.ping())) {
      assert.ok(Date.now() < deadline, 'the node engine did not answer within 30 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log(
      `node engine answers over TLS ${((performance.now() - startedAt) / 1000).toFixed(1)} s after the network was created`,
    );
    const info = await node.info();
    assert.equal(info.Name, `${name}-m1`);
    assert.equal(info.Driver, 'overlay2');
    assert.equal(info.Swarm.LocalNodeState, 'inactive');
  });

  void it('refuses a client that has the CA but no client certificate', async () => {
    const anonymous = new Engine({ host: '127.0.0.1', port, tls: { ca: certs.ca } }, { timeoutMs: 5_000 });
    try {
      assert.equal(await anonymous.ping(), false);
      await assert.rejects(anonymous.version(), EngineUnreachableError);
    } finally {
      anonymous.close();
    }
  });

  void it('refuses a client certificate signed by another CA', async () => {
    const other = makeCerts(mkdtempSync(join(dir, 'other-')), nodeIp);
    const stranger = new Engine(
      { host: '127.0.0.1', port, tls: { ca: certs.ca, cert: other.clientCert, key: other.clientKey } },
      { timeoutMs: 5_000 },
    );
    try {
      assert.equal(await stranger.ping(), false);
    } finally {
      stranger.close();
    }
  });

  void it('initialises a one-node swarm and manages its node', async () => {
    assert.ok(node);
    const nodeId = await node.swarmInit({
      ListenAddr: `${nodeIp}:2377`,
      AdvertiseAddr: nodeIp,
      DefaultAddrPool: ['10.128.0.0/16'],
      SubnetSize: 24,
    });
    assert.match(nodeId, /^[a-z0-9]{25}$/);
    const swarm = await node.swarmInspect();
    assert.match(swarm.JoinTokens.Worker, /^SWMTKN-1-/);
    assert.deepEqual(swarm.DefaultAddrPool, ['10.128.0.0/16']);
    let nodes = await node.listNodes();
    const deadline = Date.now() + 30_000;
    while (nodes[0]?.Status.State !== 'ready') {
      assert.ok(Date.now() < deadline, 'the swarm node is not ready after 30 s');
      await new Promise((r) => setTimeout(r, 250));
      nodes = await node.listNodes();
    }
    assert.deepEqual(
      nodes.map((n) => [n.ID, n.Description.Hostname, n.ManagerStatus?.Leader]),
      [[nodeId, `${name}-m1`, true]],
    );
    console.log(
      `one-node swarm ready ${((performance.now() - startedAt) / 1000).toFixed(1)} s after the network was created`,
    );

    const before = await node.inspectNode(nodeId);
    assert.ok(before);
    await node.updateNode(nodeId, before.Version.Index, {
      ...before.Spec,
      Availability: 'drain',
      Labels: { role: 'test' },
    });
    const after = await node.inspectNode(nodeId);
    assert.equal(after?.Spec.Availability, 'drain');
    assert.deepEqual(after?.Spec.Labels, { role: 'test' });
    assert.equal(await node.inspectNode('nosuchnode0000000000000000'), null);
  });

  void it('copies an image from the host engine into the node engine and creates a service from it', async () => {
    assert.ok(node);
    const repo = `magnetar/test-load-${run}`;
    await host.importImage(Readable.from([tarFiles([{ path: 'hello.txt', content: 'hi\n' }])]), repo, '1', [
      'LABEL os_distro=testos',
    ]);
    const loaded = await node.loadImage(await host.saveImage(`${repo}:1`));
    assert.deepEqual(loaded, [`${repo}:1`]);
    assert.equal((await node.inspectImage(`${repo}:1`))?.Config?.Labels?.os_distro, 'testos');

    const service = await node.createService({
      Name: 'web',
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: { Image: `${repo}:1`, Command: ['/hello'] },
        RestartPolicy: { Condition: 'none' },
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Mode: 'dnsrr' },
    });
    const services = await node.listServices({ label: [label] });
    assert.deepEqual(
      services.map((s) => s.ID),
      [service.ID],
    );
    assert.ok(Array.isArray(await node.listTasks({ service: [service.ID] })));
    await node.removeService(service.ID);
    await node.removeService(service.ID);
    assert.deepEqual(await node.listServices({ label: [label] }), []);
  });

  void it('leaves the swarm', async () => {
    assert.ok(node);
    await node.swarmLeave(true);
    assert.equal((await node.info()).Swarm.LocalNodeState, 'inactive');
    await node.swarmLeave(true); // not in a swarm any more: fine
  });
});
