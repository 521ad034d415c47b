/**
 * @module test/integration/store/store — the same store cases on SQLite (temp file) and PostgreSQL: migrations,
 * template visibility and paging, the one-transaction cluster create, and the leased operation queue.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'kysely';
import { newCluster } from '../../../src/core/cluster-rules.ts';
import type { Caller, ClusterTemplate, Nodegroup, Operation } from '../../../src/core/types.ts';
import { openDb, type Db } from '../../../src/store/database.ts';
import { migrateToLatest } from '../../../src/store/migrate.ts';
import { ROW_BYTES, type PageRequest } from '../../../src/store/page.ts';
import { Store } from '../../../src/store/store.ts';
import { templateRecord as buildTemplate } from '../../helpers/builders.ts';

const PG_URL = 'postgresql://magnetar:magnetar@127.0.0.1:5432/magnetar_test';
const TABLES = [
  'cluster_templates',
  'clusters',
  'nodegroups',
  'operations',
  'cluster_events',
  'certificates',
  'quotas',
  'services',
  'outbox',
] as const;
const CA = { cert_pem: '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n', key_sealed: 'v1:iv:tag:ct' };

const caller = (projectId: string, isAdmin = false): Caller => ({
  userId: `user-${projectId}`,
  projectId,
  roles: isAdmin ? ['admin'] : ['member'],
  isAdmin,
});

let seq = 0;
/** A template record owned by `projectId`, with a distinct name and creation time per call. */
function templateRecord(projectId: string, over: Partial<ClusterTemplate> = {}): Omit<ClusterTemplate, 'id'> {
  seq += 1;
  return buildTemplate({
    name: `tmpl-${seq}`,
    project_id: projectId,
    user_id: `user-${projectId}`,
    coe: 'swarm-mode',
    labels: { k: 'v' },
    floating_ip_enabled: true,
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    ...over,
  });
}

/** The store cases, run once per engine. */
function storeCases(engine: 'sqlite' | 'postgres', url: () => string, resetSchema: (db: Db) => Promise<void>): void {
  void describe(`Store on ${engine}`, { timeout: 120_000 }, () => {
    let db: Db;
    let store: Store;
    let appliedFirst: string[] = [];

    before(async () => {
      db = await openDb({ url: url(), migrate: false });
      await resetSchema(db);
      appliedFirst = await migrateToLatest(db.kysely);
      store = new Store(db);
    });

    after(async () => {
      await store?.close();
    });

    beforeEach(async () => {
      for (const t of TABLES) await db.kysely.deleteFrom(t).execute();
    });

    const count = async (table: (typeof TABLES)[number]): Promise<number> => {
      const r = await db.kysely
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    };

    /** Creates a cluster of template `t` with its create operation; returns the cluster uuid. */
    async function createCluster(
      t: ClusterTemplate,
      project = t.project_id,
      mutate?: (ngs: Omit<Nodegroup, 'id'>[]) => void,
    ): Promise<string> {
      const now = new Date().toISOString();
      const { cluster, nodegroups } = newCluster(t, { cluster_template_id: t.uuid }, caller(project), {
        zeroNodesAllowed: false,
        now,
      });
      mutate?.(nodegroups);
      await store.clusters.createWithOperation(
        cluster,
        nodegroups,
        {
          uuid: randomUUID(),
          cluster_id: cluster.uuid,
          kind: 'cluster_create',
          deadline: Date.now() + 3_600_000,
          created_at: now,
        },
        { cluster_id: cluster.uuid, phase: 'accepted', level: 'info', message: 'create accepted', at: now },
        CA,
      );
      return cluster.uuid;
    }

    const deleteOp = (clusterId: string): Parameters<Store['clusters']['requestDelete']>[1] => ({
      uuid: randomUUID(),
      cluster_id: clusterId,
      kind: 'cluster_delete',
      deadline: Date.now() + 3_600_000,
      created_at: new Date().toISOString(),
    });

    void describe('migrations', () => {
      test('apply every migration on a fresh database and nothing on a second run', async () => {
        assert.deepEqual(appliedFirst, ['0001-initial', '0002-lifecycle', '0003-revisions', '0004-cluster-trusts']);
        assert.deepEqual(await migrateToLatest(db.kysely), []);
        const second = await openDb({ url: url() });
        try {
          assert.deepEqual(await migrateToLatest(second.kysely), []);
        } finally {
          await second.close();
        }
        for (const t of TABLES) assert.equal(await count(t), 0, `table ${t} exists and is empty`);
      });
    });

    void describe('templates', () => {
      test('round-trips every attribute, with booleans and labels restored', async () => {
        const rec = templateRecord('pa', {
          public: true,
          tls_disabled: true,
          labels: { a: '1', b: 'True' },
          docker_volume_size: 5,
        });
        const saved = await store.templates.insert(rec);
        assert.equal(typeof saved.id, 'number');
        assert.deepEqual({ ...saved, id: 0 }, { ...rec, id: 0 });
        assert.deepEqual(await store.templates.getByUuid(rec.uuid), saved);
      });

      test('findVisible shows own-project and public templates, and every template to an admin', async () => {
        const own = await store.templates.insert(templateRecord('pa'));
        const otherPrivate = await store.templates.insert(templateRecord('pb'));
        const otherPublicHidden = await store.templates.insert(templateRecord('pb', { public: true, hidden: true }));
        const a = caller('pa');
        const find = async (c: Caller, uuid: string): Promise<string[]> =>
          (await store.templates.findVisible(c, { uuid })).map((t) => t.uuid);
        assert.deepEqual(await find(a, own.uuid), [own.uuid]);
        assert.deepEqual(await find(a, otherPrivate.uuid), []);
        assert.deepEqual(await find(a, otherPublicHidden.uuid), [otherPublicHidden.uuid]);
        assert.deepEqual(await find(caller('admin-project', true), otherPrivate.uuid), [otherPrivate.uuid]);
        assert.deepEqual(
          (await store.templates.findVisible(a, { name: own.name })).map((t) => t.uuid),
          [own.uuid],
        );
      });

      test('findVisible by name returns at most two matches so the API can report ambiguity', async () => {
        for (let i = 0; i < 3; i++) await store.templates.insert(templateRecord('pa', { name: 'same' }));
        assert.equal((await store.templates.findVisible(caller('pa'), { name: 'same' })).length, 2);
      });

      test('list shows own and public non-hidden templates to a member and all to an admin', async () => {
        const own = await store.templates.insert(templateRecord('pa'));
        await store.templates.insert(templateRecord('pb'));
        const pub = await store.templates.insert(templateRecord('pb', { public: true }));
        await store.templates.insert(templateRecord('pb', { public: true, hidden: true }));
        const page: PageRequest = { limit: 100, sortKey: 'id', sortDir: 'asc' };
        assert.deepEqual(
          (await store.templates.list(caller('pa'), page)).map((t) => t.uuid),
          [own.uuid, pub.uuid],
        );
        assert.equal((await store.templates.list(caller('x', true), page)).length, 4);
      });

      test('list pages by limit and marker in id order', async () => {
        const uuids: string[] = [];
        for (let i = 0; i < 5; i++) uuids.push((await store.templates.insert(templateRecord('pa'))).uuid);
        const seen: string[] = [];
        let marker: PageRequest['marker'];
        for (;;) {
          const items = await store.templates.list(caller('pa'), { limit: 2, sortKey: 'id', sortDir: 'asc', marker });
          if (items.length === 0) break;
          assert.ok(items.length <= 2);
          seen.push(...items.map((t) => t.uuid));
          marker = await store.templates.markerOf(caller('pa'), items[items.length - 1]?.uuid ?? '', 'id');
        }
        assert.deepEqual(seen, uuids);
      });

      test('list sorts by name descending with id as tiebreaker, across pages', async () => {
        const names = ['c', 'a', 'e', 'b', 'c', 'd'];
        const saved: ClusterTemplate[] = [];
        for (const name of names) saved.push(await store.templates.insert(templateRecord('pa', { name })));
        const want = [...saved]
          .sort((x, y) => (x.name === y.name ? y.id - x.id : x.name < y.name ? 1 : -1))
          .map((t) => `${t.name}#${t.id}`);
        const got: string[] = [];
        let marker: PageRequest['marker'];
        for (;;) {
          const items = await store.templates.list(caller('pa'), {
            limit: 4,
            sortKey: 'name',
            sortDir: 'desc',
            marker,
          });
          got.push(...items.map((t) => `${t.name}#${t.id}`));
          if (items.length < 4) break;
          marker = await store.templates.markerOf(caller('pa'), items[items.length - 1]?.uuid ?? '', 'name');
          assert.ok(marker);
        }
        assert.deepEqual(got, want);
        assert.equal(got[0]?.startsWith('e#'), true);
      });

      test('a page with a byte budget ends at it, read in slices, in sort order across slices', async () => {
        // 12 templates of ~60 KB of labels (names shuffled), 3 small; a budget of about 7 big ones.
        const big = (i: number): Record<string, string> => ({ [`k${i}`]: 'v'.repeat(60_000) });
        const names = ['g', 'c', 'k', 'a', 'i', 'e', 'l', 'b', 'j', 'd', 'h', 'f'];
        for (const [i, name] of names.entries())
          await store.templates.insert(templateRecord('pa', { name, labels: big(i) }));
        for (const name of ['m', 'n', 'o']) await store.templates.insert(templateRecord('pa', { name }));
        const budget = 7 * (60_010 + ROW_BYTES);
        const want = [...names, 'm', 'n', 'o'].sort().reverse();
        const got: string[] = [];
        let marker: PageRequest['marker'];
        let pages = 0;
        for (;;) {
          const page = await store.templates.list(caller('pa'), {
            limit: 100,
            sortKey: 'name',
            sortDir: 'desc',
            marker,
            maxBytes: budget,
          });
          pages += 1;
          got.push(...page.map((t) => t.name));
          const bytes = page.reduce((n, t) => n + JSON.stringify(t.labels).length + ROW_BYTES, 0);
          assert.ok(bytes <= budget, `page of ${bytes} bytes`);
          if (!page.cut) break;
          assert.ok(page.length > 0);
          marker = await store.templates.markerOf(caller('pa'), page[page.length - 1]?.uuid ?? '', 'name');
        }
        assert.deepEqual(got, want);
        assert.equal(pages, 2, '3 small and 6 big, then the other 6 big');
        const rendered = await store.templates.listForView(caller('pa'), { limit: 2, sortKey: 'name', sortDir: 'asc' });
        assert.deepEqual(
          rendered.map((r) => JSON.parse(r.labelsJson) as unknown),
          [big(3), big(7)],
          'the stored label text, unparsed',
        );
      });

      test('markerOf an unknown uuid, or of a private template of another project, is undefined', async () => {
        assert.equal(await store.templates.markerOf(caller('pa'), randomUUID(), 'id'), undefined);
        const other = await store.templates.insert(templateRecord('pb'));
        assert.equal(await store.templates.markerOf(caller('pa'), other.uuid, 'id'), undefined);
        assert.ok(await store.templates.markerOf(caller('pb'), other.uuid, 'id'));
        assert.ok(await store.templates.markerOf(caller('pa', true), other.uuid, 'id'));
      });

      test('update rewrites the row and deleteUnlessReferenced refuses while a cluster uses the template', async () => {
        const t = await store.templates.insert(templateRecord('pa'));
        const { id: _id, ...rest } = t;
        const updated = await store.templates.update(t.id, {
          ...rest,
          name: 'renamed',
          labels: { z: '9' },
          updated_at: new Date().toISOString(),
        });
        assert.equal(updated.name, 'renamed');
        assert.deepEqual(updated.labels, { z: '9' });
        const clusterId = await createCluster(t);
        assert.equal(await store.templates.isReferenced(t.uuid), true);
        assert.equal(await store.templates.deleteUnlessReferenced(t), false);
        assert.ok(await store.templates.getByUuid(t.uuid));
        await store.clusters.purge(clusterId);
        assert.equal(await store.templates.isReferenced(t.uuid), false);
        assert.equal(await store.templates.deleteUnlessReferenced(t), true);
        assert.equal(await store.templates.getByUuid(t.uuid), undefined);
      });

      test('the template revision moves with every insert, update and delete, and not with reads', async () => {
        const rev = async (): Promise<number> => Number((await store.templates.revision()).slice(1));
        const r0 = await rev();
        const t = await store.templates.insert(templateRecord('pr'));
        const r1 = await rev();
        assert.ok(r1 > r0, 'insert');
        const { id: _id, ...rest } = t;
        await store.templates.update(t.id, { ...rest, name: 'again' });
        const r2 = await rev();
        assert.ok(r2 > r1, 'update');
        await store.templates.list(caller('pr'), { limit: 10, sortKey: 'id', sortDir: 'asc' });
        assert.equal(await rev(), r2, 'reads leave it');
        assert.equal(await store.templates.deleteUnlessReferenced(t), true);
        assert.ok((await rev()) > r2, 'delete');
      });

      if (engine === 'postgres') {
        test('an API process watching revisions sees another process write through LISTEN/NOTIFY, and its own at once', async () => {
          const watching = new Store(await openDb({ url: url() }));
          try {
            await watching.watchRevisions();
            const t0 = await watching.templates.revision();
            assert.match(t0, /^g\d+$/, 'served from the watcher, not the revision row');
            await store.templates.insert(templateRecord('pw'));
            let t1 = t0;
            for (let i = 0; i < 100 && t1 === t0; i++) {
              await new Promise((r) => setTimeout(r, 10));
              t1 = await watching.templates.revision();
            }
            assert.notEqual(t1, t0, 'a write by another process moves the token');
            await watching.templates.insert(templateRecord('pw'));
            assert.notEqual(await watching.templates.revision(), t1, 'its own write moves it before any notification');
          } finally {
            await watching.close();
          }
        });
      }
    });

    void describe('clusters', () => {
      test('createWithOperation writes the cluster, its nodegroups, CA, create operation and first event together', async () => {
        const t = await store.templates.insert(templateRecord('pa'));
        const uuid = await createCluster(t);
        const c = await store.clusters.get(uuid);
        assert.equal(c?.status, 'CREATE_IN_PROGRESS');
        assert.deepEqual(c?.labels, { k: 'v' });
        assert.deepEqual(c?.driver_state, {});
        const ngs = await store.clusters.nodegroups([uuid]);
        assert.deepEqual(
          ngs.map((n) => [n.name, n.role, n.node_count, n.is_default]),
          [
            ['default-master', 'master', 1, true],
            ['default-worker', 'worker', 1, true],
          ],
        );
        assert.deepEqual({ ...(await store.certificates.get(uuid, 'ca')) }, CA);
        const ops = await store.operations.active(uuid);
        assert.deepEqual(
          ops.map((o) => [o.kind, o.state, o.owner, o.attempt]),
          [['cluster_create', 'pending', null, 0]],
        );
        const events = await store.events.list(uuid);
        assert.deepEqual(
          events.map((e) => [e.phase, e.level, e.message]),
          [['accepted', 'info', 'create accepted']],
        );
      });

      test('createWithOperation leaves nothing behind when a write inside fails', async () => {
        const t = await store.templates.insert(templateRecord('pa'));
        await assert.rejects(
          createCluster(t, 'pa', (ngs) => {
            const [master, worker] = ngs;
            if (master && worker) worker.name = master.name;
          }),
        );
        for (const table of ['clusters', 'nodegroups', 'certificates', 'operations', 'cluster_events'] as const) {
          assert.equal(await count(table), 0, `no row left in ${table}`);
        }
      });

      test('findVisible and list keep projects apart except for admins', async () => {
        const t = await store.templates.insert(templateRecord('pa', { public: true }));
        const a = await createCluster(t, 'pa');
        const b = await createCluster(t, 'pb');
        assert.deepEqual((await store.clusters.findVisible(caller('pb'), { uuid: a })).length, 0);
        assert.deepEqual((await store.clusters.findVisible(caller('pa'), { uuid: a })).length, 1);
        assert.deepEqual((await store.clusters.findVisible(caller('x', true), { uuid: b })).length, 1);
        const page: PageRequest = { limit: 10, sortKey: 'id', sortDir: 'desc' };
        assert.deepEqual(
          (await store.clusters.list(caller('pb'), page)).map((c) => c.uuid),
          [b],
        );
        assert.deepEqual(
          (await store.clusters.list(caller('x', true), page)).map((c) => c.uuid),
          [b, a],
        );
      });

      test('complete writes outputs and node addresses and closes the operation', async () => {
        const t = await store.templates.insert(templateRecord('pa'));
        const uuid = await createCluster(t);
        const op = await store.operations.claim('w1', 10_000);
        assert.ok(op);
        const outputs = {
          api_address: 'tcp://127.0.0.1:1',
          coe_version: '24',
          container_version: '24',
          addresses: { 'default-worker': ['10.0.0.3'] },
        };
        await store.clusters.complete(
          uuid,
          'CREATE_COMPLETE',
          outputs,
          op,
          { cluster_id: uuid, phase: 'ready', level: 'info', message: 'done' },
          new Date().toISOString(),
        );
        assert.equal((await store.clusters.get(uuid))?.status, 'CREATE_COMPLETE');
        assert.deepEqual(
          (await store.clusters.nodegroups([uuid])).map((n) => [n.status, n.node_addresses]),
          [
            ['CREATE_COMPLETE', []],
            ['CREATE_COMPLETE', ['10.0.0.3']],
          ],
        );
        assert.equal((await store.operations.get(op.id))?.state, 'done');
        assert.deepEqual(await store.operations.active(uuid), []);
      });
    });

    void describe('operations', () => {
      test('a claimed operation is not claimable by another owner until its lease expires', async () => {
        const t = await store.templates.insert(templateRecord('pa'));
        const uuid = await createCluster(t);
        const first = await store.operations.claim('owner-a', 200);
        assert.equal(first?.cluster_id, uuid);
        assert.equal(first?.state, 'running');
        assert.equal(first?.owner, 'owner-a');
        assert.equal(first?.attempt, 1);
        assert.equal(await store.operations.claim('owner-b', 200), undefined);
        await sleep(300);
        const second = await store.operations.claim('owner-b', 10_000);
        assert.equal(second?.id, first?.id);
        assert.equal(second?.owner, 'owner-b');
        assert.equal(second?.attempt, 2);
      });

      test('renew extends the owner lease and fails for a non-owner', async () => {
        const t = await store.templates.insert(templateRecord('pa'));
        await createCluster(t);
        const op = await store.operations.claim('owner-a', 200);
        assert.ok(op);
        assert.equal(await store.operations.renew(op, 'owner-b', 200), false);
        assert.equal(await store.operations.renew(op, 'owner-a', 10_000, 'nodes'), true);
        await sleep(300);
        assert.equal(await store.operations.claim('owner-b', 200), undefined, 'the renewed lease is still live');
        const stored = await store.operations.get(op.id);
        assert.equal(stored?.phase, 'nodes');
        assert.equal(stored?.owner, 'owner-a');
      });

      test('release only works for the owner and a retry waits for not_before', async () => {
        const t = await store.templates.insert(templateRecord('pa'));
        await createCluster(t);
        const op = await store.operations.claim('owner-a', 10_000);
        assert.ok(op);
        await store.operations.release(op, 'owner-b', { state: 'done', error: null });
        assert.equal((await store.operations.get(op.id))?.state, 'running');
        const notBefore = Date.now() + 60_000;
        await store.operations.release(op, 'owner-a', {
          state: 'retry',
          notBefore,
          error: 'engine busy',
          phase: 'nodes',
        });
        const pending = await store.operations.get(op.id);
        assert.deepEqual(
          [pending?.state, pending?.owner, pending?.lease_until, pending?.not_before, pending?.error],
          ['pending', null, null, notBefore, 'engine busy'],
        );
        assert.equal(await store.operations.claim('owner-b', 200), undefined);
        const again = await store.operations.claim('owner-b', 200, notBefore);
        assert.equal(again?.id, op.id);
        await store.operations.release(again as Operation, 'owner-b', { state: 'failed', error: 'gave up' });
        assert.deepEqual(
          [(await store.operations.get(op.id))?.state, (await store.operations.get(op.id))?.error],
          ['failed', 'gave up'],
        );
        assert.equal(await store.operations.claim('owner-c', 200), undefined);
      });

      test('requestDelete cancels a running create and the delete waits for the cancelled lease to end', async () => {
        const t = await store.templates.insert(templateRecord('pa'));
        const uuid = await createCluster(t);
        const create = await store.operations.claim('owner-a', 300);
        assert.equal(create?.kind, 'cluster_create');
        const now = new Date().toISOString();
        assert.equal(
          await store.clusters.requestDelete(
            uuid,
            deleteOp(uuid),
            { cluster_id: uuid, phase: 'accepted', level: 'info', message: 'delete accepted' },
            now,
          ),
          true,
        );
        assert.equal((await store.operations.get(create?.id ?? 0))?.state, 'cancelled');
        assert.equal(
          await store.operations.renew(create as Operation, 'owner-a', 300),
          false,
          'the create worker learns it was cancelled',
        );
        assert.equal((await store.clusters.get(uuid))?.status, 'DELETE_IN_PROGRESS');
        assert.deepEqual(
          (await store.clusters.nodegroups([uuid])).map((n) => n.status),
          ['DELETE_IN_PROGRESS', 'DELETE_IN_PROGRESS'],
        );
        assert.deepEqual(
          (await store.operations.active(uuid)).map((o) => [o.kind, o.state]),
          [['cluster_delete', 'pending']],
        );
        assert.equal(
          await store.operations.claim('owner-b', 10_000),
          undefined,
          'the cancelled create still holds a live lease',
        );
        assert.equal(
          await store.clusters.requestDelete(
            uuid,
            deleteOp(uuid),
            { cluster_id: uuid, phase: 'accepted', level: 'info', message: 'again' },
            now,
          ),
          false,
        );
        assert.equal(await count('operations'), 2, 'a second delete request queues nothing');
        await sleep(400);
        const del = await store.operations.claim('owner-b', 10_000);
        assert.equal(del?.kind, 'cluster_delete');
        assert.equal(del?.owner, 'owner-b');
        assert.deepEqual(
          (await store.events.list(uuid)).map((e) => e.message),
          ['create accepted', 'delete accepted'],
        );
      });

      test('purge removes every row of the cluster but its timeline, which ends with "cluster deleted"', async () => {
        const t = await store.templates.insert(templateRecord('pa'));
        const uuid = await createCluster(t);
        await store.clusters.purge(uuid);
        for (const table of ['clusters', 'nodegroups', 'certificates', 'operations'] as const) {
          assert.equal(await count(table), 0, `no row left in ${table}`);
        }
        assert.equal(await count('cluster_templates'), 1);
        const events = await store.db.kysely
          .selectFrom('cluster_events')
          .selectAll()
          .where('cluster_id', '=', uuid)
          .execute();
        assert.deepEqual(events.map((e) => [e.phase, e.message]).at(-1), ['deleted', 'cluster deleted']);
      });

      test('purge drops the timelines of clusters deleted over an hour ago, and keeps every live one', async () => {
        const t = await store.templates.insert(templateRecord('pa'));
        const live = await createCluster(t);
        const gone = await createCluster(t);
        await store.clusters.purge(gone);
        const old = new Date(Date.now() - 2 * 3_600_000).toISOString();
        await store.db.kysely.updateTable('cluster_events').set({ at: old }).execute();
        const other = await createCluster(t);
        await store.clusters.purge(other);
        const left = await store.db.kysely.selectFrom('cluster_events').select('cluster_id').execute();
        const ids = new Set(left.map((r) => r.cluster_id));
        assert.ok(ids.has(live), 'a live cluster keeps its old events');
        assert.ok(ids.has(other), 'the just-deleted cluster keeps its timeline');
        assert.ok(!ids.has(gone), 'the timeline of a cluster gone for two hours is dropped');
      });

      test('concurrent claims from two owners never hand out the same operation twice', async () => {
        const t = await store.templates.insert(templateRecord('pa'));
        const clusters: string[] = [];
        for (let i = 0; i < 5; i++) clusters.push(await createCluster(t));
        // On PostgreSQL the second owner is a separate connection pool, like a second conductor process.
        const other =
          engine === 'postgres' ? new Store(await openDb({ url: url(), migrate: false, poolSize: 10 })) : store;
        try {
          const claims = [
            ...Array.from({ length: 10 }, () => store.operations.claim('owner-a', 30_000)),
            ...Array.from({ length: 10 }, () => other.operations.claim('owner-b', 30_000)),
          ];
          const claimed = (await Promise.all(claims)).filter((o): o is Operation => o !== undefined);
          assert.equal(claimed.length, 5);
          assert.equal(new Set(claimed.map((o) => o.id)).size, 5);
          assert.deepEqual(new Set(claimed.map((o) => o.cluster_id)), new Set(clusters));
          for (const o of claimed) {
            const stored = await store.operations.get(o.id);
            assert.equal(stored?.owner, o.owner);
            assert.equal(stored?.attempt, 1);
          }
        } finally {
          if (other !== store) await other.close();
        }
      });
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'magnetar-store-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

storeCases(
  'sqlite',
  () => join(tmp, 'store.db'),
  async () => {},
);

storeCases(
  'postgres',
  () => PG_URL,
  async (db) => {
    // Fails the suite when PostgreSQL is unreachable (start it with scripts/ensure-system.sh postgres).
    await sql`DROP SCHEMA public CASCADE`.execute(db.kysely);
    await sql`CREATE SCHEMA public`.execute(db.kysely);
  },
);
