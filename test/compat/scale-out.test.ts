/**
 * Scale-out on PostgreSQL: two `magnetar api` and two `magnetar conductor` processes on one fresh database create,
 * resize and delete swarm clusters concurrently through both APIs — no operation is run twice and none is lost — and
 * a conductor killed with SIGKILL mid-create is taken over by the other once its lease expires.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../src/providers/docker/image-build.ts';
import { CLUSTER_LABEL } from '../../src/providers/contract.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/postgres.ts';
import {
  getJson,
  REPO,
  startApi,
  startConductor,
  waitCluster,
  type MagnetarProcess,
  type ServeProcess,
} from '../helpers/service-process.ts';

const host = new Engine({ socketPath: '/var/run/docker.sock' });
/**
 * Short leases so a takeover happens in seconds; two workers per conductor so both conductors get work; heartbeats
 * every second so a killed process is reported down within seconds.
 */
const ENV = {
  MAGNETAR_LEASE_SECONDS: '3',
  MAGNETAR_CONDUCTOR_WORKERS: '2',
  MAGNETAR_POLL_MS: '200',
  MAGNETAR_HEARTBEAT_SECONDS: '1',
};
/** Each process reports its own host name in GET /v1/processes (conductors also in GET /v1/mservices). */
const proc = (db: FreshDatabase, name: string): { databaseUrl: string; env: Record<string, string> } => ({
  databaseUrl: db.url,
  env: { ...ENV, MAGNETAR_SERVICE_HOST: name },
});
const VERSION = { 'OpenStack-API-Version': 'container-infra latest' };
const HEADERS = { 'Content-Type': 'application/json', ...VERSION };

interface OpRow {
  uuid: string;
  cluster_id: string;
  kind: string;
  state: string;
  owner: string | null;
  attempt: number;
}

/**
 * Samples the operations table every 50 ms (rows of a deleted cluster disappear with it): the highest attempt and
 * every owner seen per operation.
 */
class OperationWatch {
  readonly seen = new Map<string, { kind: string; cluster: string; attempt: number; owners: Set<string> }>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #db: FreshDatabase;
  constructor(db: FreshDatabase) {
    this.#db = db;
  }
  start(): void {
    const tick = async (): Promise<void> => {
      await this.sample().catch(() => undefined);
      // A sample in flight when stop() ran must not re-arm the timer (that kept the test process alive forever).
      if (!this.#stopped) this.#timer = setTimeout(() => void tick(), 50);
    };
    void tick();
  }
  async sample(): Promise<OpRow[]> {
    const rows = await this.#db.query<OpRow>('SELECT uuid, cluster_id, kind, state, owner, attempt FROM operations');
    for (const r of rows) {
      const s = this.seen.get(r.uuid) ?? { kind: r.kind, cluster: r.cluster_id, attempt: 0, owners: new Set<string>() };
      s.attempt = Math.max(s.attempt, r.attempt);
      if (r.owner) s.owners.add(r.owner);
      this.seen.set(r.uuid, s);
    }
    return rows;
  }
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function nodeContainers(uuid: string): Promise<number> {
  return (await host.listContainers([`${CLUSTER_LABEL}=${uuid}`])).length;
}

async function leftovers(uuid: string): Promise<number> {
  const f = [`${CLUSTER_LABEL}=${uuid}`];
  const [c, v, n] = await Promise.all([host.listContainers(f), host.listVolumes(f), host.listNetworks(f)]);
  return c.length + v.length + n.length;
}

async function events(api: ServeProcess, uuid: string): Promise<string[]> {
  const r = await getJson(`${api.url}/v1/clusters/${uuid}/events`);
  return (r.body.events as { message: string }[]).map((e) => e.message);
}

describe('two API and two conductor processes on one PostgreSQL', () => {
  let dir: string;
  let db: FreshDatabase;
  let watch: OperationWatch;
  const apis: ServeProcess[] = [];
  const conductors: (MagnetarProcess & { owner: string })[] = [];

  before(async () => {
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: join(REPO, 'scripts'),
      ifMissing: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'magnetar-scale-'));
    db = await freshDatabase('magnetar_scale');
    // One state dir: every process must seal and open cluster CA keys with the same master.key.
    const state = join(dir, 'state');
    // All four at once: concurrent migrations on a fresh database must be safe too.
    const started = await Promise.all([
      startApi(state, proc(db, 'api-1')),
      startApi(state, proc(db, 'api-2')),
      startConductor(state, proc(db, 'conductor-1')),
      startConductor(state, proc(db, 'conductor-2')),
    ]);
    apis.push(started[0], started[1]);
    conductors.push(started[2], started[3]);
    watch = new OperationWatch(db);
    watch.start();
    const t = await post(`${apis[0]!.url}/v1/clustertemplates`, {
      name: 'swarm-scale',
      coe: 'swarm',
      image_id: 'magnetar/node:bookworm',
      server_type: 'container',
      external_network_id: 'public',
    });
    assert.equal(t.status, 201, JSON.stringify(t.body));
  });

  after(async () => {
    watch?.stop();
    // A failed test may leave clusters: delete what is left through the API while the processes still run.
    const live = apis[0] && (await getJson(`${apis[0].url}/v1/clusters`).catch(() => undefined));
    const left = ((live?.body.clusters ?? []) as { uuid: string }[]).map((c) => c.uuid);
    await Promise.all(
      left.map((u) => fetch(`${apis[0]!.url}/v1/clusters/${u}`, { method: 'DELETE', headers: VERSION })),
    );
    await Promise.all(
      left.map((u) => waitCluster(apis[0]!.url, u, (_s, code) => code === 404, 120_000).catch(() => undefined)),
    );
    const codes = await Promise.all([...apis, ...conductors].map((p) => p.stop()));
    host.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
    // Graceful SIGTERM: every process that was not killed exits 0.
    assert.deepEqual(
      codes.filter((c) => c !== null),
      codes.filter((c) => c === 0),
      `exit codes ${JSON.stringify(codes)}`,
    );
  });

  it('reports every api and conductor process up in GET /v1/processes, the conductor hosts in GET /v1/mservices', async () => {
    const r = await getJson(`${apis[1]!.url}/v1/processes`);
    const rows = (r.body.processes as { host: string; binary: string; state: string }[])
      .map((m) => `${m.host} ${m.binary} ${m.state}`)
      .sort();
    assert.deepEqual(rows, [
      'api-1 magnetar-api up',
      'api-2 magnetar-api up',
      'conductor-1 magnetar-conductor up',
      'conductor-2 magnetar-conductor up',
    ]);
    const m = await getJson(`${apis[0]!.url}/v1/mservices`);
    const magnum = (m.body.mservices as { id: number; host: string; binary: string; state: string }[]).map(
      (s) => `${s.host} ${s.binary} ${s.state}`,
    );
    assert.deepEqual([...magnum].sort(), ['conductor-1 magnum-conductor up', 'conductor-2 magnum-conductor up']);
    assert.deepEqual(
      (m.body.mservices as { id: number }[]).map((s) => s.id),
      [1, 2],
    );
  });

  it('creates, resizes and deletes four clusters concurrently through both APIs, each operation run exactly once', async () => {
    const names = ['scale-a', 'scale-b', 'scale-c', 'scale-d'];
    const created = await Promise.all(
      names.map((name, i) =>
        post(`${apis[i % 2]!.url}/v1/clusters`, {
          name,
          cluster_template_id: 'swarm-scale',
          master_count: 1,
          node_count: 1,
        }),
      ),
    );
    assert.deepEqual(
      created.map((c) => c.status),
      [202, 202, 202, 202],
      JSON.stringify(created.map((c) => c.body)),
    );
    const uuids = created.map((c) => c.body.uuid as string);
    const done = await Promise.all(
      uuids.map((u, i) => waitCluster(apis[(i + 1) % 2]!.url, u, (s) => s !== 'CREATE_IN_PROGRESS', 300_000)),
    );
    for (const d of done) assert.equal(d.body.status, 'CREATE_COMPLETE', JSON.stringify(d.body));
    for (const u of uuids)
      assert.equal(await nodeContainers(u), 2, `cluster ${u}: one master, one worker, no duplicates`);

    // Resize two of them (one through each API) while the other two are being deleted.
    const resized = await Promise.all(
      uuids.slice(0, 2).map((u, i) => post(`${apis[i]!.url}/v1/clusters/${u}/actions/resize`, { node_count: 2 })),
    );
    assert.deepEqual(
      resized.map((r) => r.status),
      [202, 202],
      JSON.stringify(resized.map((r) => r.body)),
    );
    const deleting = await Promise.all(
      uuids.slice(2).map((u, i) => fetch(`${apis[i]!.url}/v1/clusters/${u}`, { method: 'DELETE', headers: VERSION })),
    );
    assert.deepEqual(
      deleting.map((r) => r.status),
      [204, 204],
    );
    const afterResize = await Promise.all(
      uuids.slice(0, 2).map((u) => waitCluster(apis[1]!.url, u, (s) => s !== 'UPDATE_IN_PROGRESS', 300_000)),
    );
    for (const d of afterResize) {
      assert.equal(d.body.status, 'UPDATE_COMPLETE', JSON.stringify(d.body));
      assert.equal(d.body.node_count, 2);
    }
    for (const u of uuids.slice(0, 2))
      assert.equal(await nodeContainers(u), 3, `cluster ${u}: one master, two workers`);

    // Timelines: one "cluster created" per cluster, no resumed attempt.
    for (const u of uuids.slice(0, 2)) {
      const ev = await events(apis[0]!, u);
      assert.equal(ev.filter((m) => m === 'cluster created').length, 1, ev.join('\n'));
      assert.equal(ev.filter((m) => m.startsWith('cluster updated')).length, 1, ev.join('\n'));
      assert.ok(!ev.some((m) => /^attempt \d+ of/.test(m)), ev.join('\n'));
    }

    await Promise.all(
      uuids
        .slice(0, 2)
        .map((u, i) => fetch(`${apis[i]!.url}/v1/clusters/${u}`, { method: 'DELETE', headers: VERSION })),
    );
    await Promise.all(uuids.map((u, i) => waitCluster(apis[i % 2]!.url, u, (_s, code) => code === 404, 300_000)));
    await watch.sample();
    for (const u of uuids) assert.equal(await leftovers(u), 0, `nothing of ${u} is left`);

    // The operations seen: create, delete (and update for the resized ones) per cluster, each attempted exactly once.
    // Cluster operations only (the health sync's singleton lease lives in the same table).
    const ops = [...watch.seen.values()].filter((o) => o.kind.startsWith('cluster_'));
    for (const [i, u] of uuids.entries()) {
      const kinds = ops
        .filter((o) => o.cluster === u)
        .map((o) => o.kind)
        .sort();
      assert.deepEqual(
        kinds,
        i < 2 ? ['cluster_create', 'cluster_delete', 'cluster_update'] : ['cluster_create', 'cluster_delete'],
        u,
      );
    }
    assert.deepEqual(
      ops.filter((o) => o.attempt !== 1 || o.owners.size !== 1),
      [],
      'no operation attempted twice or by two conductors',
    );
    const owners = new Set(ops.flatMap((o) => [...o.owners]));
    assert.deepEqual([...owners].sort(), conductors.map((c) => c.owner).sort(), 'both conductors took work');
    assert.deepEqual(
      await db.query("SELECT * FROM operations WHERE kind LIKE 'cluster%'"),
      [],
      'no operation left behind',
    );
  });

  it('lets the surviving conductor take over a create whose conductor was killed with SIGKILL', async () => {
    const c = await post(`${apis[1]!.url}/v1/clusters`, {
      name: 'scale-crash',
      cluster_template_id: 'swarm-scale',
      master_count: 1,
      node_count: 1,
    });
    assert.equal(c.status, 202, JSON.stringify(c.body));
    const uuid = c.body.uuid as string;
    // Find who claimed it, and kill that conductor as soon as the first node container exists.
    let owner: string | null = null;
    for (let i = 0; i < 600 && !(owner && (await nodeContainers(uuid)) > 0); i++) {
      owner = (await db.query<OpRow>('SELECT owner FROM operations WHERE cluster_id = $1', [uuid]))[0]?.owner ?? null;
      await new Promise((r) => setTimeout(r, 25));
    }
    const victim = conductors.find((p) => p.owner === owner);
    assert.ok(victim, `the create was claimed by one of the conductors (owner ${owner})`);
    const survivor = conductors.find((p) => p !== victim)!;
    await victim.kill9();
    const victimHost = `conductor-${conductors.indexOf(victim) + 1}`;

    const done = await waitCluster(apis[0]!.url, uuid, (s) => s !== 'CREATE_IN_PROGRESS', 300_000);
    assert.equal(done.body.status, 'CREATE_COMPLETE', JSON.stringify(done.body));
    const [op] = await db.query<OpRow>('SELECT * FROM operations WHERE cluster_id = $1', [uuid]);
    assert.equal(op?.state, 'done');
    assert.equal(op.attempt, 2, 'run again once, after the lease expired');
    const seen = watch.seen.get(op.uuid);
    assert.deepEqual([...(seen?.owners ?? [])].sort(), [victim.owner, survivor.owner].sort());
    const ev = await events(apis[1]!, uuid);
    assert.ok(ev.includes('attempt 2 of cluster_create (resuming)'), ev.join('\n'));
    assert.equal(ev.filter((m) => m === 'cluster created').length, 1, ev.join('\n'));
    assert.equal(await nodeContainers(uuid), 2, 'exactly its two nodes, no duplicates');
    const services = (await getJson(`${apis[0]!.url}/v1/mservices`)).body.mservices as {
      host: string;
      state: string;
    }[];
    assert.deepEqual(
      services.filter((m) => m.state === 'down').map((m) => m.host),
      [victimHost],
      'the killed conductor is reported down, the others up',
    );

    assert.equal(
      (await fetch(`${apis[1]!.url}/v1/clusters/${uuid}`, { method: 'DELETE', headers: VERSION })).status,
      204,
    );
    await waitCluster(apis[0]!.url, uuid, (_s, code) => code === 404, 300_000);
    assert.equal(await leftovers(uuid), 0);
  });
});
