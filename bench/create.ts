/**
 * @module bench/create: time from `POST /v1/clusters` to CREATE_COMPLETE of a 1 master + 2 worker cluster through a
 * real in-process Magnetar, next to a plain script doing the same container steps directly (the floor: swarm in
 * ./create-swarm.ts, Kubernetes in ./create-kubernetes.ts), alternating floor and Magnetar runs, each cleaned up. Then
 * the ratio of the medians, the event timeline of the last Magnetar run, the memory of each node container of that
 * cluster once it is complete, and the node image sizes. Prints figures only.
 * Run: `node_modules/.bin/node bench/create.ts [--coe swarm|kubernetes] [--runs N] [--masters M]` (default swarm, 5
 * runs, 1 master). `--masters 3 --coe kubernetes`: the highly available create (3 masters behind the API load
 * balancer, `master_lb_enabled`) against its floor, the same containers made directly (./create-kubernetes.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { DEFAULT_KUBE_TAG, kubeImageBuildCommand } from '../src/core/kube-versions.ts';
import { Engine } from '../src/docker-api/engine.ts';
import { buildNodeImage } from '../src/providers/docker/image-build.ts';
import { startService } from '../src/service.ts';
import { mib, seconds, timesTable } from './create-figures.ts';
import { KUBE_NODE_IMAGE, kubernetesFloorCreate } from './create-kubernetes.ts';
import {
  apiOk,
  clusterMemory,
  floorCleanup,
  imageSizes,
  magnetarCreate,
  magnetarDelete,
  type EventView,
  type FloorHost,
  type FloorResult,
} from './create-shared.ts';
import { SWARM_NODE_IMAGE, swarmFloorCreate } from './create-swarm.ts';

const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts');
const SOCKET = '/var/run/docker.sock';
const TARGET = 1.3;

/** What differs between the COEs: the node image, the template, the floor and the images whose size is shown. */
interface Coe {
  name: 'swarm' | 'kubernetes';
  image: string;
  template: Record<string, unknown>;
  floor: (fh: FloorHost, id: string, masters: number) => Promise<FloorResult>;
  /** Whether several masters (behind a load balancer) can be measured. */
  multiMaster: boolean;
  sizes: string[];
  /** Makes the node image when it is missing (or says how). */
  ensureImage: (host: Engine) => Promise<void>;
}

const COES: Record<Coe['name'], Coe> = {
  swarm: {
    name: 'swarm',
    image: SWARM_NODE_IMAGE,
    template: { coe: 'swarm', image_id: SWARM_NODE_IMAGE, server_type: 'container' },
    floor: (fh, id) => swarmFloorCreate(fh, id),
    multiMaster: false,
    sizes: [SWARM_NODE_IMAGE],
    ensureImage: async (host) => {
      const [repo, tag] = SWARM_NODE_IMAGE.split(':') as [string, string];
      const img = await buildNodeImage(host, {
        repo,
        tag,
        scriptsDir: SCRIPTS,
        ifMissing: true,
        log: (l) => void process.stderr.write(`${l}\n`),
      });
      if (img.imported) process.stderr.write(`node image ${img.image} built in ${img.seconds.toFixed(1)}s\n`);
    },
  },
  kubernetes: {
    name: 'kubernetes',
    image: KUBE_NODE_IMAGE,
    template: {
      coe: 'kubernetes',
      image_id: KUBE_NODE_IMAGE,
      server_type: 'container',
      labels: { kube_tag: DEFAULT_KUBE_TAG },
    },
    floor: kubernetesFloorCreate,
    multiMaster: true,
    sizes: [KUBE_NODE_IMAGE, 'magnetar/k8s-base:bookworm'],
    ensureImage: async (host) => {
      if (!(await host.inspectImage(KUBE_NODE_IMAGE)))
        throw new Error(`the node image ${KUBE_NODE_IMAGE} is not built: ${kubeImageBuildCommand(DEFAULT_KUBE_TAG)}`);
    },
  },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      coe: { type: 'string', default: 'swarm' },
      masters: { type: 'string', default: '1' },
    },
  });
  const masters = Number(values.masters);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer (got ${values.runs})`);
  const coe = COES[values.coe as Coe['name']] as Coe | undefined;
  if (!coe || !Object.hasOwn(COES, values.coe))
    throw new Error(`--coe must be one of ${Object.keys(COES).join(', ')} (got ${values.coe})`);
  if (!Number.isInteger(masters) || masters < 1 || (masters > 1 && !coe.multiMaster))
    throw new Error(`--masters must be 1${coe.multiMaster ? ' or more' : ` for ${coe.name}`} (got ${values.masters})`);

  const host = new Engine({ socketPath: SOCKET });
  const benchId = randomBytes(4).toString('hex');
  const stateDir = await mkdtemp(join(tmpdir(), 'magnetar-bench-'));
  let svc: Awaited<ReturnType<typeof startService>> | undefined;
  const floorIds: string[] = [];
  const liveClusters = new Set<string>();
  const floor: number[] = [];
  const magnetar: number[] = [];
  let lastEvents: { postedAt: number; events: EventView[] } | undefined;
  let lastFloor: FloorResult | undefined;
  let memory: { name: string; bytes: number }[] = [];
  try {
    await coe.ensureImage(host);
    svc = await startService(
      loadConfig({
        flags: { state_dir: stateDir, 'api.port': 0, 'log.level': 'silent', 'docker.node_image': SWARM_NODE_IMAGE },
      }),
    );
    const base = svc.url;
    if (!base) throw new Error('the service reported no API url');
    const tpl = await apiOk<{ uuid: string }>(base, 'POST', '/v1/clustertemplates', {
      name: `bench-${benchId}`,
      ...coe.template,
      ...(masters > 1 ? { master_lb_enabled: true } : {}),
    });

    const fh: FloorHost = { host, security: undefined };
    for (let i = 1; i <= runs; i++) {
      const fid = `${benchId}-${i}`;
      floorIds.push(fid);
      try {
        lastFloor = await coe.floor(fh, fid, masters);
        floor.push(lastFloor.ms);
      } finally {
        await floorCleanup(host, fid);
      }
      process.stderr.write(`run ${i}: floor ${seconds(floor[i - 1] as number)} s\n`);

      const r = await magnetarCreate(base, tpl.uuid, `bench-${benchId}-${i}`, (u) => liveClusters.add(u), masters);
      magnetar.push(r.ms);
      const ev = await apiOk<{ events: EventView[] }>(base, 'GET', `/v1/clusters/${r.uuid}/events`);
      lastEvents = { postedAt: r.postedAt, events: ev.events };
      if (i === runs) memory = await clusterMemory(host, r.uuid);
      await magnetarDelete(base, r.uuid);
      liveClusters.delete(r.uuid);
      process.stderr.write(`run ${i}: magnetar ${seconds(r.ms)} s\n`);
    }
    await apiOk(base, 'DELETE', `/v1/clustertemplates/${tpl.uuid}`);

    const out: string[] = [];
    const shape = masters > 1 ? `${masters} masters behind the API load balancer` : '1 master';
    out.push(`${coe.name} cluster create, ${shape} + 2 workers, ${runs} runs (alternating floor, magnetar)`);
    out.push('');
    out.push(...timesTable(floor, magnetar, TARGET));
    if (lastEvents) {
      out.push('');
      out.push(`timeline of the last magnetar run (s after POST):`);
      for (const e of lastEvents.events) {
        const t = (Date.parse(e.time) - lastEvents.postedAt) / 1000;
        out.push(`${t.toFixed(3).padStart(8)}  ${e.phase.padEnd(10)} ${e.message}`);
      }
    }
    if (lastFloor) {
      out.push('');
      out.push('timeline of the last floor run (s after its start):');
      for (const m of lastFloor.marks) out.push(`${(m.at / 1000).toFixed(3).padStart(8)}  ${m.what}`);
    }
    if (memory.length > 0) {
      out.push('');
      out.push('memory of the last magnetar cluster at CREATE_COMPLETE (usage less inactive page cache):');
      for (const m of memory) out.push(`  ${m.name.padEnd(60)} ${mib(m.bytes).padStart(12)}`);
      out.push(`  ${'total'.padEnd(60)} ${mib(memory.reduce((a, m) => a + m.bytes, 0)).padStart(12)}`);
    }
    const sizes = await imageSizes(host, coe.sizes);
    if (sizes.length > 0) {
      out.push('');
      out.push('image sizes:');
      for (const s of sizes) out.push(`  ${s.ref.padEnd(60)} ${mib(s.bytes).padStart(12)}`);
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
