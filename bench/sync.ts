/**
 * @module bench/sync: provider calls of ONE health sync pass with 1, 100 and 1,000 clusters in the store. One cluster is
 * a real swarm (1 master + 1 worker, built by the real driver); the others are rows whose nodes do not exist. Calls are
 * counted by wrapping the Engine (host socket and node engines separately). Prints a table only.
 * Run: `node_modules/.bin/node bench/sync.ts`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterCa } from '../src/certs/cluster-ca.ts';
import { KeySealer } from '../src/certs/key-sealing.ts';
import { HealthSync } from '../src/conductor/health-sync.ts';
import { Worker } from '../src/conductor/worker.ts';
import { newCluster } from '../src/core/cluster-rules.ts';
import type { Caller, ClusterTemplate } from '../src/core/types.ts';
import { DockerDriver } from '../src/drivers/docker/driver.ts';
import { DriverRegistry } from '../src/drivers/registry.ts';
import type { NodeEngineFactory } from '../src/drivers/local-common/provisioning.ts';
import { SwarmDriver } from '../src/drivers/swarm/driver.ts';
import {
  Engine,
  type EngineEndpoint,
  type EngineOptions,
  type RequestOptions,
  type RawResponse,
} from '../src/docker-api/engine.ts';
import { buildNodeImage } from '../src/providers/docker/image-build.ts';
import { DockerProvider } from '../src/providers/docker/provider.ts';
import { openDb } from '../src/store/database.ts';
import { fromCluster, fromNodegroup } from '../src/store/rows.ts';
import { Store } from '../src/store/store.ts';
import { templateRecord } from '../test/helpers/builders.ts';

const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts');
const NODE_IMAGE = 'magnetar/node:bookworm';
const SIZES = [1, 100, 1000];
const caller: Caller = { userId: 'bench', projectId: 'bench', roles: ['admin'], isAdmin: true };
const silent = { info: () => {}, warn: () => {}, debug: () => {} };

/** Provider calls by endpoint kind, and by method + path. */
interface Counter {
  calls: number;
  paths: Map<string, number>;
}

/** An Engine that counts every request it sends (all requests go through requestRaw or requestStream). */
class CountingEngine extends Engine {
  readonly #counter: Counter;
  constructor(endpoint: EngineEndpoint, counter: Counter, opts?: EngineOptions) {
    super(endpoint, opts);
    this.#counter = counter;
  }
  #count(method: string, path: string): void {
    this.#counter.calls++;
    const key = `${method} ${path.replace(/[0-9a-f]{64}/, '{id}')}`;
    this.#counter.paths.set(key, (this.#counter.paths.get(key) ?? 0) + 1);
  }
  override requestRaw(method: string, path: string, opts?: RequestOptions): Promise<RawResponse> {
    this.#count(method, path);
    return super.requestRaw(method, path, opts);
  }
  override requestStream(method: string, path: string, opts?: RequestOptions): ReturnType<Engine['requestStream']> {
    this.#count(method, path);
    return super.requestStream(method, path, opts);
  }
}

const reset = (...cs: Counter[]): void => cs.forEach((c) => ((c.calls = 0), c.paths.clear()));
const fmt = (c: Counter): string => [...c.paths].map(([k, n]) => `${n}× ${k}`).join(', ') || '-';

async function main(): Promise<void> {
  const hostCalls: Counter = { calls: 0, paths: new Map() };
  const nodeCalls: Counter = { calls: 0, paths: new Map() };
  const host = new CountingEngine({ socketPath: '/var/run/docker.sock' }, hostCalls);
  await buildNodeImage(host, { repo: 'magnetar/node', tag: 'bookworm', scriptsDir: SCRIPTS, ifMissing: true });
  const provider = new DockerProvider(host, { probeImage: NODE_IMAGE });
  const nodeEngine: NodeEngineFactory = (ep, o) => new CountingEngine(ep, nodeCalls, o);
  const dir = await mkdtemp(join(tmpdir(), 'magnetar-bench-sync-'));
  const store = new Store(await openDb({ url: join(dir, 'db.sqlite') }));
  const ca = new ClusterCa(store.certificates, new KeySealer(randomBytes(32)));
  const drivers = new DriverRegistry();
  drivers.register(new SwarmDriver({ provider, nodeEngine, serveVm: true }));
  drivers.register(new DockerDriver({ provider, nodeEngine, serveVm: true }));
  let realUuid: string | undefined;
  try {
    const now = new Date().toISOString();
    const template: ClusterTemplate = await store.templates.insert(
      templateRecord({
        name: 'bench-sync',
        project_id: 'bench',
        user_id: 'bench',
        image_id: NODE_IMAGE,
        created_at: now,
      }),
    );

    // One real cluster, made by the real driver through the conductor.
    const real = newCluster(
      template,
      { cluster_template_id: template.uuid, name: 'bench-real', node_count: 1 },
      caller,
      { zeroNodesAllowed: false, now },
    );
    realUuid = real.cluster.uuid;
    await store.clusters.createWithOperation(
      real.cluster,
      real.nodegroups,
      {
        uuid: randomUUID(),
        cluster_id: real.cluster.uuid,
        kind: 'cluster_create',
        deadline: Date.now() + 300_000,
        created_at: now,
      },
      { cluster_id: real.cluster.uuid, phase: 'accepted', level: 'info', message: 'bench' },
      await ca.newCa('bench-real'),
    );
    const worker = new Worker(
      { store, drivers, ca, log: silent, maxAttempts: 3 },
      { concurrency: 1, leaseMs: 10_000, pollMs: 50 },
    );
    worker.start();
    for (;;) {
      const s = (await store.clusters.get(real.cluster.uuid))?.status;
      if (s === 'CREATE_COMPLETE') break;
      if (s !== 'CREATE_IN_PROGRESS') throw new Error(`the real cluster ended ${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await worker.stop();

    const sync = new HealthSync(
      { store, drivers, ca, inventory: provider, log: silent, owner: 'bench' },
      { periodMs: 10_000 },
    );
    let rows = 1;
    const table: string[][] = [];
    let detail = '';
    for (const size of SIZES) {
      // Rows without containers: clusters as the store holds them, CREATE_COMPLETE, whose nodes are gone.
      await store.db.kysely.transaction().execute(async (tx) => {
        for (; rows < size; rows++) {
          const c = newCluster(
            template,
            { cluster_template_id: template.uuid, name: `bench-row-${rows}`, node_count: 1 },
            caller,
            { zeroNodesAllowed: false, now },
          );
          await tx
            .insertInto('clusters')
            .values(fromCluster({ ...c.cluster, status: 'CREATE_COMPLETE' }))
            .execute();
          for (const ng of c.nodegroups)
            await tx
              .insertInto('nodegroups')
              .values(fromNodegroup({ ...ng, status: 'CREATE_COMPLETE' }))
              .execute();
        }
      });
      await sync.runOnce(); // warm-up: first health write per cluster
      reset(hostCalls, nodeCalls);
      const started = performance.now();
      const pass = await sync.runOnce();
      const ms = performance.now() - started;
      if (!pass.ran) throw new Error('the pass did not run');
      table.push([
        String(size),
        String(hostCalls.calls),
        String(nodeCalls.calls),
        String(hostCalls.calls + nodeCalls.calls),
        ms.toFixed(0),
        JSON.stringify(pass.byStatus),
      ]);
      detail = `host: ${fmt(hostCalls)}; nodes: ${fmt(nodeCalls)}`;
    }
    await sync.stop();
    const head = ['clusters in store', 'host engine calls', 'node engine calls', 'total', 'pass ms', 'health'];
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] as string).length)));
    const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
    console.log(line(head));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of table) console.log(line(r));
    console.log(`\ncalls in the last pass: ${detail}`);
    console.log(
      'per pass: 1 host GET /containers/json for all clusters + 1 GET /nodes per cluster with a running manager (here: 1 real cluster).',
    );
  } finally {
    if (realUuid) await provider.removeCluster(realUuid);
    await store.close();
    host.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
