/** Catalog look-up, token parsing, auth bodies and the Caller a token stands for (pure parts of src/openstack). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callerFromToken } from '../../../src/api/keystone-auth.ts';
import { endpointFor, EndpointNotFound, findEndpoint, withProject } from '../../../src/openstack/catalog.ts';
import { authBody } from '../../../src/openstack/session.ts';
import { parseToken, TokenFormatError } from '../../../src/openstack/token.ts';

const catalog = [
  {
    type: 'image',
    endpoints: [
      { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: 'http://127.0.0.1:9292/' },
      { interface: 'internal', region_id: 'RegionOne', region: 'RegionOne', url: 'http://10.0.0.1:9292' },
      { interface: 'public', region_id: 'RegionTwo', region: 'RegionTwo', url: 'http://127.0.0.2:9292' },
    ],
  },
  { type: 'volumev3', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://c/v3/%(project_id)s' }] },
];

describe('catalog', () => {
  test('finds an endpoint by type, region and interface, without a trailing slash', () => {
    assert.equal(endpointFor(catalog, 'image', { region: 'RegionOne', interface: 'public' }), 'http://127.0.0.1:9292');
    assert.equal(endpointFor(catalog, 'image', { region: 'RegionOne', interface: 'internal' }), 'http://10.0.0.1:9292');
    assert.equal(endpointFor(catalog, 'image', { region: 'RegionTwo', interface: 'public' }), 'http://127.0.0.2:9292');
    assert.equal(findEndpoint(catalog, 'image', { region: null, interface: 'public' }), 'http://127.0.0.1:9292');
  });
  test('block-storage finds volumev3; the project is filled in', () => {
    const url = endpointFor(catalog, 'block-storage', { region: 'RegionOne', interface: 'public' });
    assert.equal(withProject(url, 'p1'), 'http://c/v3/p1');
  });
  test("a missing endpoint is keystoneauth's message", () => {
    assert.throws(
      () => endpointFor(catalog, 'compute', { region: 'RegionOne', interface: 'public' }),
      (e: unknown) =>
        e instanceof EndpointNotFound &&
        e.message === 'publicURL endpoint for compute service in RegionOne region not found',
    );
    assert.equal(findEndpoint(catalog, 'image', { region: 'RegionThree', interface: 'public' }), null);
  });
});

const tokenBody = (extra: Record<string, unknown>): unknown => ({
  token: {
    methods: ['password'],
    user: { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } },
    audit_ids: ['aud'],
    expires_at: '2030-01-01T00:00:00.000000Z',
    issued_at: '2029-12-31T23:00:00.000000Z',
    roles: [
      { id: 'r1', name: 'member' },
      { id: 'r2', name: 'reader' },
    ],
    ...extra,
  },
});

describe('tokens', () => {
  test('a project-scoped token gives the project, its domain and the roles', () => {
    const t = parseToken(tokenBody({ project: { id: 'p1', name: 'a', domain: { id: 'default', name: 'Default' } } }));
    assert.equal(t.expiresAt, Date.parse('2030-01-01T00:00:00Z'));
    const c = callerFromToken(t, 'TOKEN');
    assert.deepEqual(
      { ...c },
      {
        userId: 'u1',
        userName: 'alice',
        userDomainId: 'default',
        projectId: 'p1',
        projectName: 'a',
        projectDomainId: 'default',
        roles: ['member', 'reader'],
        isAdmin: false,
        authToken: 'TOKEN',
      },
    );
  });
  test('system and domain scope', () => {
    const sys = callerFromToken(parseToken(tokenBody({ system: { all: true }, roles: [{ name: 'admin' }] })), 'T');
    assert.equal(sys.systemScope, 'all');
    assert.equal(sys.projectId, '');
    assert.equal(sys.isAdmin, true);
    const dom = callerFromToken(parseToken(tokenBody({ domain: { id: 'd1', name: 'D' } })), 'T');
    assert.equal(dom.domainId, 'd1');
    assert.equal(dom.systemScope, undefined);
  });
  test("Keystone's is_admin_project reaches the caller when sent; absent, the caller leaves it unset (true)", () => {
    const project = { id: 'p1', name: 'a', domain: { id: 'default', name: 'Default' } };
    const notAdmin = callerFromToken(parseToken(tokenBody({ project, is_admin_project: false })), 'T');
    assert.equal(notAdmin.isAdminProject, false);
    assert.equal(callerFromToken(parseToken(tokenBody({ project, is_admin_project: true })), 'T').isAdminProject, true);
    assert.equal(callerFromToken(parseToken(tokenBody({ project })), 'T').isAdminProject, undefined);
  });
  test('refuses data that is not a token', () => {
    assert.throws(() => parseToken({ token: { user: {} } }), TokenFormatError);
    assert.throws(() => parseToken(null), TokenFormatError);
  });
});

describe('auth bodies', () => {
  test('password scoped to a project by name', () => {
    assert.deepEqual(
      authBody({
        kind: 'password',
        username: 'magnetar',
        userDomainName: 'Default',
        password: 'pw',
        scope: { project: { name: 'service', domainName: 'Default' } },
      }),
      {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'magnetar', domain: { name: 'Default' }, password: 'pw' } },
          },
          scope: { project: { name: 'service', domain: { name: 'Default' } } },
        },
      },
    );
  });
  test('application credential, system scope and trust scope', () => {
    assert.deepEqual(authBody({ kind: 'application_credential', id: 'ac', secret: 's' }), {
      auth: { identity: { methods: ['application_credential'], application_credential: { secret: 's', id: 'ac' } } },
    });
    const sys = authBody({ kind: 'password', userId: 'u', password: 'p', scope: { system: 'all' } }) as {
      auth: { scope: unknown };
    };
    assert.deepEqual(sys.auth.scope, { system: { all: true } });
    const trust = authBody({ kind: 'token', token: 't', scope: { trustId: 'tr' } }) as { auth: { scope: unknown } };
    assert.deepEqual(trust.auth.scope, { 'OS-TRUST:trust': { id: 'tr' } });
  });
});
