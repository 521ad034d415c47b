/**
 * The health sync's lease on SQLite and PostgreSQL: one holder at a time (also under concurrent takers), renewal by
 * the holder, take-over after expiry; and two HealthSync instances on one store run exactly one pass between them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClusterCa } from '../../../src/certs/cluster-ca.ts';
import { KeySealer } from '../../../src/certs/key-sealing.ts';
import { HealthSync } from '../../../src/conductor/health-sync.ts';
import { DriverRegistry } from '../../../src/drivers/registry.ts';
import { openDb } from '../../../src/store/database.ts';
import { Store } from '../../../src/store/store.ts';
import { freshDatabase, type FreshDatabase } from '../../helpers/postgres.ts';

const silent = { info: () => {}, warn: () => {}, debug: () => {} };

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`health sync lease on ${engine}`, () => {
    let store: Store;
    let dir: string;
    let pgDb: FreshDatabase | undefined;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'magnetar-lease-'));
      if (engine === 'postgres') pgDb = await freshDatabase('magnetar_lease');
      store = new Store(await openDb({ url: pgDb?.url ?? join(dir, 'db.sqlite') }));
    });
    after(async () => {
      await store.close();
      await pgDb?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    it('is held by one owner at a time, renewed by its holder, and taken over only after it expires', async () => {
      const t0 = Date.now();
      assert.equal(await store.health.acquireLease('l1', 'a', 1000, t0), true);
      assert.equal(await store.health.acquireLease('l1', 'b', 1000, t0 + 10), false);
      assert.equal(await store.health.acquireLease('l1', 'a', 1000, t0 + 500), true, 'the holder renews');
      assert.equal(await store.health.acquireLease('l1', 'b', 1000, t0 + 1400), false, 'the renewal moved the expiry');
      assert.equal(
        await store.health.acquireLease('l1', 'b', 1000, t0 + 1600),
        true,
        'expired: another owner takes it',
      );
      assert.equal(await store.health.acquireLease('l1', 'a', 1000, t0 + 1700), false);
      await store.health.releaseLease('l1', 'b');
      assert.equal(await store.health.acquireLease('l1', 'a', 1000, t0 + 1800), true, 'released: free at once');
    });

    it('goes to exactly one of many concurrent takers', async () => {
      const now = Date.now();
      const got = await Promise.all(
        Array.from({ length: 12 }, (_, i) => store.health.acquireLease('l2', `owner-${i}`, 10_000, now)),
      );
      assert.equal(got.filter(Boolean).length, 1);
    });

    it('never shows up as claimable work', async () => {
      assert.equal(await store.operations.claim('worker', 1000, Date.now() + 3_600_000), undefined);
    });

    it('lets one of two conductors run a pass; the other skips it', async () => {
      const ca = new ClusterCa(store.certificates, new KeySealer(randomBytes(32)));
      let observed = 0;
      const inventory = { observeMachines: async () => (observed++, new Map()) };
      const sync = (owner: string): HealthSync =>
        new HealthSync(
          { store, drivers: new DriverRegistry(), ca, inventory, log: silent, owner },
          { periodMs: 60_000 },
        );
      const [a, b] = [sync('conductor-a'), sync('conductor-b')];
      const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
      assert.deepEqual([ra.ran, rb.ran].sort(), [false, true]);
      const holder = ra.ran ? a : b;
      const other = ra.ran ? b : a;
      assert.equal((await other.runOnce()).ran, false, 'still held');
      assert.equal((await holder.runOnce()).ran, true, 'the holder keeps it');
      await holder.stop();
      assert.equal((await other.runOnce()).ran, true, 'a stopped holder gives it up');
      await other.stop();
      assert.equal(observed, 0, 'no clusters: no provider call at all');
    });
  });
}
