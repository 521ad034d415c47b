/**
 * @module test/unit/core/policy-enforcer — defaults, deprecated defaults OR'd until new defaults are enforced, scope
 * types, the operator's overrides, and the refusal (naming the rule) of overrides that cannot work.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PolicyConfigError,
  PolicyEnforcer,
  type PolicyCredentials,
  type PolicyDefault,
} from '../../../src/core/policy-enforcer.ts';

const DEFAULTS: PolicyDefault[] = [
  { name: 'context_is_admin', check: 'role:admin' },
  { name: 'owner', check: 'project_id:%(project_id)s' },
  { name: 'reader', check: 'role:reader and rule:owner' },
  // New default (readers of the project) replacing an old one (anyone of the project).
  {
    name: 'thing:get',
    check: 'rule:context_is_admin or rule:reader',
    deprecated: 'rule:owner',
    scopeTypes: ['project'],
  },
  { name: 'thing:list_services', check: 'rule:context_is_admin', scopeTypes: ['system', 'project'] },
];

const who = (
  roles: string[],
  project: string | null,
  scope: PolicyCredentials['scope'] = 'project',
): PolicyCredentials => ({
  creds: { roles, project_id: project, user_id: 'u' },
  scope,
});
const P1 = { project_id: 'p1' };

const make = (opts: Partial<ConstructorParameters<typeof PolicyEnforcer>[1]> = {}): PolicyEnforcer =>
  new PolicyEnforcer(DEFAULTS, { enforceNewDefaults: false, enforceScope: false, ...opts });

void describe('policy enforcer', () => {
  test("without enforce_new_defaults a changed default is OR'd with the deprecated one", () => {
    const e = make();
    assert.equal(e.check('thing:get', who(['member'], 'p1'), P1), true); // the old default lets any role of p1
    assert.equal(e.check('thing:get', who(['reader'], 'p1'), P1), true);
    assert.equal(e.check('thing:get', who(['member'], 'p2'), P1), false);
    assert.equal(e.effectiveCheck('thing:get'), 'rule:context_is_admin or rule:reader or rule:owner');
  });

  test('with enforce_new_defaults only the new default counts', () => {
    const e = make({ enforceNewDefaults: true });
    assert.equal(e.check('thing:get', who(['member'], 'p1'), P1), false);
    assert.equal(e.check('thing:get', who(['reader'], 'p1'), P1), true);
    assert.equal(e.check('thing:get', who(['admin'], 'p9'), P1), true);
  });

  test('with enforce_scope a token of another scope is refused before the check', () => {
    const sys = who(['admin'], null, 'system');
    assert.equal(make().check('thing:get', sys, P1), true);
    assert.deepEqual(make({ enforceScope: true }).decide('thing:get', sys, P1), { allowed: false, reason: 'scope' });
    assert.equal(make({ enforceScope: true }).check('thing:list_services', sys, {}), true);
    assert.equal(make({ enforceScope: true }).check('thing:get', who(['admin'], 'p9'), P1), true);
  });

  test('an unknown rule denies, as oslo.policy fails closed', () => {
    assert.deepEqual(make().decide('nope', who(['admin'], 'p1'), {}), { allowed: false, reason: 'unknown-rule' });
  });

  test('an override replaces the default (and its deprecated check) by name; new names may be added', () => {
    const e = make({ overrides: { 'thing:get': 'role:auditor or rule:extra', extra: 'user_id:u' } });
    assert.equal(e.check('thing:get', who(['member'], 'p1'), P1), true); // through rule:extra (user u)
    assert.equal(e.check('thing:get', { creds: { roles: ['member'], user_id: 'v' }, scope: 'project' }, P1), false);
    assert.equal(e.effectiveCheck('thing:get'), 'role:auditor or rule:extra');
    assert.deepEqual(e.overridden().sort(), ['extra', 'thing:get']);
    // A base rule overridden changes every rule that refers to it.
    const e2 = make({ overrides: { context_is_admin: 'role:cloud-admin' } });
    assert.equal(e2.check('thing:get', who(['admin'], 'p9'), P1), false);
    assert.equal(e2.check('thing:get', who(['cloud-admin'], 'p9'), P1), true);
  });

  test('an override that cannot work is refused, naming the rule and the file', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [
        { 'thing:get': 'role:admin or' },
        'thing:get',
        /^policy: rule thing:get in \/etc\/p\.yaml: "role:admin or": ends/,
      ],
      [
        { 'thing:get': 'rule:missing' },
        'thing:get',
        /^policy: rule thing:get in \/etc\/p\.yaml refers to rule:missing, which is not defined$/,
      ],
      [{ a: 'rule:b', b: 'rule:a' }, 'a', /^policy: rule a refers to itself \(a -> b -> a\)$/],
      [{ owner: 'rule:reader' }, 'owner', /refers to itself \(owner -> reader -> owner\)/],
    ];
    for (const [overrides, rule, re] of cases) {
      assert.throws(
        () => make({ overrides, overridesFrom: '/etc/p.yaml' }),
        (e: unknown) =>
          e instanceof PolicyConfigError && e.rule === rule && re.test(e.message) && !e.message.includes('\n'),
        JSON.stringify(overrides),
      );
    }
  });

  test('a default registered twice or unreadable is a programming error naming it', () => {
    assert.throws(
      () =>
        new PolicyEnforcer([...DEFAULTS, { name: 'owner', check: '@' }], {
          enforceNewDefaults: false,
          enforceScope: false,
        }),
      /default rule owner is registered twice/,
    );
    assert.throws(
      () => new PolicyEnforcer([{ name: 'x', check: 'nonsense' }], { enforceNewDefaults: false, enforceScope: false }),
      (e: unknown) => e instanceof PolicyConfigError && e.rule === 'x',
    );
  });
});
