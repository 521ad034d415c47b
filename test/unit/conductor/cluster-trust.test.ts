/**
 * Unit test of conductor/cluster-trust.ts (with openstack/keystone-trusts.ts) against an in-memory stand-in for the
 * Keystone calls it makes (users, trusts, tokens), over a real SQLite store: creation, convergence after a crash
 * between Keystone and the store, an unusable user token, removal with the trustee already gone, an unreachable
 * Keystone. The real Keystone runs in test/integration/keystone/.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KeySealer } from '../../../src/certs/key-sealing.ts';
import { ClusterTrusts } from '../../../src/conductor/cluster-trust.ts';
import { DriverError } from '../../../src/drivers/contract.ts';
import { cloudAccess } from '../../../src/openstack/cloud-access.ts';
import { TrustKeystone, type TrustSettings } from '../../../src/openstack/keystone-trusts.ts';
import { openDb } from '../../../src/store/database.ts';
import { Store } from '../../../src/store/store.ts';

let SETTINGS: TrustSettings = {
  authUrl: 'http://127.0.0.1:1/v3',
  trusteeDomainId: null,
  trusteeDomainName: 'magnum',
  trusteeDomainAdminId: null,
  trusteeDomainAdminName: 'magnum_domain_admin',
  trusteeDomainAdminDomainId: null,
  trusteeDomainAdminDomainName: null,
  trusteeDomainAdminPassword: 'secret',
  roles: [],
  trusteeKeystoneInterface: 'public',
  trusteeKeystoneRegionName: null,
};

interface User {
  id: string;
  name: string;
  domain_id: string;
  password: string;
}
interface Trust {
  id: string;
  trustor_user_id: string;
  trustee_user_id: string;
  project_id: string;
  impersonation: boolean;
  roles: string[];
}

/** The Keystone calls the trust code makes, in memory. */
class FakeKeystone {
  users = new Map<string, User>();
  trusts = new Map<string, Trust>();
  tokens = new Map<string, { userId: string; trustId?: string; domainId?: string; projectId?: string }>();
  calls: string[] = [];
  down = false;
  /** Creating a trust fails with this status (e.g. 401: the trustor token is revoked). */
  trustCreateStatus: number | undefined;

  constructor() {
    this.users.set('admin-id', { id: 'admin-id', name: 'magnum_domain_admin', domain_id: 'dom-1', password: 'secret' });
    this.tokens.set('user-token', { userId: 'alice', projectId: 'proj-a' });
  }

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (this.down) return new Response('down', { status: 503 });
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const path = url.pathname.replace(/^\/v3/, '');
    this.calls.push(`${method} ${path}`);
    const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, never>) : undefined;
    const auth = this.tokens.get(new Headers(init?.headers).get('x-auth-token') ?? '');
    const json = (status: number, b: unknown, headers: Record<string, string> = {}): Response =>
      new Response(b === null ? null : JSON.stringify(b), { status, headers });
    if (method === 'POST' && path === '/auth/tokens') {
      const a = (body as unknown as { auth: Record<string, unknown> }).auth;
      const u = (a.identity as { password: { user: { id?: string; name?: string; password: string } } }).password.user;
      const user = [...this.users.values()].find((x) => (u.id ? x.id === u.id : x.name === u.name));
      if (!user || user.password !== u.password) return json(401, { error: { message: 'bad password' } });
      const scope = a.scope as { 'OS-TRUST:trust'?: { id: string }; domain?: unknown } | undefined;
      const trustId = scope?.['OS-TRUST:trust']?.id;
      if (trustId !== undefined) {
        const t = this.trusts.get(trustId);
        if (!t || t.trustee_user_id !== user.id) return json(404, { error: { message: 'Could not find trust' } });
      }
      const token = `tok-${randomUUID()}`;
      const trust = trustId ? this.trusts.get(trustId) : undefined;
      this.tokens.set(token, {
        userId: trust ? trust.trustor_user_id : user.id,
        ...(trustId ? { trustId } : {}),
        ...(scope?.domain ? { domainId: user.domain_id } : {}),
        ...(trust ? { projectId: trust.project_id } : {}),
      });
      return json(
        201,
        {
          token: {
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            user: { id: trust ? trust.trustor_user_id : user.id },
            ...(scope?.domain ? { domain: { id: user.domain_id } } : {}),
            ...(trust ? { project: { id: trust.project_id } } : {}),
            catalog: [{ type: 'image', endpoints: [{ interface: 'public', url: 'http://glance.invalid/' }] }],
          },
        },
        { 'x-subject-token': token },
      );
    }
    if (!auth) return json(401, { error: { message: 'The request you have made requires authentication.' } });
    if (method === 'GET' && path === '/users') {
      const users = [...this.users.values()].filter(
        (x) => x.domain_id === url.searchParams.get('domain_id') && x.name === url.searchParams.get('name'),
      );
      return json(200, { users });
    }
    if (method === 'POST' && path === '/users') {
      const u = (body as unknown as { user: User }).user;
      if ([...this.users.values()].some((x) => x.name === u.name && x.domain_id === u.domain_id))
        return json(409, { error: { message: 'Duplicate entry' } });
      const user = { ...u, id: `user-${randomUUID()}` };
      this.users.set(user.id, user);
      return json(201, { user });
    }
    const userPath = /^\/users\/([^/]+)$/.exec(path);
    if (userPath) {
      const user = this.users.get(decodeURIComponent(userPath[1] as string));
      if (!user) return json(404, { error: { message: 'Could not find user' } });
      if (method === 'PATCH') {
        user.password = (body as unknown as { user: { password: string } }).user.password;
        return json(200, { user });
      }
      if (method === 'DELETE') {
        this.users.delete(user.id);
        for (const [id, t] of this.trusts) if (t.trustee_user_id === user.id) this.trusts.delete(id);
        for (const [tok, t] of this.tokens) if (t.userId === user.id) this.tokens.delete(tok);
        return json(204, null);
      }
    }
    if (method === 'GET' && path === '/OS-TRUST/trusts') {
      const trustee = url.searchParams.get('trustee_user_id');
      return json(200, { trusts: [...this.trusts.values()].filter((t) => t.trustee_user_id === trustee) });
    }
    if (method === 'POST' && path === '/OS-TRUST/trusts') {
      if (this.trustCreateStatus) return json(this.trustCreateStatus, { error: { message: 'refused' } });
      const t = (body as unknown as { trust: Omit<Trust, 'id' | 'roles'> & { roles: { name: string }[] } }).trust;
      if (auth.userId !== t.trustor_user_id) return json(403, { error: { message: 'not the trustor' } });
      const trust = { ...t, id: `trust-${randomUUID()}`, roles: t.roles.map((r) => r.name) };
      this.trusts.set(trust.id, trust);
      return json(201, { trust });
    }
    const trustPath = /^\/OS-TRUST\/trusts\/([^/]+)$/.exec(path);
    if (trustPath && method === 'DELETE') {
      const t = this.trusts.get(trustPath[1] as string);
      if (!t) return json(404, { error: { message: 'Could not find trust' } });
      if (auth.userId !== t.trustor_user_id) return json(403, { error: { message: 'not the trustor' } });
      this.trusts.delete(t.id);
      return json(204, null);
    }
    if (method === 'GET' && /^\/projects\//.test(path))
      return path === '/projects/proj-a' ? json(200, { project: { id: 'proj-a' } }) : json(404, {});
    return json(404, { error: { message: `no route ${method} ${path}` } });
  };
}

describe('cluster trusts (conductor/cluster-trust.ts)', () => {
  let dir: string;
  let store: Store;
  const sealer = new KeySealer(Buffer.alloc(32, 7));
  /** The stand-in the loopback server answers with (one per test). */
  let current = new FakeKeystone();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      );
      const body = chunks.length ? Buffer.concat(chunks).toString() : undefined;
      void current
        .fetch(`http://127.0.0.1${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) })
        .then(async (r) => {
          res.writeHead(r.status, Object.fromEntries(r.headers.entries()));
          res.end(Buffer.from(await r.arrayBuffer()));
        });
    });
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'magnetar-trust-'));
    store = new Store(await openDb({ url: join(dir, 'magnetar.db') }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    SETTINGS = { ...SETTINGS, authUrl: `http://127.0.0.1:${port}/v3` };
  });
  after(async () => {
    server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A cluster row plus its trust row, as the API writes them. */
  async function newCluster(ks: FakeKeystone): Promise<{ uuid: string; trusts: ClusterTrusts }> {
    current = ks;
    const keystone = new TrustKeystone(SETTINGS.authUrl as string, SETTINGS);
    const uuid = randomUUID();
    const row = cloudAccess(keystone, sealer).newTrust(
      uuid,
      { userId: 'alice', projectId: 'proj-a', roles: ['member', 'reader'], isAdmin: false },
      'user-token',
    );
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
    return { uuid, trusts: new ClusterTrusts({ trusts: store.trusts, sealer, keystone }) };
  }

  it('makes the trustee <uuid>_<project> and an impersonating trust with the caller roles; erases the token', async () => {
    const ks = new FakeKeystone();
    const { uuid, trusts } = await newCluster(ks);
    await trusts.ensure(uuid);
    const row = await store.trusts.get(uuid);
    assert.ok(row?.trusteeUserId && row.trustId);
    assert.equal(row.trustorTokenSealed, null, 'the user token is erased once the trust exists');
    const user = ks.users.get(row.trusteeUserId);
    assert.equal(user?.name, `${uuid}_proj-a`);
    assert.equal(user?.domain_id, 'dom-1');
    assert.notEqual(user?.password, undefined);
    assert.ok(!row.trusteePasswordSealed.includes(user?.password ?? '-'), 'the password is stored sealed');
    assert.equal(sealer.open(row.trusteePasswordSealed), user?.password);
    const trust = ks.trusts.get(row.trustId);
    assert.deepEqual(
      { trustor: trust?.trustor_user_id, project: trust?.project_id, imp: trust?.impersonation, roles: trust?.roles },
      { trustor: 'alice', project: 'proj-a', imp: true, roles: ['member', 'reader'] },
    );
    // Idempotent: a second ensure makes nothing.
    const before = ks.calls.length;
    await trusts.ensure(uuid);
    assert.equal(ks.calls.length, before);

    const session = await trusts.session(uuid);
    assert.equal(session?.userId, 'alice', 'the trust impersonates the creating user');
    assert.equal(session?.projectId, 'proj-a');
    assert.equal(session?.endpoint('image'), 'http://glance.invalid');
  });

  it('converges after a crash between Keystone and the store: one user, one trust', async () => {
    const ks = new FakeKeystone();
    const { uuid, trusts } = await newCluster(ks);
    await trusts.ensure(uuid);
    const made = await store.trusts.get(uuid);
    // Forget what was recorded, as if the conductor died right after Keystone answered.
    await store.trusts.setTrustee(uuid, null);
    await store.db.kysely
      .updateTable('cluster_trusts')
      .set({ trust_id: null, trustor_token_sealed: sealer.seal('user-token') })
      .where('cluster_id', '=', uuid)
      .execute();
    // And its password is not the stored one (say, set by hand): it is set back to the stored one.
    const user = ks.users.get(made?.trusteeUserId ?? '');
    if (user) user.password = 'changed-by-hand';
    await trusts.ensure(uuid);
    const again = await store.trusts.get(uuid);
    assert.equal(ks.users.get(made?.trusteeUserId ?? '')?.password, sealer.open(made?.trusteePasswordSealed ?? ''));
    assert.equal(again?.trusteeUserId, made?.trusteeUserId, 'the trustee is found by name, not made twice');
    assert.equal(again?.trustId, made?.trustId, 'the trust is found among the trustee’s, not made twice');
    assert.equal([...ks.users.values()].filter((u) => u.name.startsWith(uuid)).length, 1);
    assert.equal(ks.trusts.size, 1);
  });

  it('fails (not retried) when the creating user token is no longer valid', async () => {
    const ks = new FakeKeystone();
    ks.trustCreateStatus = 401;
    const { uuid, trusts } = await newCluster(ks);
    await assert.rejects(trusts.ensure(uuid), (e: unknown) => {
      assert.ok(e instanceof DriverError);
      assert.equal(e.phase, 'trust');
      assert.equal(e.retryable, false);
      assert.match(e.message, new RegExp(`^Failed to create trustee or trust for Cluster: ${uuid}: the creating user`));
      return true;
    });
  });

  it('retries when Keystone does not answer', async () => {
    const ks = new FakeKeystone();
    const { uuid, trusts } = await newCluster(ks);
    ks.down = true;
    await assert.rejects(trusts.ensure(uuid), (e: unknown) => e instanceof DriverError && e.retryable);
    ks.down = false;
    await trusts.ensure(uuid);
    assert.ok((await store.trusts.get(uuid))?.trustId);
  });

  it('removes trust and trustee, leaving nothing; again is a no-op', async () => {
    const ks = new FakeKeystone();
    const { uuid, trusts } = await newCluster(ks);
    await trusts.ensure(uuid);
    assert.deepEqual(await trusts.remove(uuid), { trust: true, trustee: true });
    assert.equal(ks.trusts.size, 0);
    assert.equal([...ks.users.values()].filter((u) => u.name.startsWith(uuid)).length, 0);
    assert.deepEqual(await trusts.remove(uuid), { trust: false, trustee: false });
  });

  it('a trustee already deleted never stops the removal', async () => {
    const ks = new FakeKeystone();
    const { uuid, trusts } = await newCluster(ks);
    await trusts.ensure(uuid);
    const row = await store.trusts.get(uuid);
    ks.users.delete(row?.trusteeUserId ?? '');
    await assert.rejects(trusts.session(uuid), (e: unknown) => e instanceof DriverError && !e.retryable);
    assert.deepEqual(await trusts.remove(uuid), { trust: false, trustee: false });
  });

  it('removes a trustee made by a create that died before recording it (found by name)', async () => {
    const ks = new FakeKeystone();
    const { uuid, trusts } = await newCluster(ks);
    await trusts.ensure(uuid);
    await store.trusts.setTrustee(uuid, null);
    await store.trusts.setTrust(uuid, null);
    const removed = await trusts.remove(uuid);
    assert.equal(removed.trustee, true);
    assert.equal(ks.users.size, 1, 'only the domain admin is left');
    assert.equal(ks.trusts.size, 0, 'Keystone drops the trusts of a deleted trustee');
  });

  it('checks projects with the domain admin', async () => {
    const ks = new FakeKeystone();
    current = ks;
    const access = cloudAccess(new TrustKeystone(SETTINGS.authUrl as string, SETTINGS), sealer);
    assert.equal(await access.projectExists('proj-a'), true);
    assert.equal(await access.projectExists('nope'), false);
    assert.equal(access.knownTrusteeDomainId(), undefined, 'not known before Keystone was asked');
    assert.equal(await access.trusteeDomainId(), 'dom-1');
    assert.equal(access.knownTrusteeDomainId(), 'dom-1');
    ks.down = true;
    await assert.rejects(access.projectExists('x'), { name: 'ServiceUnavailable', status: 503 });
  });
});
