/**
 * @module test/unit/api/policy-defaults — the policy tables hold Magnum 15's defaults (compared with Magnum's own
 * registered defaults when Debian's python3-magnum is importable), every persona default is at most as permissive as
 * the Magnum 15 default it replaces (so the default configuration behaves as Magnum 15), and the API's translation of
 * callers: credentials, the trustee domain, is_admin from `context_is_admin`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  'magnetar-process:get_all',
  'project_reader',
  'project_member',
]);

/**
 * Magnetar's deliberate differences from Magnum 15's defaults (docs/compatibility.md): Magnum's `deny_cluster_user`
 * would let any project change or delete another project's public baymodel; Magnetar keeps clustertemplate's rule.
 */
const DELIBERATE: Readonly<Record<string, { magnum: string; magnetar: string }>> = {
  'baymodel:update': { magnum: 'rule:deny_cluster_user', magnetar: 'rule:admin_or_owner' },
  'baymodel:delete': { magnum: 'rule:deny_cluster_user', magnetar: 'rule:admin_or_owner' },
};

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
      (e) => magnum[e.action] !== (DELIBERATE[e.action]?.magnum ?? magnum15(e)),
    );
    assert.deepEqual(
      differ.map((e) => [e.action, magnum15(e), magnum[e.action]]),
      [],
    );
    // The deliberate differences are what Magnetar registers (and still differ from Magnum's).
    for (const [action, d] of Object.entries(DELIBERATE)) {
      const e = ALL_POLICIES.find((x) => x.action === action);
      assert.equal(e && magnum15(e), d.magnetar, action);
      assert.notEqual(magnum[action], d.magnetar, action);
    }
    // The legacy bay and baymodel routes are covered: every bay:* and baymodel:* rule of Magnum has its action.
    const mine = new Set(ALL_POLICIES.map((e) => e.action));
    assert.equal(Object.keys(magnum).filter((n) => /^(bay|baymodel):/.test(n)).length, 13);
    // Magnum's rules Magnetar has no action for are federations' (Magnum's conductor never implemented them).
    assert.deepEqual(
      Object.keys(magnum).filter((n) => !mine.has(n) && !/^federation:/.test(n)),
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

  test('every rule, persona and switch decides as the real oslo.policy does (python3-oslo.policy, when importable)', (t) => {
    const python = ['/usr/bin/python3', 'python3'].find(
      (p) => spawnSync(p, ['-c', 'import oslo_policy'], { encoding: 'utf8' }).status === 0,
    );
    if (python === undefined) {
      t.skip('python3 cannot import oslo_policy (apt-get install python3-oslo.policy)');
      return;
    }
    // An operator's file: a base rule and an action replaced, a new helper rule.
    const dir = mkdtempSync(join(tmpdir(), 'magnetar-oslo-'));
    const file = join(dir, 'policy.yaml');
    const overrides = {
      context_is_admin: 'role:admin or role:cloud-admin',
      'cluster:delete': 'rule:admin_api or (rule:owner_team and role:member)',
      owner_team: 'project_id:%(project_id)s',
    };
    writeFileSync(file, JSON.stringify(overrides));
    const personas: Caller[] = [];
    for (const roles of [['admin', 'member', 'reader'], ['member', 'reader'], ['reader'], [], ['cloud-admin']])
      for (const projectId of ['p1', 'p2'])
        for (const extra of [{}, { userDomainId: 'trustee-domain' }, { systemScope: 'all' as const, projectId: '' }])
          personas.push(caller({ roles, projectId, ...extra }));
    const targets = [
      undefined,
      { project_id: 'p1', user_id: 'u1' },
      { project_id: 'p1', user_id: 'u2', trustee_user_id: 'u1' },
    ];
    const modes = [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const;
    const cases: { mode: number; rule: string; creds: Record<string, unknown>; target: Record<string, unknown> }[] = [];
    const mine: boolean[] = [];
    for (const [mode, [enforceNewDefaults, enforceScope]] of modes.entries()) {
      const p = new ApiPolicy(
        new PolicyEnforcer(policyDefaults(ALL_POLICIES), { enforceNewDefaults, enforceScope, overrides }),
        { trusteeDomainId: 'trustee-domain' },
      );
      for (const e of ALL_POLICIES)
        for (const c0 of personas)
          for (const tg of targets) {
            const c = { ...c0, isAdmin: p.isAdmin(c0) };
            const { creds, scope } = p.credentials(c);
            // oslo.policy takes the token's scope from the credentials' domain_id, which Magnum fills with the user's
            // domain (what the trustee rule needs): with enforce_scope it would see every user with a domain as
            // domain-scoped. Magnetar takes the scope from the token; those cases are compared without that mix-up.
            const osloScope = creds.system ? 'system' : creds.domain_id ? 'domain' : 'project';
            if (enforceScope && osloScope !== scope) continue;
            cases.push({ mode, rule: e.action, creds, target: p.target(c, tg) });
            mine.push(p.allows(e.action, c, tg));
          }
    }
    const script = `
import json, sys, warnings
warnings.simplefilter('ignore')
from oslo_config import cfg
from oslo_policy import policy
data = json.load(sys.stdin)
out = []
for i, (new, scope) in enumerate(data['modes']):
    conf = cfg.ConfigOpts()
    conf([], project='magnetar-policy-test')
    e = policy.Enforcer(conf, policy_file=data['file'])
    conf.set_override('enforce_new_defaults', new, group='oslo_policy')
    conf.set_override('enforce_scope', scope, group='oslo_policy')
    rules = []
    for d in data['defaults']:
        kw = {}
        if d.get('scope'):
            kw['scope_types'] = d['scope']
        if d.get('deprecated'):
            kw['deprecated_rule'] = policy.DeprecatedRule(name=d['action'], check_str=d['deprecated'], deprecated_reason='persona defaults', deprecated_since='X')
        rules.append(policy.RuleDefault(d['action'], d['check'], **kw))
    e.register_defaults(rules)
    e.load_rules()
    for c in [c for c in data['cases'] if c['mode'] == i]:
        out.append(bool(e.enforce(c['rule'], dict(c['target']), dict(c['creds']), do_raise=False)))
print(json.dumps(out))
`;
    const res = spawnSync(python, ['-c', script], {
      input: JSON.stringify({ modes, file, defaults: ALL_POLICIES, cases }),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(res.status, 0, res.stderr);
    const oslo = JSON.parse(res.stdout) as boolean[];
    assert.equal(oslo.length, mine.length);
    assert.ok(cases.length > 17_000, `${cases.length} cases compared`);
    const differ = cases.filter((_, i) => oslo[i] !== mine[i]).slice(0, 5);
    assert.deepEqual(differ, [], `${cases.filter((_, i) => oslo[i] !== mine[i]).length} of ${cases.length} differ`);
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

  test('a trustee domain learned after start (Keystone trusts ask for it) is used from then on', () => {
    const known: { id?: string } = {};
    const p = new ApiPolicy(
      new PolicyEnforcer(policyDefaults(ALL_POLICIES), { enforceNewDefaults: false, enforceScope: false }),
      { trusteeDomainId: () => known.id },
    );
    const trustee = caller({ roles: ['member'], userDomainId: 'trustee-domain' });
    assert.equal(p.allows('cluster:create', trustee), true, 'not known yet: nobody is a cluster user');
    known.id = 'trustee-domain';
    assert.equal(p.allows('cluster:create', trustee), false);
    assert.equal(p.allows('cluster:create', caller({ roles: ['member'], userDomainId: 'default' })), true);
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
