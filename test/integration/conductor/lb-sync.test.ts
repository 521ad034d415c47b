/**
 * The conductor's load-balancer sync on SQLite and PostgreSQL, with a recording driver: it asks only clusters whose
 * driver declares `load-balancers` and that are not being created or deleted; a host without such clusters costs no
 * write (no lease row); one cluster's failure does not stop the others; events go on the cluster's timeline; two
 * conductors never run a pass at the same time (the `lb-sync` lease); a cluster whose apiserver hangs holds up no
 * other cluster (the pass goes on after `waitMs`, the sync is bounded by `clusterTimeoutMs`), is skipped while its
 * sync runs and then backed off, its reason on its timeline, and is synced again once its backoff is over.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClusterCa } from '../../../src/certs/cluster-ca.ts';
import { KeySealer } from '../../../src/certs/key-sealing.ts';
import { LB_LEASE, LoadBalancerSync } from '../../../src/conductor/lb-sync.ts';
import { newCluster } from '../../../src/core/cluster-rules.ts';
import type { Caller, ClusterTemplate } from '../../../src/core/types.ts';
import type {
  Capability,
  ClusterOutputs,
  Driver,
  LoadBalancerSyncContext,
  LoadBalancerSyncReport,
} from '../../../src/drivers/contract.ts';
import { DriverRegistry } from '../../../src/drivers/registry.ts';
import { openDb } from '../../../src/store/database.ts';
import { Store } from '../../../src/store/store.ts';
import { templateRecord } from '../../helpers/builders.ts';
import { freshDatabase, type FreshDatabase } from '../../helpers/postgres.ts';

const silent = { info: () => {}, warn: () => {}, debug: () => {} };
const caller: Caller = { userId: 'u', projectId: 'p', roles: ['admin'], isAdmin: true };

/** A driver of one COE that records the clusters it was asked to sync; `fail` names clusters whose sync throws. */
class RecordingDriver implements Driver {
  readonly name: string;
  readonly provides;
  readonly capabilities: ReadonlySet<Capability>;
  readonly defaultNetworkDriver = 'flannel';
  synced: string[] = [];
  fail = new Set<string>();
  /** Clusters whose sync hangs until it is aborted (an apiserver that never answers). */
  hang = new Set<string>();
  constructor(coe: string, lbs: boolean) {
    this.name = `recording-${coe}`;
    this.provides = [{ serverType: 'container', os: 'debian', coe }];
    this.capabilities = new Set<Capability>(lbs ? ['load-balancers'] : []);
  }
  validateTemplate(): void {}
  async ensureCluster(): Promise<ClusterOutputs> {
    throw new Error('not used');
  }
  async removeCluster(): Promise<void> {}
  async syncLoadBalancers(ctx: LoadBalancerSyncContext): Promise<LoadBalancerSyncReport> {
    this.synced.push(ctx.cluster.name);
    assert.ok((await ctx.pki.conductorClient()).certPem.includes('BEGIN CERTIFICATE'));
    if (this.fail.has(ctx.cluster.name)) throw new Error(`apiserver of ${ctx.cluster.name} unreachable`);
    if (this.hang.has(ctx.cluster.name))
      await new Promise((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(new Error('apiserver call aborted')), { once: true }),
      );
    await ctx.event('load-balancer', `synced ${ctx.cluster.name}`);
    return { ensured: [], removed: [], published: [] };
  }
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`load-balancer sync on ${engine}`, () => {
    let store: Store;
    let dir: string;
    let pgDb: FreshDatabase | undefined;
    let ca: ClusterCa;
    const kube = new RecordingDriver('kubernetes', true);
    const swarm = new RecordingDriver('swarm', false);
    const drivers = new DriverRegistry();
    drivers.register(kube);
    drivers.register(swarm);
    const templates: Record<string, ClusterTemplate> = {};

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'magnetar-lbsync-'));
      if (engine === 'postgres') pgDb = await freshDatabase('magnetar_lbsync');
      store = new Store(await openDb({ url: pgDb?.url ?? join(dir, 'db.sqlite') }));
      ca = new ClusterCa(store.certificates, new KeySealer(randomBytes(32)));
      for (const coe of ['kubernetes', 'swarm'])
        templates[coe] = await store.templates.insert(
          templateRecord({ name: coe, coe, project_id: 'p', user_id: 'u', image_id: 'img' }),
        );
    });
    after(async () => {
      await store.close();
      await pgDb?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    async function cluster(name: string, coe: string, status: string): Promise<string> {
      const now = new Date().toISOString();
      const t = templates[coe] as ClusterTemplate;
      const { cluster: c, nodegroups } = newCluster(t, { name, cluster_template_id: t.uuid, node_count: 1 }, caller, {
        zeroNodesAllowed: false,
        now,
      });
      await store.clusters.createWithOperation(
        c,
        nodegroups,
        {
          uuid: randomUUID(),
          cluster_id: c.uuid,
          kind: 'cluster_create',
          deadline: Date.now() + 60_000,
          created_at: now,
        },
        { cluster_id: c.uuid, phase: 'accepted', level: 'info', message: 'accepted' },
        await ca.newCa(c.name),
      );
      await store.db.kysely.updateTable('clusters').set({ status }).where('uuid', '=', c.uuid).execute();
      return c.uuid;
    }
    const sync = (owner: string): LoadBalancerSync =>
      new LoadBalancerSync({ store, drivers, ca, log: silent, owner }, { periodMs: 60_000 });
    const leaseRows = async (): Promise<number> =>
      (await store.db.kysely.selectFrom('operations').select('id').where('uuid', '=', `lease:${LB_LEASE}`).execute())
        .length;

    it('without clusters of a driver with load balancers: nothing asked, nothing written', async () => {
      await cluster('sw', 'swarm', 'CREATE_COMPLETE');
      const r = await sync('c-a').runOnce();
      assert.equal(r.ran, false);
      assert.equal(await leaseRows(), 0, 'no lease row: an idle sync writes nothing');
      assert.deepEqual(swarm.synced, []);
    });

    it('asks each cluster not being created or deleted; a failing one does not stop the others', async () => {
      const statuses = [
        'CREATE_COMPLETE',
        'UPDATE_IN_PROGRESS',
        'UPDATE_FAILED',
        'CREATE_IN_PROGRESS',
        'DELETE_IN_PROGRESS',
        'DELETE_FAILED',
      ];
      const uuids: Record<string, string> = {};
      for (const s of statuses) uuids[s] = await cluster(`k-${s.toLowerCase().replaceAll('_', '-')}`, 'kubernetes', s);
      kube.fail.add('k-create-complete');
      const a = sync('c-a');
      const r = await a.runOnce();
      assert.equal(r.ran, true);
      assert.deepEqual(kube.synced.sort(), ['k-create-complete', 'k-update-failed', 'k-update-in-progress']);
      assert.equal(r.failed, 1);
      assert.equal(r.reports.size, 2);
      const events = await store.events.list(uuids.UPDATE_FAILED as string);
      assert.ok(
        events.some((e) => e.phase === 'load-balancer' && e.message === 'synced k-update-failed'),
        JSON.stringify(events),
      );

      // Another conductor does not run while the lease is held; the holder runs again.
      assert.equal((await sync('c-b').runOnce()).ran, false);
      assert.equal((await a.runOnce()).ran, true);
      await a.stop();
      assert.equal((await sync('c-b').runOnce()).ran, true, 'released at stop: taken at once');
    });

    it('a hung cluster holds up no other: the pass goes on, the cluster is backed off with its reason, then retried', async () => {
      const hung = await cluster('k-hung', 'kubernetes', 'CREATE_COMPLETE');
      kube.fail.clear();
      kube.hang.add('k-hung');
      kube.synced = [];
      const others = ['k-create-complete', 'k-update-failed', 'k-update-in-progress'];
      const b = new LoadBalancerSync(
        { store, drivers, ca, log: silent, owner: 'c-b' },
        { periodMs: 60_000, waitMs: 1_000, clusterTimeoutMs: 3_000, backoffBaseMs: 3_000, backoffMaxMs: 10_000 },
      );
      const r1 = await b.runOnce();
      assert.deepEqual(r1.slow, [hung], 'the pass did not wait for the hung cluster');
      assert.deepEqual([...r1.reports.keys()].length, 3);
      assert.deepEqual(kube.synced.filter((n) => n !== 'k-hung').sort(), others);

      const r2 = await b.runOnce();
      assert.ok(r2.deferred.includes(hung), 'its sync still runs: not started twice');
      assert.equal(r2.reports.size, 3, 'the others are synced meanwhile');

      // The hung sync times out: the reason goes on the timeline, the cluster is backed off.
      let failedAt = 0;
      for (let i = 0; i < 100 && !failedAt; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const events = await store.events.list(hung);
        if (events.some((e) => e.message.startsWith('load-balancer sync failed: no answer within 3 s')))
          failedAt = Date.now();
      }
      assert.ok(failedAt, 'the timeout is recorded on the cluster');
      const warning = (await store.events.list(hung)).find((e) => e.message.startsWith('load-balancer sync failed'));
      assert.equal(warning?.level, 'warning');
      assert.match(warning?.message ?? '', /tried again with backoff \(next try in 3 s\)$/);
      const r3 = await b.runOnce();
      assert.ok(r3.deferred.includes(hung), 'backed off');
      assert.equal(r3.reports.size, 3);
      assert.equal(kube.synced.filter((n) => n === 'k-hung').length, 1, 'tried once so far');

      // Its backoff over and its apiserver back: synced again, the recovery on the timeline.
      kube.hang.clear();
      await new Promise((r) => setTimeout(r, Math.max(0, failedAt + 3_100 - Date.now())));
      const r4 = await b.runOnce();
      assert.ok(r4.reports.has(hung), JSON.stringify(r4.deferred));
      assert.equal(r4.reports.size, 4);
      const events = await store.events.list(hung);
      assert.ok(
        events.some((e) => e.message === 'load-balancer sync works again (after 1 failed try)'),
        JSON.stringify(events.map((e) => e.message)),
      );
      await b.stop();
    });
  });
}
