/**
 * The tenant matrix with real Keystone tokens (auth.mode keystone against the Keystone of scripts/ensure-system.sh):
 * every route of the policy table × a-admin, a-member, a-reader (project magnetar-a), b-member (magnetar-b) and
 * system-reader (system scope), under Magnum 15's policy switches and under secure RBAC, with the personas, recipes
 * and expected outcomes of the noauth matrix (test/helpers/policy-matrix.ts). The caller comes from each token as
 * Keystone validates it (roles as Keystone expands them: admin ⇒ member ⇒ reader), never from the identity headers
 * every request also carries claiming project A's admin. The API is the one `magnetar serve` builds (buildApi with
 * the configuration's KeystoneAuthenticator); its conductor is stood in for by completing operations in the store, so
 * routes that need a settled cluster and the driver capabilities of the noauth matrix answer as there. The matrix's
 * role-less token of project A has no Keystone counterpart: Keystone refuses to scope a token to a project where
 * the user has no role. Last, a `magnetar api` with trusts on refuses a user of the trustee domain (`deny_cluster_user`,
 * the domain learned at start) though it is a member of magnetar-a.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ALL_POLICIES } from '../../../src/api/policy-table.ts';
import { osRequest } from '../../../src/openstack/http.ts';
import { authenticate, type AuthToken } from '../../../src/openstack/session.ts';
import { ALL_CAPABILITIES, LATEST, startApiHarness, type ApiHarness } from '../../helpers/api-harness.ts';
import {
  keystoneAccounts,
  keystoneCall,
  keystoneEnv,
  tokenOf,
  type Accounts,
  type UserName,
} from '../../helpers/keystone.ts';
import {
  assertOutcome,
  expectedOutcome,
  MODE_CONFIG,
  RECIPES,
  type Fixture,
  type Persona,
} from '../../helpers/policy-matrix.ts';
import { startApi } from '../../helpers/service-process.ts';
import { ensureTrustees, TRUSTEE_DOMAIN, trustEnv } from '../../helpers/trustees.ts';

const { accounts, skip } = keystoneAccounts();
const ROUTES = ALL_POLICIES.flatMap((e) => (e.route ? [e.route] : []));

/** The Keystone user of each persona (ensure-system.sh's accounts). */
const USER_OF: Partial<Record<Persona, UserName>> = {
  adminA: 'a-admin',
  memberA: 'a-member',
  readerA: 'a-reader',
  memberB: 'b-member',
  systemReader: 'system-reader',
};
const KEYSTONE_PERSONAS = Object.keys(USER_OF) as Persona[];

/** Configuration of an API in keystone mode validating with the `magnetar` service user. */
const keystoneConfig = (a: Accounts): Record<string, unknown> => ({
  'auth.mode': 'keystone',
  'keystone.auth_url': a.authUrl,
  'keystone.username': 'magnetar',
  'keystone.password': a.servicePassword,
  'keystone.region_name': a.region,
});

void describe('tenant matrix with real Keystone tokens', { skip, timeout: 1_200_000 }, () => {
  const a = accounts as Accounts;
  const tokens = new Map<Persona, AuthToken>();
  let admin: AuthToken;
  let projects: { A: string; B: string };
  let csr: string;
  let tmp: string;

  before(async () => {
    for (const p of KEYSTONE_PERSONAS) tokens.set(p, await tokenOf(a, USER_OF[p]!));
    admin = await tokenOf(a, 'admin');
    projects = { A: tokens.get('memberA')!.info.project!.id, B: tokens.get('memberB')!.info.project!.id };
    tmp = await mkdtemp(join(tmpdir(), 'magnetar-ks-matrix-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=matrix',
        '-keyout',
        join(tmp, 'k'),
        '-out',
        join(tmp, 'c'),
      ],
      { stdio: 'ignore' },
    );
    csr = await readFile(join(tmp, 'c'), 'utf8');
  });
  after(() => (tmp ? rm(tmp, { recursive: true, force: true }) : undefined));

  test('the tokens are what the matrix assumes: project, scope and roles as Keystone expands them', () => {
    for (const p of KEYSTONE_PERSONAS) {
      const info = tokens.get(p)!.info;
      const roles = new Set(info.roles);
      if (p === 'systemReader') assert.equal(info.system, 'all', p);
      else assert.equal(info.project?.id, p === 'memberB' ? projects.B : projects.A, p);
      assert.ok(roles.has('reader'), `${p} reads`);
      assert.equal(roles.has('member'), p !== 'readerA' && p !== 'systemReader', `${p} member`);
      assert.equal(roles.has('admin'), p === 'adminA', `${p} admin`);
    }
  });

  for (const mode of ['magnum15', 'secureRbac'] as const) {
    void describe(mode, () => {
      let h: ApiHarness;
      let n = 0;
      let shared: Fixture;
      const as = (p: Persona | 'admin', f: Fixture): Record<string, string> => ({
        'x-auth-token': p === 'admin' ? admin.token : tokens.get(p)!.token,
        // What noauth mode would believe: project A's admin. Keystone mode must take the caller from the token alone.
        'x-project-id': f.A,
        'x-user-id': 'member-a',
        'x-roles': 'admin,member,reader',
        ...LATEST,
      });

      /** Project A's objects, made by a-member; A's cluster quota reset by the cloud admin (projects are fixed here). */
      const fixture = async (): Promise<Fixture> => {
        n++;
        const f: Fixture = { ...projects, template: '', spare: '', cluster: '', nodegroup: 'extra', csr };
        const q = await h.send('DELETE', `/v1/quotas/${f.A}/Cluster`, undefined, as('admin', f));
        assert.ok(q.statusCode === 204 || q.statusCode === 404, q.body);
        const c = await h.send(
          'POST',
          '/v1/quotas',
          { project_id: f.A, resource: 'Cluster', hard_limit: 10000 },
          as('admin', f),
        );
        assert.equal(c.statusCode, 201, c.body);
        const member = as('memberA', f);
        f.template = String((await h.createTemplate({ name: `tpl-${n}` }, member)).uuid);
        f.spare = String((await h.createTemplate({ name: `spare-${n}` }, member)).uuid);
        f.cluster = await h.createCluster({ cluster_template_id: f.template, name: `cl-${n}` }, member);
        await h.completeCluster(f.cluster);
        const ng = await h.send('POST', `/v1/clusters/${f.cluster}/nodegroups`, { name: 'extra' }, member);
        assert.equal(ng.statusCode, 202, ng.body);
        await h.completeCluster(f.cluster);
        return f;
      };

      before(async () => {
        h = await startApiHarness({
          capabilities: new Set(ALL_CAPABILITIES),
          config: { ...keystoneConfig(a), ...MODE_CONFIG[mode] },
        });
        shared = await fixture();
      });
      after(() => h?.close());

      for (const route of ROUTES) {
        void describe(route, () => {
          for (const persona of KEYSTONE_PERSONAS) {
            test(`${USER_OF[persona]}: ${expectedOutcome(mode, route, persona)}`, async () => {
              const recipe = RECIPES[route]!;
              const method = route.split(' ')[0] as 'GET' | 'POST' | 'PATCH' | 'DELETE';
              // Reads share one fixture; every write gets its own.
              const f = method === 'GET' ? shared : await fixture();
              const outcome = expectedOutcome(mode, route, persona);
              const before = outcome === 'deny' || outcome === 'hide' ? await h.snapshot() : undefined;
              const res = await h.send(method, recipe.url(f), recipe.body?.(f), as(persona, f));
              assertOutcome(route, outcome, res, f, USER_OF[persona]!);
              if (before !== undefined)
                assert.equal(await h.snapshot(), before, `${persona} ${route}: nothing written`);
            });
          }
        });
      }
    });
  }

  test('with trusts on, a user of the trustee domain is refused by deny_cluster_user though a member of magnetar-a', async () => {
    const { admin: cloudAdmin, adminPassword } = await ensureTrustees(a);
    const call = (m: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<Record<string, unknown>> =>
      keystoneCall(a, cloudAdmin.token, m, path, body);
    const domain = ((await call('GET', `/domains?name=${TRUSTEE_DOMAIN}`)).domains as { id: string }[])[0]!;
    const name = 'matrix-trustee-member';
    const found = ((await call('GET', `/users?name=${name}&domain_id=${domain.id}`)).users as { id: string }[])[0];
    const login = (): Promise<unknown> =>
      authenticate(
        a.authUrl,
        { kind: 'password', username: name, userDomainId: domain.id, password: a.demoPassword },
        { timeoutMs: 30_000 },
      );
    let user: { id: string };
    if (!found)
      user = (await call('POST', '/users', { user: { name, domain_id: domain.id, password: a.demoPassword } }))
        .user as {
        id: string;
      };
    else if (
      await login().then(
        () => true,
        () => false,
      )
    )
      user = found;
    else {
      user = (await call('PATCH', `/users/${found.id}`, { user: { password: a.demoPassword } })).user as { id: string };
      // Keystone revokes the user's tokens issued in the second of a password change.
      await new Promise((r) => setTimeout(r, 1100));
    }
    const member = ((await call('GET', '/roles?name=member')).roles as { id: string }[])[0]!;
    await osRequest({
      service: 'keystone',
      method: 'PUT',
      url: `${a.authUrl}/projects/${projects.A}/users/${user.id}/roles/${member.id}`,
      headers: { 'x-auth-token': cloudAdmin.token },
      timeoutMs: 30_000,
    });
    const trustee = await authenticate(
      a.authUrl,
      {
        kind: 'password',
        username: name,
        userDomainName: TRUSTEE_DOMAIN,
        password: a.demoPassword,
        scope: { project: { id: projects.A } },
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(trustee.info.project?.id, projects.A);
    assert.equal(trustee.info.userDomainId, domain.id);

    const dir = await mkdtemp(join(tmpdir(), 'magnetar-ks-trustee-'));
    const api = await startApi(join(dir, 'state'), { env: keystoneEnv(a, trustEnv(adminPassword)) });
    try {
      const get = async (token: string, path: string): Promise<{ status: number; body: string }> => {
        const r = await fetch(`${api.url}${path}`, { headers: { 'x-auth-token': token, ...LATEST } });
        return { status: r.status, body: await r.text() };
      };
      for (const [path, action] of [
        ['/v1/clusters', 'cluster:get_all'],
        ['/v1/clustertemplates', 'clustertemplate:get_all'],
      ] as const) {
        const refused = await get(trustee.token, path);
        assert.equal(refused.status, 403, refused.body);
        assert.match(refused.body, new RegExp(`Policy doesn't allow ${action} to be performed\\.`));
        // The same project's ordinary member is let through by the same server.
        const ok = await get(tokens.get('memberA')!.token, path);
        assert.equal(ok.status, 200, ok.body);
      }
    } finally {
      await api.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
