/**
 * The conductor's trust manager (conductor/cluster-trust.ts) against the real Keystone and Glance, with a real store
 * (SQLite and PostgreSQL) and no containers: the trustee and trust made from a member's token, a trust-scoped session
 * that still works after that token is revoked (and looks a Glance image up through the trust), convergence after a
 * crash between Keystone and the store, removal leaving nothing in Keystone, and removal with the trustee already
 * deleted.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KeySealer } from '../../../src/certs/key-sealing.ts';
import { ClusterTrusts } from '../../../src/conductor/cluster-trust.ts';
import { withLocalImages } from '../../../src/conductor/cloud-images.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { ClusterSpec } from '../../../src/drivers/contract.ts';
import { cloudAccess } from '../../../src/openstack/cloud-access.ts';
import { TrustKeystone } from '../../../src/openstack/keystone-trusts.ts';
import type { AuthToken } from '../../../src/openstack/session.ts';
import { revokeToken } from '../../../src/openstack/tokens.ts';
import { openDb } from '../../../src/store/database.ts';
import { Store } from '../../../src/store/store.ts';
import { freshDatabase, type FreshDatabase } from '../../helpers/postgres.ts';
import { keystoneAccounts, keystoneCall, keystoneEnv, tokenOf, type Accounts } from '../../helpers/keystone.ts';
import {
  createGlanceImage,
  deleteGlanceImage,
  ensureTrustees,
  trustEnv,
  trusteesNamed,
  trustsOf,
} from '../../helpers/trustees.ts';

const { accounts, skip } = keystoneAccounts();

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`cluster trusts against the real Keystone (trust manager, no containers, ${engine})`, { skip }, () => {
    const a = accounts as Accounts;
    let pgDb: FreshDatabase | undefined;
    let dir: string;
    let store: Store;
    let admin: AuthToken;
    let keystone: TrustKeystone;
    let trusts: ClusterTrusts;
    let imageId: string;
    const imageName = `magnetar-test-trust-${randomBytes(4).toString('hex')}`;
    const sealer = new KeySealer(randomBytes(32));

    before(async () => {
      const t = await ensureTrustees(a);
      admin = t.admin;
      const config = loadConfig({ env: keystoneEnv(a, trustEnv(t.adminPassword)) });
      keystone = new TrustKeystone(config.keystone.authUrl as string, config.trust);
      dir = await mkdtemp(join(tmpdir(), 'magnetar-trusts-'));
      pgDb = engine === 'postgres' ? await freshDatabase('magnetar_trusts') : undefined;
      store = new Store(await openDb({ url: pgDb?.url ?? join(dir, 'magnetar.db') }));
      trusts = new ClusterTrusts({ trusts: store.trusts, sealer, keystone });
      imageId = await createGlanceImage(admin, imageName, {
        os_distro: 'debian',
        magnetar_local_image: 'magnetar/node:bookworm',
      });
    });
    after(async () => {
      await deleteGlanceImage(admin, imageId).catch(() => {});
      await store?.close();
      await pgDb?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** A cluster's trust row as the API writes it for `user`'s token (no cluster row is needed by the manager). */
    async function newTrust(user: AuthToken): Promise<string> {
      const uuid = randomUUID();
      const caller = {
        userId: user.info.userId,
        projectId: user.info.project?.id as string,
        roles: user.info.roles,
        isAdmin: false,
      };
      const row = cloudAccess(keystone, sealer).newTrust(uuid, caller, user.token);
      await store.db.kysely
        .insertInto('cluster_trusts')
        .values({
          cluster_id: uuid,
          trustee_name: row.trusteeName,
          trustee_user_id: null,
          trustee_password_sealed: row.trusteePasswordSealed,
          trust_id: null,
          trustor_user_id: row.trustorUserId,
          trustor_project_id: row.trustorProjectId,
          roles: JSON.stringify(row.roles),
          trustor_token_sealed: row.trustorTokenSealed,
          created_at: new Date().toISOString(),
          updated_at: null,
        })
        .execute();
      return uuid;
    }

    const spec = (image: string): ClusterSpec =>
      ({ imageId: image, nodegroups: [{ name: 'default-worker', imageId: image }] }) as unknown as ClusterSpec;

    it('makes trustee and trust from a member token; the trust outlives that token and reads Glance', async () => {
      const member = await tokenOf(a, 'a-member');
      const uuid = await newTrust(member);
      await trusts.ensure(uuid);
      const row = await store.trusts.get(uuid);
      assert.ok(row?.trusteeUserId && row.trustId, 'trustee and trust recorded');
      assert.equal(row.trustorTokenSealed, null, 'the member token is not kept once the trust exists');
      const users = await trusteesNamed(a, admin, uuid);
      assert.deepEqual(
        users.map((u) => u.name),
        [`${uuid}_${member.info.project?.id}`],
      );
      const trust = (await trustsOf(a, admin, member.info.userId)).find((t) => t.id === row.trustId);
      assert.equal(trust?.trustee_user_id, row.trusteeUserId);
      assert.equal(trust?.impersonation, true);
      assert.equal(trust?.project_id, member.info.project?.id);

      await revokeToken(a.authUrl, member.token, member.token, { timeoutMs: 30_000 });
      const session = await trusts.session(uuid);
      assert.ok(session);
      assert.equal(session.userId, member.info.userId, 'the trust impersonates the member');
      assert.equal(session.projectId, member.info.project?.id);
      assert.match(session.endpoint('image') ?? '', /^http:\/\/127\.0\.0\.1:9292/);
      // Through the trust: the Glance image stands for its local node image; a local reference stays as it is.
      assert.equal((await withLocalImages(spec(imageName), session)).imageId, 'magnetar/node:bookworm');
      assert.equal((await withLocalImages(spec(imageId), session)).nodegroups[0]?.imageId, 'magnetar/node:bookworm');
      assert.equal((await withLocalImages(spec('magnetar/node:bookworm'), session)).imageId, 'magnetar/node:bookworm');

      assert.deepEqual(await trusts.remove(uuid), { trust: true, trustee: true });
      assert.deepEqual(await trusteesNamed(a, admin, uuid), [], 'no trustee left');
      assert.equal(
        (await trustsOf(a, admin, member.info.userId)).filter((t) => t.id === row.trustId).length,
        0,
        'no trust left',
      );
    });

    it('converges after a crash between Keystone and the store: one trustee, one trust', async () => {
      const member = await tokenOf(a, 'a-member');
      const uuid = await newTrust(member);
      await trusts.ensure(uuid);
      const made = await store.trusts.get(uuid);
      await store.db.kysely
        .updateTable('cluster_trusts')
        .set({ trustee_user_id: null, trust_id: null, trustor_token_sealed: sealer.seal(member.token) })
        .where('cluster_id', '=', uuid)
        .execute();
      await trusts.ensure(uuid);
      const again = await store.trusts.get(uuid);
      assert.equal(again?.trusteeUserId, made?.trusteeUserId);
      assert.equal(again?.trustId, made?.trustId);
      assert.equal((await trusteesNamed(a, admin, uuid)).length, 1);
      const mine = (await trustsOf(a, admin, member.info.userId)).filter(
        (t) => t.trustee_user_id === made?.trusteeUserId,
      );
      assert.equal(mine.length, 1);
      await trusts.remove(uuid);
      assert.deepEqual(await trusteesNamed(a, admin, uuid), []);
    });

    it('a trustee deleted behind its back: no session, and removal still completes', async () => {
      const member = await tokenOf(a, 'a-member');
      const uuid = await newTrust(member);
      await trusts.ensure(uuid);
      const row = await store.trusts.get(uuid);
      await keystoneCall(a, admin.token, 'DELETE', `/users/${row?.trusteeUserId}`);
      await assert.rejects(trusts.session(uuid), /cannot be used/);
      assert.deepEqual(await trusts.remove(uuid), { trust: false, trustee: false });
      assert.deepEqual(await trusteesNamed(a, admin, uuid), []);
    });

    it('refuses to make a trust from a revoked token, without retrying', async () => {
      const member = await tokenOf(a, 'a-member');
      const uuid = await newTrust(member);
      await revokeToken(a.authUrl, member.token, member.token, { timeoutMs: 30_000 });
      await assert.rejects(trusts.ensure(uuid), (e: unknown) => {
        assert.match((e as Error).message, /the creating user's token is no longer valid/);
        assert.equal((e as { retryable?: boolean }).retryable, false);
        return true;
      });
      await trusts.remove(uuid);
      assert.deepEqual(await trusteesNamed(a, admin, uuid), [], 'the trustee made before the refusal is gone too');
    });
  });
}
