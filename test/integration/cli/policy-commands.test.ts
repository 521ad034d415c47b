/**
 * @module test/integration/cli/policy-commands — `bin/magnetar policy show` prints the rules in force (an override
 * from the policy file marked as such) in a form that loads back as a policy file with the same effect; `policy
 * sample`, uncommented, is a policy file that changes nothing under new defaults; a bad file fails as at start.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ALL_POLICIES } from '../../../src/api/policy-table.ts';
import { buildPolicy } from '../../../src/api/policy.ts';
import { REPO } from '../../helpers/service-process.ts';

const BIN = join(REPO, 'bin', 'magnetar');

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

void describe('magnetar policy', { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-policy-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('show: the rules in force, overrides marked, loadable back with the same effect', async () => {
    const file = join(dir, 'policy.yaml');
    await writeFile(file, '"cluster:delete": "rule:admin_api"\n"extra_rule": "role:ops"\n');
    const env = { MAGNETAR_POLICY_FILE: file, MAGNETAR_POLICY_ENFORCE_NEW_DEFAULTS: 'true' };
    const r = await run(['policy', 'show'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^# Policy in force: policy\.file .*policy\.yaml; enforce_new_defaults true; enforce_scope false$/m,
    );
    assert.match(r.stdout, /^# DELETE \/v1\/clusters\/:ident; from policy\.file\n"cluster:delete": "rule:admin_api"$/m);
    assert.match(r.stdout, /^# from policy\.file\n"extra_rule": "role:ops"$/m);
    assert.match(
      r.stdout,
      /^# GET \/v1\/clusters; default\n"cluster:get_all": "\(rule:context_is_admin or rule:project_reader\) and rule:deny_cluster_user"$/m,
    );
    const shown = join(dir, 'shown.yaml');
    await writeFile(shown, r.stdout);
    const original = buildPolicy(ALL_POLICIES, { file, enforceNewDefaults: true, enforceScope: false });
    const again = buildPolicy(ALL_POLICIES, { file: shown, enforceNewDefaults: false, enforceScope: false });
    for (const e of ALL_POLICIES)
      assert.equal(again.enforcer.effectiveCheck(e.action), original.enforcer.effectiveCheck(e.action), e.action);
  });

  test('sample: every default commented out; uncommented it is the new defaults as a file', async () => {
    const r = await run(['policy', 'sample']);
    assert.equal(r.code, 0, r.stderr);
    for (const e of ALL_POLICIES) assert.ok(r.stdout.includes(`#"${e.action}": `), e.action);
    assert.match(
      r.stdout,
      /^# POST \/v1\/clusters\n# Scope types: project\n# Magnum 15: "rule:deny_cluster_user"\n#"cluster:create": /m,
    );
    const file = join(dir, 'sample.yaml');
    await writeFile(file, r.stdout.replace(/^#"/gm, '"'));
    const fromFile = buildPolicy(ALL_POLICIES, { file, enforceNewDefaults: false, enforceScope: false });
    const newDefaults = buildPolicy(ALL_POLICIES, { file: null, enforceNewDefaults: true, enforceScope: false });
    for (const e of ALL_POLICIES)
      assert.equal(fromFile.enforcer.effectiveCheck(e.action), newDefaults.enforcer.effectiveCheck(e.action), e.action);
  });

  test('show with a bad file: the start-up error line, exit 1', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, '"cluster:get": "not"\n');
    const r = await run(['policy', 'show'], { MAGNETAR_POLICY_FILE: file });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^magnetar: policy: rule cluster:get in .*bad\.yaml: "not": ends where a check was expected/,
    );
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
