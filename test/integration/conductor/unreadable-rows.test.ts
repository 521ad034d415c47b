/**
 * One row the store cannot read (a value written behind the API's back with SQL: an integer beyond 2^53, JSON that
 * does not parse) costs only its own cluster, on SQLite and PostgreSQL: the conductor fails that operation and cluster
 * with a status_reason naming the row and the cause, and the healthy cluster queued behind it completes; the health
 * pass marks the cluster and checks every other one. The driver is scripted (the one fake: this tests the conductor
 * and the store, not a provider).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { ClusterCa } from '../../../src/certs/cluster-ca.ts';
import { HealthSync } from '../../../src/conductor/health-sync.ts';
import { Worker } from '../../../src/conductor/worker.ts';
import { newCluster } from '../../../src/core/cluster-rules.ts';
import { KeySealer } from '../../../src/certs/key-sealing.ts';
import type { Caller, ClusterTemplate } from '../../../src/core/types.ts';
import type { ClusterOutputs, Driver, HealthReport } from '../../../src/drivers/contract.ts';
import { DriverRegistry } from '../../../src/drivers/registry.ts';
import { openDb } from '../../../src/store/database.ts';
import { Store } from '../../../src/store/store.ts';
import { templateRecord } from '../../helpers/builders.ts';
import { freshDatabase, type FreshDatabase } from '../../helpers/postgres.ts';

const caller: Caller = { userId: 'u', projectId: 'p', roles: ['admin'], isAdmin: true };
const outputs: ClusterOutputs = {
  apiAddress: 'tcp://127.0.0.1:1234',
  coeVersion: '20.10',
  containerVersion: '20.10',
  addresses: {},
};
const healthy: HealthReport = { status: 'HEALTHY', reason: { api: 'ok' }, failed: [] };

/** Completes every create at once and reports every cluster healthy. */
class InstantDriver implements Driver {
  readonly name = 'instant';
  readonly provides = [{ serverType: 'container', os: 'debian', coe: 'swarm' }];
  readonly capabilities = new Set(['health'] as const);
  readonly defaultNetworkDriver = 'docker';
  created: string[] = [];
  checked: string[] = [];
  validateTemplate(): void {}
  async ensureCluster(ctx: { cluster: { uuid: string } }): Promise<ClusterOutputs> {
    this.created.push(ctx.cluster.uuid);
    return outputs;
  }
  async removeCluster(): Promise<void> {}
  async checkHealth(ctx: { cluster: { uuid: string } }): Promise<HealthReport> {
    this.checked.push(ctx.cluster.uuid);
    return healthy;
  }
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`one unreadable row on ${engine}`, () => {
    let dir: string;
    let pgDb: FreshDatabase | undefined;
    let store: Store;
    let ca: ClusterCa;
    let template: ClusterTemplate;
    const warnings: string[] = [];
    const log = { info: () => {}, debug: () => {}, warn: (o: unknown) => void warnings.push(JSON.stringify(o)) };
    const driver = new InstantDriver();
    const drivers = new DriverRegistry();
    drivers.register(driver as unknown as Driver);

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'magnetar-unreadable-'));
      if (engine === 'postgres') pgDb = await freshDatabase('magnetar_unreadable');
      store = new Store(await openDb({ url: pgDb?.url ?? join(dir, 'db.sqlite') }));
      ca = new ClusterCa(store.certificates, new KeySealer(randomBytes(32)));
      template = await store.templates.insert(templateRecord({ name: 't', project_id: 'p', user_id: 'u' }));
    });
    after(async () => {
      await store.close();
      await pgDb?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    /** Runs a statement as an operator (or an older release) would have: straight SQL, no decoding. */
    const raw = (text: string): Promise<unknown> => sql.raw(text).execute(store.db.kysely);
    const rawCluster = async (uuid: string): Promise<Record<string, unknown>> => {
      const r = await sql<Record<string, unknown>>`select status, status_reason, health_status, health_status_reason
        from clusters where uuid = ${uuid}`.execute(store.db.kysely);
      return r.rows[0] ?? {};
    };

    async function queueCreate(name: string): Promise<{ cluster: string; op: string }> {
      const now = new Date().toISOString();
      const { cluster, nodegroups } = newCluster(
        template,
        { cluster_template_id: template.uuid, node_count: 1, name },
        caller,
        { zeroNodesAllowed: false, now },
      );
      const op = randomUUID();
      await store.clusters.createWithOperation(
        cluster,
        nodegroups,
        { uuid: op, cluster_id: cluster.uuid, kind: 'cluster_create', deadline: Date.now() + 60_000, created_at: now },
        { cluster_id: cluster.uuid, phase: 'accepted', level: 'info', message: 'accepted' },
        await ca.newCa(cluster.name),
      );
      return { cluster: cluster.uuid, op };
    }

    async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
      const end = Date.now() + ms;
      for (;;) {
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }

    it('the conductor fails the poisoned operations and clusters with a named reason; the healthy one completes', async () => {
      // Queued first, so each sits at the head of the queue ahead of the healthy cluster.
      const badOp = await queueCreate('bad-op');
      await raw(`update operations set deadline = 4611686018427387904 where uuid = '${badOp.op}'`);
      const badJson = await queueCreate('bad-json');
      await raw(`update clusters set labels = '{"unterminated' where uuid = '${badJson.cluster}'`);
      const badNg = await queueCreate('bad-ng');
      await raw(`update nodegroups set node_addresses = 'not json' where cluster_id = '${badNg.cluster}'`);
      const badInt = engine === 'sqlite' ? await queueCreate('bad-int') : undefined;
      // SQLite keeps any 64-bit integer in an INTEGER column; PostgreSQL's integer refuses it at the write.
      if (badInt) await raw(`update clusters set create_timeout = 9007199254740993 where uuid = '${badInt.cluster}'`);
      const good = await queueCreate('good');

      const w = new Worker({ store, drivers, ca, log, maxAttempts: 3 }, { concurrency: 1, leaseMs: 2_000, pollMs: 20 });
      w.start();
      try {
        await until('the healthy cluster', async () =>
          (await store.clusters.get(good.cluster))?.status === 'CREATE_COMPLETE' ? true : undefined,
        );
        const failed = async (uuid: string, reason: RegExp): Promise<void> => {
          const row = await until(`cluster ${uuid} failed`, async () => {
            const r = await rawCluster(uuid);
            return r.status === 'CREATE_FAILED' ? r : undefined;
          });
          assert.match(String(row.status_reason), reason);
        };
        await failed(
          badOp.cluster,
          new RegExp(
            `^operation ${badOp.op}: unreadable row: deadline 4611686018427387904 exceeds the exact integer range`,
          ),
        );
        await failed(
          badJson.cluster,
          new RegExp(`^cluster ${badJson.cluster}: unreadable row: labels is not valid JSON`),
        );
        await failed(badNg.cluster, /^node group [0-9a-f-]+: unreadable row: node_addresses is not valid JSON/);
        if (badInt) {
          await failed(
            badInt.cluster,
            new RegExp(`^cluster ${badInt.cluster}: unreadable row: create_timeout 9007199254740993 exceeds`),
          );
        }
      } finally {
        await w.stop();
      }
      assert.deepEqual(driver.created, [good.cluster], 'the driver saw only the readable cluster');
      const ops = await sql<{ uuid: string; state: string; error: string | null }>`select uuid, state, error
        from operations where uuid = ${badOp.op}`.execute(store.db.kysely);
      assert.equal(ops.rows[0]?.state, 'failed', 'the poisoned operation is closed, never claimed again');
      const events = await store.events.list(badOp.cluster);
      assert.ok(events.some((e) => e.level === 'error' && /unreadable row: deadline/.test(e.message)));
      assert.ok(
        warnings.some((m) => m.includes('unreadable row')),
        'logged',
      );
      for (const uuid of [badJson.cluster, badNg.cluster]) {
        const ngs = await sql<{ status: string }>`select status from nodegroups where cluster_id = ${uuid}`.execute(
          store.db.kysely,
        );
        assert.ok(
          ngs.rows.every((n) => n.status === 'CREATE_FAILED'),
          'its node groups end with it',
        );
      }
    });

    it('the health pass marks the unreadable cluster and checks every other one', async () => {
      const complete = async (name: string): Promise<string> => {
        const { cluster } = await queueCreate(name);
        const [op] = await store.operations.active(cluster);
        assert.ok(op);
        await store.clusters.complete(
          cluster,
          'CREATE_COMPLETE',
          { api_address: 'tcp://127.0.0.1:1', coe_version: null, container_version: null, addresses: {} },
          op,
          { cluster_id: cluster, phase: 'complete', level: 'info', message: 'done' },
          new Date().toISOString(),
        );
        return cluster;
      };
      const fine = await complete('fine');
      const bad = await complete('bad');
      const badGroup = await complete('bad-group');
      await raw(`update clusters set health_status_reason = '[1,' where uuid = '${bad}'`);
      await raw(`update nodegroups set labels = '"a string"' where cluster_id = '${badGroup}'`);
      driver.checked = [];
      const sync = new HealthSync(
        {
          store,
          drivers,
          ca,
          inventory: { observeMachines: async () => new Map() },
          log,
          owner: 'health-test',
        },
        { periodMs: 60_000 },
      );
      try {
        const pass = await sync.runOnce();
        assert.equal(pass.ran, true);
        assert.deepEqual([...pass.unreadable].sort(), [bad, badGroup].sort());
        assert.ok(driver.checked.includes(fine), 'the readable cluster was checked');
        assert.ok(!driver.checked.includes(bad) && !driver.checked.includes(badGroup));
        assert.equal((await store.clusters.get(fine))?.health_status, 'HEALTHY');
        const b = await rawCluster(bad);
        assert.match(
          String(b.status_reason),
          new RegExp(`^cluster ${bad}: unreadable row: health_status_reason is not valid JSON`),
        );
        assert.equal(b.health_status, 'UNKNOWN');
        assert.equal(b.status, 'CREATE_COMPLETE', 'no operation ran: the status stays');
        const g = await rawCluster(badGroup);
        assert.match(String(g.status_reason), /^node group [0-9a-f-]+: unreadable row: labels is not a JSON object$/);
        // A second pass finds the marks in place and writes nothing new.
        const eventsBefore = (await store.events.list(badGroup)).length;
        const again = await sync.runOnce();
        assert.ok(again.unreadable.includes(badGroup));
        assert.equal((await store.events.list(badGroup)).length, eventsBefore, 'marked once');
      } finally {
        await sync.stop();
      }
    });
  });
}
