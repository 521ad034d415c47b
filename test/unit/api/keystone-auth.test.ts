/**
 * KeystoneAuthenticator against a fake Keystone (a local HTTP server answering POST and GET /v3/auth/tokens): one
 * validation per new token however many requests carry it at once, answers cached within the bound and never past the
 * token's expiry, refusals cached, the cache bounded, the service token renewed after a 401, 503 on no answer.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { KeystoneConfig } from '../../../src/config/load.ts';
import { AuthRejection, KeystoneAuthenticator } from '../../../src/api/keystone-auth.ts';

const VALID = new Map<string, number>(); // token → expires_at (ms)
let validations = 0;
let serviceTokens = 0;
let refuseServiceToken: string | null = null;
let server: Server;
let authUrl = '';

const tokenBody = (expires: number): string =>
  JSON.stringify({
    token: {
      user: { id: 'u', name: 'n', domain: { id: 'default' } },
      project: { id: 'p', name: 'pn', domain: { id: 'default' } },
      roles: [{ name: 'member' }],
      expires_at: new Date(expires).toISOString(),
      audit_ids: ['a'],
    },
  });

before(async () => {
  server = createServer((req, res) => {
    if (req.method === 'POST') {
      serviceTokens++;
      const t = `service-${serviceTokens}`;
      res.writeHead(201, { 'x-subject-token': t, 'content-type': 'application/json' });
      res.end(tokenBody(Date.now() + 3_600_000));
      return;
    }
    validations++;
    if (req.headers['x-auth-token'] === refuseServiceToken) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error": {"code": 401, "message": "The request you have made requires authentication."}}');
      return;
    }
    const exp = VALID.get(String(req.headers['x-subject-token']));
    // Let concurrent requests pile up before answering.
    setTimeout(() => {
      if (exp === undefined || exp <= Date.now()) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error": {"code": 404, "message": "Failed to validate token"}}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(tokenBody(exp));
      }
    }, 20);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  authUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

function config(over: Partial<KeystoneConfig> = {}): KeystoneConfig {
  return {
    authUrl,
    wwwAuthenticateUri: null,
    username: 'magnetar',
    password: 'pw',
    userDomainName: 'Default',
    projectName: 'service',
    projectDomainName: 'Default',
    applicationCredentialId: null,
    applicationCredentialSecret: null,
    regionName: null,
    interface: 'public',
    tokenCacheMs: 60_000,
    tokenCacheSize: 100,
    timeoutMs: 2_000,
    serviceTokenRoles: ['service'],
    serviceTokenRolesRequired: false,
    ...over,
  };
}

const identify = async (a: KeystoneAuthenticator, token: string): Promise<number> => {
  try {
    await a.identify({ 'x-auth-token': token });
    return 200;
  } catch (e) {
    if (e instanceof AuthRejection) return e.status;
    throw e;
  }
};

describe('KeystoneAuthenticator', () => {
  test('concurrent requests with one new token cause one validation; later ones are answered from the cache', async () => {
    VALID.set('t1', Date.now() + 60_000);
    const a = new KeystoneAuthenticator({ config: config() });
    const before = validations;
    const statuses = await Promise.all(Array.from({ length: 20 }, () => identify(a, 't1')));
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(validations - before, 1);
    const c = a.identify({ 'x-auth-token': 't1' });
    assert.ok(!(c instanceof Promise), 'a cached token is answered synchronously');
    assert.equal(c.projectId, 'p');
    assert.equal(validations - before, 1);
  });

  test('the cache bound and the token expiry both end a cached answer; refusals are cached too', async () => {
    let now = Date.now();
    const a = new KeystoneAuthenticator({ config: config({ tokenCacheMs: 5_000 }), now: () => now });
    VALID.set('t2', Date.now() + 60_000);
    VALID.set('t3', Date.now() + 2_000);
    const before = validations;
    assert.equal(await identify(a, 't2'), 200);
    assert.equal(await identify(a, 't3'), 200);
    assert.equal(await identify(a, 'bad'), 401);
    assert.equal(await identify(a, 'bad'), 401);
    assert.equal(validations - before, 3, 'the second refusal came from the cache');
    VALID.delete('t2'); // revoked
    now += 2_500; // t3 expired; t2 still cached (within the 5 s bound)
    assert.equal(await identify(a, 't3'), 401);
    assert.equal(await identify(a, 't2'), 200);
    now += 3_000; // past the bound: t2 is asked again and found revoked
    assert.equal(await identify(a, 't2'), 401);
  });

  test('the cache holds at most token_cache_size tokens', async () => {
    const a = new KeystoneAuthenticator({ config: config({ tokenCacheSize: 5 }) });
    for (let i = 0; i < 12; i++) {
      VALID.set(`s${i}`, Date.now() + 60_000);
      assert.equal(await identify(a, `s${i}`), 200);
    }
    assert.equal(a.cached, 5);
  });

  test('a refused service token is renewed once and the validation retried; no answer is a 503', async () => {
    const a = new KeystoneAuthenticator({ config: config() });
    VALID.set('t4', Date.now() + 60_000);
    assert.equal(await identify(a, 't4'), 200);
    refuseServiceToken = await a.session.token();
    VALID.set('t5', Date.now() + 60_000);
    const issued = serviceTokens;
    assert.equal(await identify(a, 't5'), 200);
    assert.equal(serviceTokens - issued, 1, 'a new service token was obtained');
    refuseServiceToken = null;

    const down = new KeystoneAuthenticator({ config: config({ authUrl: 'http://127.0.0.1:1/v3', timeoutMs: 1_000 }) });
    assert.equal(await identify(down, 't4'), 503);
    assert.throws(
      () => down.identify({}),
      (e: unknown) =>
        e instanceof AuthRejection &&
        e.status === 401 &&
        e.headers['WWW-Authenticate'] === 'Keystone uri="http://127.0.0.1:1/v3"',
    );
  });
});
