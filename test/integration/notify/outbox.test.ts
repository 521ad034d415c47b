/**
 * The notification outbox on SQLite and PostgreSQL: rows are written in the transaction of the state change (and
 * not at all when it rolls back), claimed by one publisher at a time, backed off on failure; and the publisher with
 * the log driver writes each notification to the log and deletes it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { newCluster } from '../../../src/core/cluster-rules.ts';
import type { ClusterTemplate } from '../../../src/core/types.ts';
import { ClusterNotifier, identityOf, parseStored } from '../../../src/notify/outbox.ts';
import { OutboxPublisher } from '../../../src/notify/publisher.ts';
import { openDb } from '../../../src/store/database.ts';
import { Store } from '../../../src/store/store.ts';
import { templateRecord } from '../../helpers/builders.ts';
import { freshDatabase, type FreshDatabase } from '../../helpers/postgres.ts';

const CA = { cert_pem: '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n', key_sealed: 'v1:iv:tag:ct' };
const CALLER = { userId: 'u-1', projectId: 'p-1', roles: ['member'], isAdmin: false };
const notifier = new ClusterNotifier({ driver: 'messagingv2', host: 'h1' });

const template = (): Omit<ClusterTemplate, 'id'> => templateRecord();

function cases(engine: string, url: () => string): void {
  describe(`the outbox on ${engine}`, { timeout: 60_000 }, () => {
    let store: Store;
    before(async () => {
      store = new Store(await openDb({ url: url() }));
    });
    after(async () => store?.close());
    beforeEach(async () => {
      for (const t of [
        'outbox',
        'cluster_events',
        'operations',
        'certificates',
        'nodegroups',
        'clusters',
        'cluster_templates',
      ] as const)
        await store.db.kysely.deleteFrom(t).execute();
    });

    async function create(build = notifier.cluster('create', 'pending', identityOf(CALLER, 'req-1'))): Promise<string> {
      const t = await store.templates.insert(template());
      const now = new Date().toISOString();
      const { cluster, nodegroups } = newCluster(t, { cluster_template_id: t.uuid, name: 'c1' }, CALLER, {
        zeroNodesAllowed: false,
        now,
      });
      await store.clusters.createWithOperation(
        cluster,
        nodegroups,
        {
          uuid: randomUUID(),
          cluster_id: cluster.uuid,
          kind: 'cluster_create',
          deadline: Date.now() + 60_000,
          created_at: now,
        },
        { cluster_id: cluster.uuid, phase: 'accepted', level: 'info', message: 'create accepted', at: now },
        CA,
        build,
      );
      return cluster.uuid;
    }

    it('writes the pending notification with the cluster, built from the rows the transaction wrote', async () => {
      const uuid = await create();
      const rows = await store.outbox.list();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.event_type, 'magnum.cluster.create');
      const n = parseStored(rows[0]?.payload ?? '');
      const payload = n.message.payload as {
        outcome: string;
        target: { id: string; attachments: { content: Record<string, unknown> }[] };
        initiator: Record<string, unknown>;
      };
      assert.equal(payload.outcome, 'pending');
      assert.equal(payload.target.id, uuid);
      assert.equal(payload.target.attachments[0]?.content.status, 'CREATE_IN_PROGRESS');
      assert.equal(payload.target.attachments[0]?.content.node_count, 1);
      assert.equal(payload.initiator.user_id, 'u-1');
      assert.equal(n.context.request_id, 'req-1');
      assert.equal(n.message.publisher_id, 'container-infra.h1');
    });

    it('writes nothing when the state change rolls back', async () => {
      await assert.rejects(
        create(() => {
          throw new Error('builder failed');
        }),
        /builder failed/,
      );
      assert.equal((await store.outbox.list()).length, 0);
      assert.equal((await store.db.kysely.selectFrom('clusters').selectAll().execute()).length, 0);
    });

    it('writes delete pending only when the delete is queued, and delete success with the purge', async () => {
      const uuid = await create();
      const op = (): {
        uuid: string;
        cluster_id: string;
        kind: 'cluster_delete';
        deadline: number;
        created_at: string;
      } => ({
        uuid: randomUUID(),
        cluster_id: uuid,
        kind: 'cluster_delete',
        deadline: Date.now() + 60_000,
        created_at: new Date().toISOString(),
      });
      const ev = { cluster_id: uuid, phase: 'accepted', level: 'info' as const, message: 'delete accepted' };
      const now = new Date().toISOString();
      assert.equal(
        await store.clusters.requestDelete(
          uuid,
          op(),
          ev,
          now,
          notifier.cluster('delete', 'pending', identityOf(CALLER, 'r')),
        ),
        true,
      );
      assert.equal(
        await store.clusters.requestDelete(
          uuid,
          op(),
          ev,
          now,
          notifier.cluster('delete', 'pending', identityOf(CALLER, 'r')),
        ),
        false,
      );
      await store.clusters.purge(uuid, notifier.cluster('delete', 'success', undefined, 'DELETE_COMPLETE'));
      await store.clusters.purge(uuid, notifier.cluster('delete', 'success', undefined, 'DELETE_COMPLETE'));
      const rows = (await store.outbox.list()).map(
        (r) =>
          parseStored(r.payload).message.payload as {
            action: string;
            outcome: string;
            target: { attachments: { content: { status: string } }[] };
          },
      );
      assert.deepEqual(
        rows.map((p) => `${p.action}:${p.outcome}:${p.target.attachments[0]?.content.status}`),
        ['create:pending:CREATE_IN_PROGRESS', 'delete:pending:DELETE_IN_PROGRESS', 'delete:success:DELETE_COMPLETE'],
      );
    });

    it('lets only one of two concurrent publishers claim a row, and backs a failed row off', async () => {
      for (let i = 0; i < 5; i++) await create();
      const [a, b] = await Promise.all([store.outbox.claim(10, 30_000), store.outbox.claim(10, 30_000)]);
      const ids = [...(a ?? []), ...(b ?? [])].map((r) => r.id);
      assert.equal(ids.length, 5);
      assert.equal(new Set(ids).size, 5);
      assert.equal((await store.outbox.claim(10, 30_000)).length, 0, 'claimed rows are leased');
      const first = ids[0] as number;
      await store.outbox.retryLater(first, Date.now() + 60_000, 'broker down');
      await store.outbox.release(ids.slice(1));
      const again = await store.outbox.claim(10, 30_000);
      assert.deepEqual(again.map((r) => r.id).sort(), ids.slice(1).sort());
      const failed = (await store.outbox.list()).find((r) => r.id === first);
      assert.equal(failed?.attempts, 1);
      assert.equal(failed?.last_error, 'broker down');
    });

    it('publishes to the log with the log driver and deletes what it published', async () => {
      await create();
      await create();
      let logged = '';
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          logged += chunk.toString();
          done();
        },
      });
      const publisher = new OutboxPublisher({
        outbox: store.outbox,
        log: pino({ level: 'info' }, sink),
        driver: 'log',
        transportUrl: 'amqp://127.0.0.1:1/',
        exchange: 'magnum',
        topics: ['notifications'],
        pollMs: 50,
      });
      assert.equal(publisher.toBroker, false);
      assert.equal(await publisher.drainOnce(), 2);
      assert.equal((await store.outbox.list()).length, 0);
      const lines = logged
        .trim()
        .split('\n')
        .map(
          (l) => JSON.parse(l) as { msg: string; notification: { event_type: string; payload: { outcome: string } } },
        );
      assert.deepEqual(
        lines.map((l) => l.msg),
        ['notification magnum.cluster.create', 'notification magnum.cluster.create'],
      );
      assert.equal(lines[0]?.notification.payload.outcome, 'pending');
    });

    it('backs off and keeps the rows when the broker cannot be reached', async () => {
      await create();
      await create();
      const publisher = new OutboxPublisher({
        outbox: store.outbox,
        log: pino({ level: 'silent' }),
        driver: 'messagingv2',
        transportUrl: 'amqp://guest:guest@127.0.0.1:1/',
        exchange: 'magnum',
        topics: ['notifications'],
        pollMs: 50,
      });
      await publisher.drainOnce();
      const rows = await store.outbox.list();
      assert.equal(rows.length, 2);
      assert.equal(rows[0]?.attempts, 1);
      assert.match(rows[0]?.last_error ?? '', /ECONNREFUSED|connect/i);
      assert.equal(rows[1]?.attempts, 0, 'the rows behind it wait without an attempt of their own');
      assert.ok((rows[1]?.next_attempt_at ?? 0) > Date.now(), 'and keep their order behind the failed one');
      assert.equal(await publisher.drainOnce(), 0, 'nothing is tried again before the back-off ends');
      await publisher.stop();
    });
  });
}

let dir: string;
cases('SQLite', () => {
  dir ??= mkdtempSync(join(tmpdir(), 'magnetar-outbox-'));
  return join(dir, 'm.db');
});
let pgdb: FreshDatabase | undefined;
before(async () => {
  pgdb = await freshDatabase('magnetar_outbox');
});
after(async () => {
  await pgdb?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
cases('PostgreSQL', () => (pgdb as FreshDatabase).url);
