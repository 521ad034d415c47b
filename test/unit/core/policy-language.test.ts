/**
 * @module test/unit/core/policy-language — oslo.policy's rule language: parsing (precedence, parentheses glued to
 * checks, keywords in any case), every kind of check, and the errors where oslo.policy would silently fail closed.
 * The evaluation table is also run through the real oslo.policy when python3 can import it (Debian python3-oslo.policy,
 * installed with python3-magnum), so the two are shown to agree case by case.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import {
  evaluate,
  formatPolicy,
  parsePolicy,
  PolicyRuleError,
  pythonStr,
  substitute,
  type PolicyNode,
} from '../../../src/core/policy-language.ts';

type Case = {
  rule: string;
  creds: Record<string, unknown>;
  target: Record<string, unknown>;
  expect: boolean;
  rules?: Record<string, string>;
};

const member = { user_id: 'u1', project_id: 'p1', roles: ['member', 'reader'], is_admin: false, domain_id: 'd1' };
const admin = { user_id: 'u0', project_id: 'p0', roles: ['Admin'], is_admin: true, domain_id: 'd0' };
const system = { user_id: 'u9', project_id: null, roles: ['reader'], is_admin: false, system_scope: 'all' };
const own = { project_id: 'p1', user_id: 'u1' };
const other = { project_id: 'p2', user_id: 'u2', trustee_domain_id: 'dt' };
const base = {
  context_is_admin: 'role:admin',
  admin_or_owner: 'is_admin:True or project_id:%(project_id)s',
  deny_cluster_user: 'not domain_id:%(trustee_domain_id)s',
};

const CASES: Case[] = [
  { rule: '', creds: member, target: own, expect: true },
  { rule: '@', creds: {}, target: {}, expect: true },
  { rule: '!', creds: admin, target: own, expect: false },
  { rule: 'role:admin', creds: admin, target: own, expect: true }, // roles compare case-insensitively
  { rule: 'role:ADMIN', creds: admin, target: own, expect: true },
  { rule: 'role:admin', creds: member, target: own, expect: false },
  { rule: 'role:%(want)s', creds: member, target: { want: 'Member' }, expect: true },
  { rule: 'role:%(missing)s', creds: member, target: own, expect: false },
  { rule: 'project_id:%(project_id)s', creds: member, target: own, expect: true },
  { rule: 'project_id:%(project_id)s', creds: member, target: other, expect: false },
  { rule: 'project_id:%(absent)s', creds: member, target: own, expect: false },
  { rule: 'project_id:p1', creds: member, target: {}, expect: true },
  { rule: 'is_admin:True', creds: admin, target: {}, expect: true },
  { rule: 'is_admin:True', creds: member, target: {}, expect: false },
  { rule: 'is_admin:False', creds: member, target: {}, expect: true },
  { rule: 'True:%(enabled)s', creds: {}, target: { enabled: true }, expect: true },
  { rule: 'True:%(enabled)s', creds: {}, target: { enabled: false }, expect: false },
  { rule: "'x':%(name)s", creds: {}, target: { name: 'x' }, expect: true },
  { rule: '3:%(n)s', creds: {}, target: { n: 3 }, expect: true },
  // None == None: a token without a project matches a target without one, as in Magnum.
  { rule: 'project_id:%(project_id)s', creds: system, target: { project_id: null }, expect: true },
  { rule: 'system_scope:all', creds: system, target: {}, expect: true },
  { rule: 'system_scope:all', creds: member, target: {}, expect: false },
  { rule: 'token.user.id:%(id)s', creds: { token: { user: { id: 'x' } } }, target: { id: 'x' }, expect: true },
  {
    rule: 'token.roles.name:r2',
    creds: { token: { roles: [{ name: 'r1' }, { name: 'r2' }] } },
    target: {},
    expect: true,
  },
  { rule: 'token.roles.name:r3', creds: { token: { roles: [{ name: 'r1' }] } }, target: {}, expect: false },
  { rule: 'roles:member', creds: member, target: {}, expect: true }, // a generic check over a list credential
  { rule: 'role:admin or project_id:%(project_id)s', creds: member, target: own, expect: true },
  { rule: 'role:admin and project_id:%(project_id)s', creds: member, target: own, expect: false },
  // `and` binds tighter than `or`, both ways round.
  { rule: 'role:admin or role:member and project_id:p2', creds: member, target: {}, expect: false },
  { rule: 'role:member and project_id:p2 or role:reader', creds: member, target: {}, expect: true },
  { rule: '(role:admin or role:member) and project_id:p2', creds: member, target: {}, expect: false },
  { rule: '((role:member))', creds: member, target: {}, expect: true },
  { rule: 'not role:admin', creds: member, target: {}, expect: true },
  { rule: 'not (role:member or role:admin)', creds: member, target: {}, expect: false },
  { rule: 'not not role:member', creds: member, target: {}, expect: true },
  { rule: 'NOT role:admin AND role:member', creds: member, target: {}, expect: true },
  { rule: 'rule:context_is_admin', creds: admin, target: {}, expect: true, rules: base },
  { rule: 'rule:admin_or_owner', creds: member, target: own, expect: true, rules: base },
  { rule: 'rule:admin_or_owner', creds: member, target: other, expect: false, rules: base },
  { rule: 'rule:admin_or_owner', creds: admin, target: other, expect: true, rules: base },
  { rule: 'rule:nonexistent', creds: admin, target: {}, expect: false, rules: base },
  // The trustee-domain rule: a user of the trustee domain is denied; no trustee domain in the target denies nobody.
  { rule: 'rule:deny_cluster_user', creds: member, target: other, expect: true, rules: base },
  { rule: 'rule:deny_cluster_user', creds: { ...member, domain_id: 'dt' }, target: other, expect: false, rules: base },
  { rule: 'rule:deny_cluster_user', creds: { ...member, domain_id: 'dt' }, target: own, expect: true, rules: base },
  { rule: 'rule:deny_cluster_user', creds: { ...member, domain_id: null }, target: other, expect: true, rules: base },
  { rule: 'user_id:%(user_id)s', creds: member, target: { user_id: 'u1' }, expect: true },
  { rule: 'user_id:%%(user_id)s', creds: { user_id: '%(user_id)s' }, target: {}, expect: true },
];

function run(c: Case): boolean {
  const rules = new Map(Object.entries(c.rules ?? {}).map(([k, v]) => [k, parsePolicy(v)] as [string, PolicyNode]));
  return evaluate(parsePolicy(c.rule), { creds: c.creds, target: c.target, rule: (n) => rules.get(n) });
}

void describe('policy language', () => {
  test('evaluates every case of the table as expected', () => {
    for (const c of CASES) assert.equal(run(c), c.expect, `${c.rule} with ${JSON.stringify(c.creds)}`);
    // A path through a value that is not a mapping: oslo.policy raises TypeError there (a 500); here it is a denial.
    assert.equal(run({ rule: 'token.user.id:x', creds: { token: 'flat' }, target: {}, expect: false }), false);
  });

  test('the real oslo.policy agrees with the table (when python3 can import it)', (t) => {
    // Debian's interpreter (a pyenv python3 earlier on PATH does not see Debian's packages).
    const python = ['/usr/bin/python3', 'python3'].find(
      (p) => spawnSync(p, ['-c', 'import oslo_policy'], { encoding: 'utf8' }).status === 0,
    );
    if (python === undefined) {
      t.skip('python3 cannot import oslo_policy (apt-get install python3-oslo.policy)');
      return;
    }
    const script = `
import json, sys
from oslo_config import cfg
from oslo_policy import policy
out = []
for c in json.load(sys.stdin):
    conf = cfg.ConfigOpts()
    conf([], project='x')
    e = policy.Enforcer(conf, use_conf=False)
    rules = {k: v for k, v in (c.get('rules') or {}).items()}
    rules['__case__'] = c['rule']
    e.set_rules(policy.Rules.from_dict(rules), overwrite=True, use_conf=False)
    out.append(bool(e.enforce('__case__', c['target'], dict(c['creds']))))
print(json.dumps(out))
`;
    const res = spawnSync(python, ['-c', script], { input: JSON.stringify(CASES), encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    const oslo = JSON.parse(res.stdout) as boolean[];
    const disagree = CASES.filter((c, i) => oslo[i] !== c.expect).map((c) => c.rule);
    assert.deepEqual(disagree, []);
  });

  test('parses precedence and parentheses as oslo.policy does', () => {
    assert.equal(formatPolicy(parsePolicy('a:1 or b:2 and c:3')), 'a:1 or b:2 and c:3');
    assert.deepEqual(parsePolicy('a:1 or b:2 and c:3'), {
      kind: 'or',
      checks: [
        { kind: 'generic', field: 'a', match: '1' },
        {
          kind: 'and',
          checks: [
            { kind: 'generic', field: 'b', match: '2' },
            { kind: 'generic', field: 'c', match: '3' },
          ],
        },
      ],
    });
    assert.equal(formatPolicy(parsePolicy('(a:1  or b:2)and c:3'.replace('and', ' and '))), '(a:1 or b:2) and c:3');
    assert.equal(formatPolicy(parsePolicy('not (a:1 and b:2)')), 'not (a:1 and b:2)');
    assert.equal(formatPolicy(parsePolicy('project_id:%(project_id)s')), 'project_id:%(project_id)s');
    assert.equal(formatPolicy(parsePolicy('(project_id:%(project_id)s)')), 'project_id:%(project_id)s');
    assert.deepEqual(parsePolicy('   '), { kind: 'true' });
  });

  test('refuses what oslo.policy would silently turn into "deny"', () => {
    const bad: [string, RegExp][] = [
      ['role:admin or', /ends where a check was expected/],
      ['role:admin role:member', /found a check where an operator or the end belongs/],
      ['(role:admin', /unbalanced '\('/],
      ['role:admin)', /found '\)' where an operator or the end belongs/],
      ['admin', /'admin' is not a check/],
      ['and role:admin', /found 'and' where a check was expected/],
      ['rule:', /names no rule/],
      ['http://example.com/check', /remote http checks are not supported/],
      [':x', /empty kind/],
      ['"role:admin"', /quoted string/],
    ];
    for (const [text, re] of bad)
      assert.throws(
        () => parsePolicy(text),
        (e: unknown) => e instanceof PolicyRuleError && re.test((e as Error).message),
        text,
      );
  });

  test('prints values as Python does and substitutes the target', () => {
    assert.equal(pythonStr(true), 'True');
    assert.equal(pythonStr(null), 'None');
    assert.equal(pythonStr(undefined), 'None');
    assert.equal(pythonStr(7), '7');
    assert.equal(substitute('%(a)s-%(b)s', { a: 'x', b: false }), 'x-False');
    assert.equal(substitute('%(a)s', {}), undefined);
    assert.equal(substitute('100%%', {}), '100%');
  });
});
