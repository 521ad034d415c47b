/**
 * @module test/unit/api/policy-defaults — the policy tables hold Magnum 15's defaults (compared with Magnum's own
 * registered defaults when Debian's python3-magnum is importable), every persona default is at most as permissive as
 * the Magnum 15 default it replaces (so the default configuration behaves as Magnum 15), and the API's translation of
 * callers: credentials, the trustee domain, is_admin from `context_is_admin`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { ApiPolicy, policyDefaults, type PolicyEntry } from '../../../src/api/policy.ts';
import { ALL_POLICIES } from '../../../src/api/policy-table.ts';
import { PolicyEnforcer } from '../../../src/core/policy-enforcer.ts';
import type { Caller } from '../../../src/core/types.ts';

/** Magnum 15's default of an entry: the deprecated check where Magnetar's persona default replaced it. */
const magnum15 = (e: PolicyEntry): string => e.deprecated ?? e.check;

/** Actions Magnetar adds (no Magnum counterpart). */
const MAGNETAR_ONLY = new Set([
  'root:get',
  'root:get_v1',
  'healthcheck:get',
  'openapi:get',
  'cluster:events',
  'cluster:events_stream',
  'project_reader',
  'project_member',
]);

const policy = (enforceNewDefaults: boolean, trusteeDomainId?: string): ApiPolicy =>
  new ApiPolicy(new PolicyEnforcer(policyDefaults(ALL_POLICIES), { enforceNewDefaults, enforceScope: false }), {
    trusteeDomainId,
  });

const caller = (over: Partial<Caller>): Caller => ({
  userId: 'u1',
  projectId: 'p1',
  roles: [],
  isAdmin: false,
  ...over,
});

void describe('policy defaults', () => {
  test("every Magnum action of the tables has Magnum 15's default check string (python3-magnum, when importable)", (t) => {
    const python = ['/usr/bin/python3', 'python3'].find(
      (p) => spawnSync(p, ['-c', 'import magnum.common.policies'], { encoding: 'utf8' }).status === 0,
    );
    if (python === undefined) {
      t.skip('python3 cannot import magnum.common.policies (apt-get install python3-magnum)');
      return;
    }
    const res = spawnSync(
      python,
      [
        '-c',
        'import json\nfrom magnum.common import policies\nprint(json.dumps({r.name: r.check_str for r in policies.list_rules()}))',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(res.status, 0, res.stderr);
    const magnum = JSON.parse(res.stdout) as Record<string, string>;
    const differ = ALL_POLICIES.filter((e) => !MAGNETAR_ONLY.has(e.action)).filter(
      (e) => magnum[e.action] !== magnum15(e),
    );
    assert.deepEqual(
      differ.map((e) => [e.action, magnum15(e), magnum[e.action]]),
      [],
    );
    // Magnum's rules Magnetar has no action for are the removed APIs (bays, baymodels, federations).
    const mine = new Set(ALL_POLICIES.map((e) => e.action));
    assert.deepEqual(
      Object.keys(magnum).filter((n) => !mine.has(n) && !/^(bay|baymodel|federation):/.test(n)),
      [],
    );
  });

  test("with Magnum 15's switches every action decides as its Magnum 15 default alone, for every persona", () => {
    const withOr = policy(false, 'trustee-domain');
    const magnumOnly = new ApiPolicy(
      new PolicyEnforcer(
        ALL_POLICIES.map((e) => ({ name: e.action, check: magnum15(e) })),
        { enforceNewDefaults: false, enforceScope: false },
      ),
      { trusteeDomainId: 'trustee-domain' },
    );
    const personas: Caller[] = [];
    for (const roles of [['admin', 'member', 'reader'], ['member', 'reader'], ['reader'], [], ['admin']])
      for (const projectId of ['p1', 'p2', ''])
        for (const userDomainId of [undefined, 'trustee-domain'])
          personas.push(caller({ roles, projectId, userDomainId, isAdmin: roles.includes('admin') }));
    const targets = [
      undefined,
      { project_id: 'p1', user_id: 'u1' },
      { project_id: 'p1', user_id: 'u2', trustee_user_id: 'u1' },
    ];
    for (const e of ALL_POLICIES)
      for (const c of personas)
        for (const t of targets)
          assert.equal(
            withOr.allows(e.action, c, t),
            magnumOnly.allows(e.action, c, t),
            `${e.action} ${JSON.stringify(c)}`,
          );
  });

  test('the trustee domain: its users are denied cluster actions, everyone else is not', () => {
    const p = policy(false, 'trustee-domain');
    const trustee = caller({ roles: ['member'], userDomainId: 'trustee-domain' });
    assert.equal(p.allows('cluster:create', trustee), false);
    assert.equal(p.allows('cluster:get', trustee, { project_id: 'p1', user_id: 'x' }), false);
    assert.equal(p.allows('cluster:create', caller({ roles: ['member'], userDomainId: 'default' })), true);
    // Without a trustee domain (no Keystone trusts configured) nobody is a cluster user.
    assert.equal(policy(false).allows('cluster:create', trustee), true);
    // The cluster's own trustee may still read its certificates (cluster_user).
    assert.equal(
      p.allows('certificate:get', trustee, { project_id: 'p1', user_id: 'creator', trustee_user_id: 'u1' }),
      true,
    );
  });

  test('is_admin is the context_is_admin rule, and the credentials say what Magnum puts in them', () => {
    const p = policy(false);
    assert.equal(p.isAdmin(caller({ roles: ['Admin'] })), true);
    assert.equal(p.isAdmin(caller({ roles: ['member'], isAdmin: true })), false);
    const sys = p.credentials(caller({ projectId: '', systemScope: 'all', roles: ['reader'], userDomainId: 'd' }));
    assert.equal(sys.scope, 'system');
    assert.equal(sys.creds.project_id, null);
    assert.equal(sys.creds.system_scope, 'all');
    assert.equal(sys.creds.domain_id, 'd');
    assert.equal(p.credentials(caller({ domainId: 'd2' })).scope, 'domain');
    assert.equal(p.credentials(caller({})).creds.is_admin_project, true);
  });

  test('with enforce_new_defaults the personas split: readers read, members write, admins administer', () => {
    const p = policy(true);
    const own = { project_id: 'p1', user_id: 'u1' };
    const reader = caller({ roles: ['reader'] });
    const member = caller({ roles: ['member', 'reader'] });
    assert.equal(p.allows('cluster:get', reader, own), true);
    assert.equal(p.allows('cluster:delete', reader, own), false);
    assert.equal(p.allows('cluster:delete', member, own), true);
    assert.equal(p.allows('cluster:delete', member, { ...own, project_id: 'p2' }), false);
    assert.equal(p.allows('clustertemplate:get', reader, { project_id: 'p2', user_id: 'x' }), true); // public ones
    assert.equal(p.allows('certificate:create', reader, own), false);
    assert.equal(p.allows('quota:create', member), false);
    assert.equal(p.allows('cluster:get', caller({ roles: [] }), own), false);
    assert.throws(() => p.allows('cluster:nonsense', member), /no policy entry for cluster:nonsense/);
  });
});
