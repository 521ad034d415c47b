/**
 * `auth.mode: keystone` against the real Keystone of scripts/ensure-system.sh: a `magnetar api` process validates
 * tokens as keystonemiddleware does — 401 shapes, identity only from the token, expiry (an application credential
 * that expires in seconds), revocation honoured within keystone.token_cache_seconds, X-Service-Token letting an
 * expired token through, 503 when Keystone does not answer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { authenticate } from '../../../src/openstack/session.ts';
import { revokeToken } from '../../../src/openstack/tokens.ts';
import { findFreePort } from '../../../src/providers/docker/free-port.ts';
import { keystoneAccounts, keystoneCall, keystoneEnv, tokenOf, type Accounts } from '../../helpers/keystone.ts';
import { startApi, type ServeProcess } from '../../helpers/service-process.ts';

const { accounts, skip } = keystoneAccounts();
const UNAUTHORIZED = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function call(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${url}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** A `magnetar api` on SQLite in keystone mode with these extra settings. */
async function keystoneApi(
  a: Accounts,
  env: Record<string, string> = {},
): Promise<ServeProcess & { done(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'magnetar-ks-'));
  const p = await startApi(join(dir, 'state'), { env: keystoneEnv(a, env) });
  return {
    ...p,
    async done() {
      await p.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('auth.mode keystone: token validation against the real Keystone', { skip }, () => {
  const a = accounts as Accounts;
  let api: Awaited<ReturnType<typeof keystoneApi>>;
  let projectA: string;
  let projectB: string;

  before(async () => {
    api = await keystoneApi(a, { MAGNETAR_KEYSTONE_TOKEN_CACHE_SECONDS: '4' });
    projectA = (await tokenOf(a, 'a-member')).info.project!.id;
    projectB = (await tokenOf(a, 'b-member')).info.project!.id;
  });
  after(() => api?.done());

  it('answers 401 with keystonemiddleware body and WWW-Authenticate without a token or with a bad one', async () => {
    const cases: Record<string, string>[] = [{}, { 'x-auth-token': 'not-a-token' }, { 'x-auth-token': 'gAAAAABbogus' }];
    for (const headers of cases) {
      const r = await call(api.url, '/v1/clustertemplates', headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.deepEqual(r.body, UNAUTHORIZED);
      assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${a.authUrl}"`);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    }
    // Even a path that does not exist is refused first (the middleware runs before routing), but / and /v1 are public.
    assert.equal((await call(api.url, '/v1/no-such-thing')).status, 401);
    assert.equal((await call(api.url, '/')).status, 200);
    assert.equal((await call(api.url, '/v1')).status, 200);
    assert.equal((await fetch(`${api.url}/healthcheck`)).status, 200);
    assert.equal((await call(api.url, '/v1/openapi.json')).status, 200, 'the OpenAPI document is public too');
  });

  it('takes the caller only from the token: project, admin role; X-Project-Id / X-Roles headers are ignored', async () => {
    const member = (await tokenOf(a, 'a-member')).token;
    const h = { 'x-auth-token': member };
    assert.equal((await call(api.url, '/v1/clustertemplates', h)).status, 200);
    assert.equal((await call(api.url, `/v1/stats?project_id=${projectA}`, h)).status, 200);
    // Another project's stats need the admin role, which neither a header nor a claimed project gives.
    const forged = { ...h, 'x-roles': 'admin', 'x-project-id': projectB, 'x-user-id': 'someone' };
    assert.equal((await call(api.url, `/v1/stats?project_id=${projectB}`, forged)).status, 403);
    const admin = (await tokenOf(a, 'a-admin')).token;
    assert.equal((await call(api.url, `/v1/stats?project_id=${projectB}`, { 'x-auth-token': admin })).status, 200);
  });

  it('honours a revocation within keystone.token_cache_seconds (4 s here)', async () => {
    const t = await tokenOf(a, 'a-member');
    const h = { 'x-auth-token': t.token };
    assert.equal((await call(api.url, '/v1/clustertemplates', h)).status, 200);
    await revokeToken(a.authUrl, t.token, t.token, { timeoutMs: 30_000 });
    const revokedAt = Date.now();
    // Keystone itself refuses it at once; Magnetar may still believe its cached answer, for at most the bound.
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 15_000) {
      status = (await call(api.url, '/v1/clustertemplates', h)).status;
      if (status === 200) await sleep(250);
    }
    const took = Date.now() - revokedAt;
    assert.equal(status, 401);
    // The bound, plus the one validation by Keystone that finds the token revoked (seconds on a busy machine).
    assert.ok(took <= 4_000 + 3_000, `refused ${took} ms after the revocation (bound 4 s)`);
  });

  it('refuses a token once it expired, whatever is cached; a service token lets it through', async () => {
    // A long cache bound: only the token's own expiry can end it. Started (and its own token obtained) first, so that
    // the short-lived token below is not spent waiting for it on a busy machine.
    const longCache = await keystoneApi(a, { MAGNETAR_KEYSTONE_TOKEN_CACHE_SECONDS: '600' });
    const member = await tokenOf(a, 'a-member');
    let credId = '';
    try {
      assert.equal((await call(longCache.url, '/v1/clustertemplates', { 'x-auth-token': member.token })).status, 200);
      // An application credential that expires in seconds gives a token that expires with it.
      const expires = new Date(Date.now() + 15_000);
      const body = await keystoneCall(a, member.token, 'POST', `/users/${member.info.userId}/application_credentials`, {
        application_credential: {
          name: `magnetar-expiry-${process.pid}-${Date.now()}`,
          expires_at: expires.toISOString(),
        },
      });
      const cred = body.application_credential as { id: string; secret: string };
      credId = cred.id;
      const t = await authenticate(
        a.authUrl,
        { kind: 'application_credential', id: cred.id, secret: cred.secret },
        {
          timeoutMs: 30_000,
        },
      );
      assert.ok(t.info.expiresAt <= expires.getTime() + 1_000, 'the token expires with the credential');
      const h = { 'x-auth-token': t.token };
      assert.equal((await call(longCache.url, '/v1/clustertemplates', h)).status, 200);
      await sleep(Math.max(0, t.info.expiresAt - Date.now()) + 500);
      const r = await call(longCache.url, '/v1/clustertemplates', h);
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, UNAUTHORIZED);
      // With the service's own token (role service) as X-Service-Token the expired token is accepted, as Magnum
      // accepts it behind keystonemiddleware (a service finishing a user's long request).
      const service = await tokenOf(a, 'magnetar');
      const withService = { ...h, 'x-service-token': service.token };
      assert.equal((await call(longCache.url, `/v1/stats?project_id=${projectA}`, withService)).status, 200);
      // An X-Service-Token that is not valid fails the request even with a good user token.
      const fresh = (await tokenOf(a, 'a-member')).token;
      const badService = { 'x-auth-token': fresh, 'x-service-token': 'bogus' };
      assert.equal((await call(longCache.url, '/v1/clustertemplates', badService)).status, 401);
      // A user token as X-Service-Token (no service role) does not let an expired token through.
      const userAsService = { ...h, 'x-service-token': fresh };
      assert.equal((await call(longCache.url, '/v1/clustertemplates', userAsService)).status, 401);
    } finally {
      await longCache.done();
      if (credId)
        await keystoneCall(a, member.token, 'DELETE', `/users/${member.info.userId}/application_credentials/${credId}`);
    }
  });

  it('accepts a system-scoped token (policy decides what it may do)', async () => {
    const sys = await tokenOf(a, 'system-reader');
    assert.equal(sys.info.system, 'all');
    assert.equal((await call(api.url, '/v1/clustertemplates', { 'x-auth-token': sys.token })).status, 200);
  });

  it("validates with the service's own application credential instead of a password", async () => {
    const own = await tokenOf(a, 'magnetar');
    const body = await keystoneCall(a, own.token, 'POST', `/users/${own.info.userId}/application_credentials`, {
      application_credential: { name: `magnetar-service-${process.pid}-${Date.now()}` },
    });
    const cred = body.application_credential as { id: string; secret: string };
    try {
      const viaCred = await keystoneApi(a, {
        MAGNETAR_KEYSTONE_APPLICATION_CREDENTIAL_ID: cred.id,
        MAGNETAR_KEYSTONE_APPLICATION_CREDENTIAL_SECRET: cred.secret,
        MAGNETAR_KEYSTONE_PASSWORD: 'not-the-password',
      });
      try {
        const t = (await tokenOf(a, 'a-member')).token;
        assert.equal((await call(viaCred.url, '/v1/clustertemplates', { 'x-auth-token': t })).status, 200);
      } finally {
        await viaCred.done();
      }
    } finally {
      await keystoneCall(a, own.token, 'DELETE', `/users/${own.info.userId}/application_credentials/${cred.id}`);
    }
  });

  it('answers 503 when Keystone does not answer, and nothing is cached', async () => {
    const port = await findFreePort();
    const down = await keystoneApi(
      { ...a, authUrl: `http://127.0.0.1:${port}/v3` },
      { MAGNETAR_KEYSTONE_TIMEOUT_SECONDS: '2' },
    );
    try {
      const t = (await tokenOf(a, 'a-member')).token;
      const r = await call(down.url, '/v1/clustertemplates', { 'x-auth-token': t });
      assert.equal(r.status, 503);
      assert.deepEqual(r.body, {
        error: { code: 503, title: 'Service Unavailable', message: 'The Keystone service is temporarily unavailable.' },
      });
    } finally {
      await down.done();
    }
  });
});
