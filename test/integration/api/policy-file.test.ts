/**
 * @module test/integration/api/policy-file — the operator's policy file (oslo.policy's YAML format) through the real
 * HTTP edge: its rules replace the defaults of the same name and nothing else, a base rule overridden changes every
 * rule and every handler that uses it (`context_is_admin` is who is admin), a JSON file is read too; and the trustee
 * domain: callers whose user lives in it are refused cluster actions (`deny_cluster_user`).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildPolicy } from '../../../src/api/policy.ts';
import { ALL_POLICIES } from '../../../src/api/policy-table.ts';
import { StartupError } from '../../../src/config/startup-error.ts';
import { LATEST, MEMBER_A, MEMBER_B, startApiHarness, type ApiHarness } from '../../helpers/api-harness.ts';

const A = { ...MEMBER_A, ...LATEST };
const B = { ...MEMBER_B, ...LATEST };
const denied = (action: string): RegExp => new RegExp(`^Policy doesn't allow ${action} to be performed\\.$`);

void describe('policy file', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let template: string;
  let cluster: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'magnetar-policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(
      file,
      [
        '# Only administrators delete clusters; cloud-admin is an administrator too; nobody lists templates.',
        '"cluster:delete": "rule:admin_api"',
        '"context_is_admin": "role:admin or role:cloud-admin"',
        '"clustertemplate:get_all": "!"',
        '# Rules for APIs Magnetar does not serve are accepted (a policy file written for Magnum loads as is).',
        '"bay:create": "rule:deny_cluster_user"',
        '',
      ].join('\n'),
    );
    h = await startApiHarness({ config: { 'policy.file': file }, trusteeDomainId: 'trustee-domain' });
    template = String((await h.createTemplate({ name: 'pf-tpl' }, A)).uuid);
    cluster = await h.createCluster({ cluster_template_id: template, name: 'pf-cl' }, A);
    await h.completeCluster(cluster);
  });

  after(async () => {
    await h?.close();
  });

  test('an overridden rule replaces the default: a member may no longer delete, an admin may', async () => {
    await h.expectRefused({
      name: 'member deletes',
      method: 'DELETE',
      url: `/v1/clusters/${cluster}`,
      headers: A,
      status: 403,
      detail: denied('cluster:delete'),
    });
    const spare = await h.createCluster({ cluster_template_id: template, name: 'pf-spare' }, A);
    await h.completeCluster(spare);
    assert.equal((await h.send('DELETE', `/v1/clusters/${spare}`, undefined, { ...LATEST })).statusCode, 204);
    // Rules the file does not name keep Magnum's defaults.
    assert.equal((await h.send('GET', `/v1/clusters/${cluster}`, undefined, A)).statusCode, 200);
    assert.equal(
      (await h.send('PATCH', `/v1/clusters/${cluster}`, [{ op: 'replace', path: '/node_count', value: 2 }], A))
        .statusCode,
      202,
    );
  });

  test('"!" denies everyone, administrators included', async () => {
    for (const headers of [A, { ...LATEST }]) {
      const res = await h.send('GET', '/v1/clustertemplates', undefined, headers);
      assert.equal(res.statusCode, 403, res.body);
      assert.match(res.json<{ errors: { detail: string }[] }>().errors[0]!.detail, denied('clustertemplate:get_all'));
    }
    assert.equal((await h.send('GET', `/v1/clustertemplates/${template}`, undefined, A)).statusCode, 200);
  });

  test('context_is_admin overridden: cloud-admin is an administrator everywhere (policy and handlers)', async () => {
    const cloudAdmin = { 'x-project-id': 'ops', 'x-user-id': 'ops-user', 'x-roles': 'cloud-admin', ...LATEST };
    assert.equal((await h.send('GET', '/v1/quotas', undefined, cloudAdmin)).statusCode, 200);
    // is_admin reaches the store: another project's cluster is found.
    assert.equal((await h.send('GET', `/v1/clusters/${cluster}`, undefined, cloudAdmin)).statusCode, 200);
    assert.equal((await h.send('GET', `/v1/clusters/${cluster}`, undefined, B)).statusCode, 404);
    const res = await h.send('GET', '/v1/quotas', undefined, { ...A, 'x-roles': 'member' });
    assert.equal(res.statusCode, 403);
  });

  test('the trustee domain: a user of it is refused cluster actions even in its own project', async () => {
    const trustee = { ...A, 'x-user-domain-id': 'trustee-domain' };
    await h.expectRefused({
      name: 'trustee creates a cluster',
      url: '/v1/clusters',
      body: { cluster_template_id: template },
      headers: trustee,
      status: 403,
      detail: denied('cluster:create'),
    });
    const res = await h.send('GET', `/v1/clusters/${cluster}`, undefined, trustee);
    assert.equal(res.statusCode, 403);
    assert.match(res.json<{ errors: { detail: string }[] }>().errors[0]!.detail, denied('cluster:get'));
    const other = { ...A, 'x-user-domain-id': 'default' };
    assert.equal((await h.send('GET', `/v1/clusters/${cluster}`, undefined, other)).statusCode, 200);
  });

  test('a JSON policy file (policy.json) is read too, and a bad one is a one-line StartupError naming the rule', async () => {
    const json = join(h.tmp, 'policy.json');
    writeFileSync(json, JSON.stringify({ 'quota:get_all': 'role:auditor or rule:admin_api' }));
    const p = buildPolicy(ALL_POLICIES, { file: json, enforceNewDefaults: false, enforceScope: false });
    assert.equal(p.enforcer.effectiveCheck('quota:get_all'), 'role:auditor or rule:admin_api');
    const bad = join(h.tmp, 'bad.yaml');
    for (const [text, re] of [
      [
        '"cluster:get": "role:a role:b"\n',
        /^policy: rule cluster:get in .*bad\.yaml: "role:a role:b": found a check where an operator/,
      ],
      ['"cluster:get": 3\n', /^policy: rule cluster:get in .*bad\.yaml must be a check string \(got 3\)/],
      ['- a\n- b\n', /must hold a mapping of rule name to check string$/],
      ['"a": [\n', /is not YAML/],
    ] as const) {
      writeFileSync(bad, text);
      assert.throws(
        () => buildPolicy(ALL_POLICIES, { file: bad, enforceNewDefaults: false, enforceScope: false }),
        (e: unknown) => e instanceof StartupError && re.test(e.message) && !e.message.includes('\n'),
        text,
      );
    }
  });
});
