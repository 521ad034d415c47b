/**
 * @module bench/create-swarm: the floor of bench/create for swarm: a 1 master + 2 worker swarm made with the project's
 * building blocks and nothing else (no store, API, conductor or events): the same engine calls DockerProvider and the
 * swarm driver make.
 */
import { createCa, issueClientCert, issueServerCert } from '../src/certs/x509.ts';
import { Engine } from '../src/docker-api/engine.ts';
import { dockerNodeUserData, ENGINE_PORT } from '../src/drivers/local-common/docker-node-payload.ts';
import { probeNodeSecurity, securityHostConfig } from '../src/providers/docker/node-security.ts';
import { payloadArchive } from '../src/providers/docker/payload.ts';
import { hostResolvers } from '../src/providers/docker/provider.ts';
import { hostAddress } from '../src/providers/docker/subnets.ts';
import {
  BENCH_LABEL,
  FloorClock,
  floorNetwork,
  floorStartNode,
  sleep,
  type FloorHost,
  type FloorResult,
} from './create-shared.ts';

export const SWARM_NODE_IMAGE = 'magnetar/node:bookworm';

/**
 * Creates a 1 master + 2 worker swarm. Returns the milliseconds it took. Everything it makes carries
 * `magnetar.bench=<id>`; the caller removes it with `floorCleanup`.
 */
export async function swarmFloorCreate(fh: FloorHost, id: string): Promise<FloorResult> {
  const { host } = fh;
  const clock = new FloorClock();
  fh.security ??= await probeNodeSecurity(host, SWARM_NODE_IMAGE);
  const sec = fh.security;
  const labels = { [BENCH_LABEL]: id };

  // CA and client certificate.
  const ca = await createCa({ commonName: `bench-${id}` });
  const client = await issueClientCert(ca, { commonName: 'magnetar-conductor', organization: 'system:masters' });

  const netName = `magnetar-bench-${id}`;
  const net = (await floorNetwork(host, netName, labels)).cidr;
  clock.mark(`network created on ${net}`);

  // Three node containers, in parallel, configured and started exactly like DockerProvider.ensureMachine.
  const dns = await hostResolvers();
  const plan = [
    {
      name: `magnetar-bench-${id}-master-0`,
      hostname: `bench-${id}-master-0`,
      role: 'master',
      ip: hostAddress(net, 10),
    },
    { name: `magnetar-bench-${id}-node-0`, hostname: `bench-${id}-node-0`, role: 'worker', ip: hostAddress(net, 20) },
    { name: `magnetar-bench-${id}-node-1`, hostname: `bench-${id}-node-1`, role: 'worker', ip: hostAddress(net, 21) },
  ];
  const nodes = await Promise.all(
    plan.map(async (p) => {
      const cert = await issueServerCert(ca, {
        commonName: p.hostname,
        dnsNames: [p.hostname, 'localhost'],
        ipAddresses: [p.ip, '127.0.0.1'],
      });
      // The same cloud-init payload, delivered the same way (one archive before start: write_files, seed, runcmd).
      const tar = payloadArchive(
        dockerNodeUserData({ caPem: ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem, dns, tlsDisabled: false }),
      );
      const { port } = await floorStartNode(
        host,
        p.name,
        (port) => ({
          Image: SWARM_NODE_IMAGE,
          Hostname: p.hostname,
          Labels: { ...labels, 'magnetar.bench.role': p.role },
          ExposedPorts: { [`${ENGINE_PORT}/tcp`]: {} },
          StopTimeout: 30,
          HostConfig: {
            Init: true,
            ...securityHostConfig(sec),
            CgroupnsMode: 'private',
            Mounts: [{ Type: 'volume', Target: '/var/lib/docker', VolumeOptions: { Labels: labels } }],
            PortBindings: { [`${ENGINE_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
            RestartPolicy: { Name: 'unless-stopped' },
          },
          NetworkingConfig: { EndpointsConfig: { [netName]: { IPAMConfig: { IPv4Address: p.ip } } } },
        }),
        tar,
      );
      clock.mark(`node ${p.hostname} started`);
      return { ...p, port };
    }),
  );

  // Node engines over mutual TLS on their pinned loopback ports.
  const tls = { ca: ca.certPem, cert: client.certPem, key: client.keyPem, servername: 'localhost' };
  const engines = nodes.map((n) => new Engine({ host: '127.0.0.1', port: n.port, tls }, { timeoutMs: 30_000 }));
  try {
    await Promise.all(engines.map((e) => e.waitUntilUp(60_000, 100)));
    clock.mark('node engines up');
    const [leaderEngine, ...workerEngines] = engines as [Engine, ...Engine[]];
    const [leader, ...workers] = nodes as [(typeof nodes)[number], ...typeof nodes];
    await leaderEngine.swarmInit({
      ListenAddr: `${leader.ip}:2377`,
      AdvertiseAddr: leader.ip,
      DefaultAddrPool: ['10.128.0.0/16'],
      SubnetSize: 24,
    });
    const swarm = await leaderEngine.swarmInspect();
    await Promise.all(
      workers.map((w, i) =>
        (workerEngines[i] as Engine).swarmJoin({
          ListenAddr: '0.0.0.0:2377',
          AdvertiseAddr: w.ip,
          RemoteAddrs: [`${leader.ip}:2377`],
          JoinToken: swarm.JoinTokens.Worker,
        }),
      ),
    );
    const deadline = Date.now() + 90_000;
    for (;;) {
      const ready = (await leaderEngine.listNodes()).filter((n) => n.Status.State === 'ready').length;
      if (ready >= nodes.length) break;
      if (Date.now() > deadline)
        throw new Error(`floor: only ${ready} of ${nodes.length} swarm nodes Ready after 90 s`);
      await sleep(100);
    }
    clock.mark(`${nodes.length} swarm nodes ready`);
  } finally {
    for (const e of engines) e.close();
  }
  return clock.done();
}
