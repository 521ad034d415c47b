/**
 * `providers.local.allowed_projects`: who may create clusters on the local Docker provider, whose node containers
 * are near-privileged (docs/operator-guide.md, "Trust boundary"). Empty (the default) lets every project; a list
 * lets those projects and admins, and answers others 403 in Magnum's error body with nothing written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MEMBER_A, MEMBER_B, startApiHarness, V110, type ApiHarness } from '../../helpers/api-harness.ts';

const ADMIN_C = { 'x-project-id': 'proj-c', 'x-user-id': 'admin-c', 'x-roles': 'admin' };

void describe('providers.local.allowed_projects', { timeout: 600_000 }, () => {
  let open: ApiHarness;
  let restricted: ApiHarness;

  before(async () => {
    open = await startApiHarness();
    restricted = await startApiHarness({ config: { 'providers.local.allowed_projects': ['proj-a'] } });
    for (const h of [open, restricted]) await h.createTemplate({ name: 'shared', public: true });
  });

  after(async () => {
    await open?.close();
    await restricted?.close();
  });

  const body = { name: 'c', cluster_template_id: 'shared', node_count: 1 };

  test('by default every project creates clusters on the local provider', async () => {
    assert.deepEqual(open.config.providers.local.allowedProjects, []);
    await open.createCluster({ ...body, name: 'by-b' }, { ...MEMBER_B, ...V110 });
  });

  test('a project outside the list gets 403 PolicyNotAuthorized in Magnum’s body, and nothing is written', async () => {
    await restricted.expectRefused({
      name: 'proj-b refused',
      url: '/v1/clusters',
      body,
      headers: { ...MEMBER_B, ...V110 },
      status: 403,
      detail:
        /^Policy doesn't allow cluster:create to be performed\. Project proj-b may not create clusters on the local provider \(driver swarm-local\); see providers\.local\.allowed_projects\.$/,
    });
  });

  test('a listed project and an admin of any project may create them', async () => {
    await restricted.createCluster({ ...body, name: 'by-a' }, { ...MEMBER_A, ...V110 });
    await restricted.createCluster({ ...body, name: 'by-admin' }, { ...ADMIN_C, ...V110 });
    const res = await restricted.send('GET', '/v1/clusters', undefined, V110);
    const names = res.json<{ clusters: { name: string }[] }>().clusters.map((c) => c.name);
    assert.deepEqual(names.sort(), ['by-a', 'by-admin']);
  });

  test('the list comes from the environment as a comma-separated value', async () => {
    const { loadConfig } = await import('../../../src/config/load.ts');
    const c = loadConfig({ env: { MAGNETAR_LOCAL_ALLOWED_PROJECTS: 'proj-a, proj-x' } });
    assert.deepEqual(c.providers.local.allowedProjects, ['proj-a', 'proj-x']);
  });
});
