/**
 * @module bench/create: time from `POST /v1/clusters` to CREATE_COMPLETE of a 1 master + 2 worker swarm cluster
 * through a real in-process Magnetar, next to a plain script doing the same engine steps directly (the floor).
 * Prints figures only. Run: `node_modules/.bin/node bench/create.ts [--runs N]` (default 5).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCa, issueClientCert, issueServerCert } from '../src/certs/x509.ts';
import { loadConfig } from '../src/config/load.ts';
import { Engine, EngineError } from '../src/docker-api/engine.ts';
import type { ContainerCreateSpec } from '../src/docker-api/engine-types.ts';
import { dockerNodeUserData, ENGINE_PORT } from '../src/drivers/local-common/docker-node-payload.ts';
import { findFreePort } from '../src/providers/docker/free-port.ts';
import { buildNodeImage } from '../src/providers/docker/image-build.ts';
import { probeNodeSecurity, securityHostConfig, type NodeSecurity } from '../src/providers/docker/node-security.ts';
import { payloadArchive } from '../src/providers/docker/payload.ts';
import { hostResolvers } from '../src/providers/docker/provider.ts';
import { hostAddress, pickFreeSubnet, usedSubnets } from '../src/providers/docker/subnets.ts';
import { startService } from '../src/service.ts';

const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts');
const NODE_IMAGE = 'magnetar/node:bookworm';
const SOCKET = '/var/run/docker.sock';
const BENCH_LABEL = 'magnetar.bench';
const TARGET = 1.3;
const CLUSTER_TIMEOUT_MS = 5 * 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number): string => (ms / 1000).toFixed(2);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

// ---- the floor -----------------------------------------------------------------------------------

interface FloorNode {
  name: string;
  hostname: string;
  role: 'master' | 'worker';
  ip: string;
  port: number;
}

/** What stays the same across floor runs: the host engine and the node security mode (probed once, like DockerProvider). */
interface FloorHost {
  host: Engine;
  security: NodeSecurity | undefined;
}

/**
 * Creates a 1 master + 2 worker swarm with the project's building blocks and nothing else (no store, API, conductor
 * or events): the same engine calls DockerProvider and the swarm driver make. Returns the milliseconds it took.
 * Everything it makes carries `magnetar.bench=<id>`; the caller removes it with {@link floorCleanup}.
 */
async function floorCreate(fh: FloorHost, id: string): Promise<number> {
  const { host } = fh;
  const started = performance.now();
  fh.security ??= await probeNodeSecurity(host, NODE_IMAGE);
  const sec = fh.security;
  const labels = { [BENCH_LABEL]: id };

  // CA and client certificate.
  const ca = await createCa({ commonName: `bench-${id}` });
  const client = await issueClientCert(ca, { commonName: 'magnetar-conductor', organization: 'system:masters' });

  // Network on a free /24.
  const netName = `magnetar-bench-${id}`;
  let subnet: string | undefined;
  for (let attempt = 0; attempt < 20 && !subnet; attempt++) {
    const candidate = pickFreeSubnet(await usedSubnets(host));
    if (!candidate) throw new Error('no free 10.x.y.0/24 subnet left on this host');
    try {
      await host.createNetwork({
        Name: netName,
        Driver: 'bridge',
        CheckDuplicate: true,
        IPAM: { Config: [{ Subnet: candidate, Gateway: hostAddress(candidate, 1) }] },
        Labels: labels,
      });
      subnet = candidate;
    } catch (e) {
      if (!(e instanceof EngineError && /overlap/i.test(e.message))) throw e;
    }
  }
  if (!subnet) throw new Error('could not find a free subnet after 20 attempts');
  const net = subnet;

  // Three node containers, in parallel, configured and started exactly like DockerProvider.ensureMachine.
  const dns = await hostResolvers();
  const plan: Omit<FloorNode, 'port'>[] = [
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
    plan.map(async (p): Promise<FloorNode> => {
      const cert = await issueServerCert(ca, {
        commonName: p.hostname,
        dnsNames: [p.hostname, 'localhost'],
        ipAddresses: [p.ip, '127.0.0.1'],
      });
      // The same cloud-init payload, delivered the same way (one archive before start: write_files, seed, runcmd).
      const tar = payloadArchive(
        dockerNodeUserData({ caPem: ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem, dns, tlsDisabled: false }),
      );
      for (let attempt = 0; ; attempt++) {
        const port = await findFreePort();
        const spec: ContainerCreateSpec = {
          Image: NODE_IMAGE,
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
        };
        const { Id } = await host.createContainer(p.name, spec);
        await host.putArchive(Id, '/', tar);
        try {
          await host.startContainer(Id);
        } catch (e) {
          await host.removeContainer(Id);
          const clash = e instanceof EngineError && /already allocated|address already in use/i.test(e.message);
          if (!clash || attempt >= 5) throw e;
          continue;
        }
        return { ...p, port };
      }
    }),
  );

  // Node engines over mutual TLS on their pinned loopback ports.
  const tls = { ca: ca.certPem, cert: client.certPem, key: client.keyPem, servername: 'localhost' };
  const engines = nodes.map((n) => new Engine({ host: '127.0.0.1', port: n.port, tls }, { timeoutMs: 30_000 }));
  try {
    await Promise.all(engines.map((e) => e.waitUntilUp(60_000, 100)));
    const [leaderEngine, ...workerEngines] = engines as [Engine, ...Engine[]];
    const [leader, ...workers] = nodes as [FloorNode, ...FloorNode[]];
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
  } finally {
    for (const e of engines) e.close();
  }
  return performance.now() - started;
}

/** Removes every container, volume and network labelled `magnetar.bench=<id>`. */
async function floorCleanup(host: Engine, id: string): Promise<void> {
  const filter = [`${BENCH_LABEL}=${id}`];
  await Promise.all((await host.listContainers(filter)).map((c) => host.removeContainer(c.Id)));
  await Promise.all((await host.listVolumes(filter)).map((v) => host.removeVolume(v.Name)));
  await Promise.all((await host.listNetworks(filter)).map((n) => host.removeNetwork(n.Id)));
}

// ---- the Magnetar side ---------------------------------------------------------------------------

/** A tiny JSON client for the in-process API. */
async function api<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      'OpenStack-API-Version': 'container-infra latest',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
}

async function apiOk<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await api<T>(base, method, path, body);
  if (r.status >= 400) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

interface ClusterView {
  status: string;
  status_reason: string | null;
}

interface EventView {
  phase: string;
  level: string;
  message: string;
  time: string;
}

/** One timed Magnetar create: POST, then GET every 20 ms until CREATE_COMPLETE. Returns the time and the cluster uuid. */
async function magnetarCreate(
  base: string,
  templateId: string,
  name: string,
  onUuid: (uuid: string) => void,
): Promise<{ ms: number; postedAt: number; uuid: string }> {
  const postedAt = Date.now();
  const started = performance.now();
  const { uuid } = await apiOk<{ uuid: string }>(base, 'POST', '/v1/clusters', {
    name,
    cluster_template_id: templateId,
    master_count: 1,
    node_count: 2,
  });
  onUuid(uuid);
  for (;;) {
    const c = await apiOk<ClusterView>(base, 'GET', `/v1/clusters/${uuid}`);
    if (c.status === 'CREATE_COMPLETE') return { ms: performance.now() - started, postedAt, uuid };
    if (c.status === 'CREATE_FAILED')
      throw new Error(`cluster ${name} CREATE_FAILED: ${c.status_reason ?? '(no reason)'}`);
    if (performance.now() - started > CLUSTER_TIMEOUT_MS)
      throw new Error(`cluster ${name} still ${c.status} after ${CLUSTER_TIMEOUT_MS / 1000} s`);
    await sleep(20);
  }
}

/** DELETE and wait until GET answers 404 (untimed). */
async function magnetarDelete(base: string, uuid: string): Promise<void> {
  const del = await api<unknown>(base, 'DELETE', `/v1/clusters/${uuid}`);
  if (del.status >= 400 && del.status !== 404)
    throw new Error(`DELETE cluster ${uuid}: HTTP ${del.status} ${JSON.stringify(del.json)}`);
  const deadline = Date.now() + CLUSTER_TIMEOUT_MS;
  for (;;) {
    const r = await api<ClusterView>(base, 'GET', `/v1/clusters/${uuid}`);
    if (r.status === 404) return;
    if (r.json.status === 'DELETE_FAILED')
      throw new Error(`cluster ${uuid} DELETE_FAILED: ${r.json.status_reason ?? '(no reason)'}`);
    if (Date.now() > deadline) throw new Error(`cluster ${uuid} not gone after ${CLUSTER_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

// ---- main ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer (got ${values.runs})`);

  const host = new Engine({ socketPath: SOCKET });
  const benchId = randomBytes(4).toString('hex');
  const stateDir = await mkdtemp(join(tmpdir(), 'magnetar-bench-'));
  let svc: Awaited<ReturnType<typeof startService>> | undefined;
  const floorIds: string[] = [];
  const liveClusters = new Set<string>();
  const floor: number[] = [];
  const magnetar: number[] = [];
  let lastEvents: { postedAt: number; events: EventView[] } | undefined;
  try {
    const [repo, tag] = NODE_IMAGE.split(':') as [string, string];
    const img = await buildNodeImage(host, {
      repo,
      tag,
      scriptsDir: SCRIPTS,
      ifMissing: true,
      log: (l) => void process.stderr.write(`${l}\n`),
    });
    if (img.imported) process.stderr.write(`node image ${img.image} built in ${img.seconds.toFixed(1)}s\n`);

    svc = await startService(
      loadConfig({
        flags: { state_dir: stateDir, 'api.port': 0, 'log.level': 'silent', 'docker.node_image': NODE_IMAGE },
      }),
    );
    const base = svc.url;
    if (!base) throw new Error('the service reported no API url');
    const tpl = await apiOk<{ uuid: string }>(base, 'POST', '/v1/clustertemplates', {
      name: `bench-${benchId}`,
      coe: 'swarm',
      image_id: NODE_IMAGE,
      server_type: 'container',
    });

    const fh: FloorHost = { host, security: undefined };
    for (let i = 1; i <= runs; i++) {
      const fid = `${benchId}-${i}`;
      floorIds.push(fid);
      try {
        floor.push(await floorCreate(fh, fid));
      } finally {
        await floorCleanup(host, fid);
      }
      process.stderr.write(`run ${i}: floor ${seconds(floor[i - 1] as number)} s\n`);

      const r = await magnetarCreate(base, tpl.uuid, `bench-${benchId}-${i}`, (u) => liveClusters.add(u));
      magnetar.push(r.ms);
      const ev = await apiOk<{ events: EventView[] }>(base, 'GET', `/v1/clusters/${r.uuid}/events`);
      lastEvents = { postedAt: r.postedAt, events: ev.events };
      await magnetarDelete(base, r.uuid);
      liveClusters.delete(r.uuid);
      process.stderr.write(`run ${i}: magnetar ${seconds(r.ms)} s\n`);
    }
    await apiOk(base, 'DELETE', `/v1/clustertemplates/${tpl.uuid}`);

    const out: string[] = [];
    out.push(`swarm cluster create, 1 master + 2 workers, ${runs} runs (alternating floor, magnetar)`);
    out.push('');
    out.push('run   floor s   magnetar s');
    for (let i = 0; i < runs; i++) {
      out.push(
        `${String(i + 1).padStart(3)}   ${seconds(floor[i] as number).padStart(7)}   ${seconds(magnetar[i] as number).padStart(10)}`,
      );
    }
    out.push(`med   ${seconds(median(floor)).padStart(7)}   ${seconds(median(magnetar)).padStart(10)}`);
    out.push(`mean  ${seconds(mean(floor)).padStart(7)}   ${seconds(mean(magnetar)).padStart(10)}`);
    out.push('');
    out.push(
      `ratio (median magnetar / median floor): ${(median(magnetar) / median(floor)).toFixed(2)}x (target <= ${TARGET.toFixed(2)}x)`,
    );
    if (lastEvents) {
      out.push('');
      out.push(`timeline of the last magnetar run (s after POST):`);
      for (const e of lastEvents.events) {
        const t = (Date.parse(e.time) - lastEvents.postedAt) / 1000;
        out.push(`${t.toFixed(3).padStart(8)}  ${e.phase.padEnd(10)} ${e.message}`);
      }
    }
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    if (svc?.url) {
      for (const uuid of liveClusters) {
        await magnetarDelete(svc.url, uuid).catch((e: unknown) =>
          process.stderr.write(`cleanup of cluster ${uuid} failed: ${(e as Error).message}\n`),
        );
      }
    }
    for (const fid of floorIds) {
      await floorCleanup(host, fid).catch((e: unknown) =>
        process.stderr.write(`cleanup of floor ${fid} failed: ${(e as Error).message}\n`),
      );
    }
    await svc?.stop();
    host.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/create: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
