/**
 * @module test/integration/api/quotas-stats-services — /v1/quotas (CRUD, default fallback, enforcement on cluster
 * create), /v1/stats, /v1/mservices (Magnum's conductor view) and /v1/processes with real heartbeats, over the real
 * API and store; and a real `startService` whose api and conductor halves each report a heartbeat.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { Heartbeat } from '../../../src/conductor/heartbeat.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { startService } from '../../../src/service.ts';
import { MEMBER_A, startApiHarness, V110, version, type ApiHarness, type BadCase } from '../../helpers/api-harness.ts';

const QUOTA_KEYS = ['created_at', 'hard_limit', 'id', 'project_id', 'resource', 'updated_at'];
const MEMBER_Q = { 'x-project-id': 'proj-q', 'x-user-id': 'user-q', 'x-roles': 'member' };
const MEMBER_S = { 'x-project-id': 'proj-s', 'x-user-id': 'user-s', 'x-roles': 'member' };
const silent = { warn: () => undefined };

void describe('quotas, stats and services', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let base: string;

  before(async () => {
    h = await startApiHarness({ config: { 'quotas.max_clusters_per_project': 3, 'services.heartbeat_seconds': 10 } });
    base = String((await h.createTemplate({ name: 'base', public: true })).uuid);
  });

  after(async () => {
    await h?.close();
  });

  void describe('quotas', () => {
    test('a project without a quota row shows the configured default, always as resource Cluster', async () => {
      for (const resource of ['Cluster', 'Whatever']) {
        const res = await h.unchanged(() => h.send('GET', `/v1/quotas/proj-none/${resource}`));
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json(), { project_id: 'proj-none', hard_limit: 3, resource: 'Cluster' });
      }
    });

    test('a member may read the quota of its own project', async () => {
      const res = await h.send('GET', '/v1/quotas/proj-a/Cluster', undefined, MEMBER_A);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json<{ project_id: string }>().project_id, 'proj-a');
    });

    test('an admin creates a quota: 201 with the quota, hard_limit 1 by default and numeric strings accepted', async () => {
      const res = await h.send('POST', '/v1/quotas', { project_id: 'proj-q', resource: 'Cluster' });
      assert.equal(res.statusCode, 201, res.body);
      const q = res.json<Record<string, unknown>>();
      assert.deepEqual(Object.keys(q).sort(), QUOTA_KEYS);
      assert.deepEqual([q.project_id, q.resource, q.hard_limit, q.updated_at], ['proj-q', 'Cluster', 1, null]);
      assert.equal(typeof q.id, 'number');
      assert.match(String(q.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      const other = await h.send('POST', '/v1/quotas', { project_id: 'proj-r', hard_limit: '7' });
      assert.equal(other.statusCode, 201, other.body);
      assert.equal(other.json<{ hard_limit: number }>().hard_limit, 7);
      assert.deepEqual((await h.send('GET', '/v1/quotas/proj-q/Cluster')).json(), q);
    });

    test('the quota is enforced on cluster create with Magnum 403 message, writing nothing', async () => {
      await h.createCluster({ cluster_template_id: base }, MEMBER_Q);
      await h.expectRefused({
        name: '',
        url: '/v1/clusters',
        body: { cluster_template_id: base },
        headers: MEMBER_Q,
        status: 403,
        detail:
          /^Resource limit exceeded: You have reached the maximum clusters per project, 1\. You may delete a cluster to make room for a new one\.$/,
      });
    });

    test('PATCH answers 202 with the quota; the path wins over the body; a raised limit lets creates through', async () => {
      const res = await h.send('PATCH', '/v1/quotas/proj-q/Cluster', {
        project_id: 'ignored',
        resource: 'Cluster',
        hard_limit: 2,
      });
      assert.equal(res.statusCode, 202, res.body);
      const q = res.json<{ project_id: string; hard_limit: number; updated_at: string | null }>();
      assert.deepEqual([q.project_id, q.hard_limit], ['proj-q', 2]);
      assert.notEqual(q.updated_at, null);
      await h.createCluster({ cluster_template_id: base }, MEMBER_Q);
    });

    test('PATCH without hard_limit resets it to 1', async () => {
      const res = await h.send('PATCH', '/v1/quotas/proj-r/Cluster', { project_id: 'proj-r' });
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(res.json<{ hard_limit: number }>().hard_limit, 1);
    });

    test('without a row the configured default is enforced', async () => {
      for (let i = 0; i < 3; i++) await h.createCluster({ cluster_template_id: base }, MEMBER_A);
      await h.expectRefused({
        name: '',
        url: '/v1/clusters',
        body: { cluster_template_id: base },
        headers: MEMBER_A,
        status: 403,
        detail: /maximum clusters per project, 3\./,
      });
    });

    test('the list shows own-project quotas; all_tenants shows every project; pages use the integer id as marker', async () => {
      assert.deepEqual((await h.send('GET', '/v1/quotas')).json(), { quotas: [] });
      const all = (await h.send('GET', '/v1/quotas?all_tenants=True')).json<{
        quotas: { id: number; project_id: string }[];
      }>();
      assert.deepEqual(
        all.quotas.map((q) => q.project_id),
        ['proj-q', 'proj-r'],
      );
      const first = (await h.send('GET', '/v1/quotas?all_tenants=1&limit=1')).json<{
        quotas: { id: number }[];
        next?: string;
      }>();
      assert.equal(
        first.next,
        `http://localhost:80/v1/quotas?sort_key=id&sort_dir=asc&limit=1&marker=${all.quotas[0]?.id}`,
      );
      const second = (await h.send('GET', `/v1/quotas?all_tenants=1&limit=1&marker=${all.quotas[0]?.id}`)).json<{
        quotas: { project_id: string }[];
      }>();
      assert.deepEqual(
        second.quotas.map((q) => q.project_id),
        ['proj-r'],
      );
      const desc = (await h.send('GET', '/v1/quotas?all_tenants=yes&sort_key=project_id&sort_dir=desc')).json<{
        quotas: { project_id: string }[];
      }>();
      assert.deepEqual(
        desc.quotas.map((q) => q.project_id),
        ['proj-r', 'proj-q'],
      );
    });

    test('DELETE answers 204 and the quota falls back to the default', async () => {
      const res = await h.send('DELETE', '/v1/quotas/proj-r/Cluster');
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.deepEqual((await h.send('GET', '/v1/quotas/proj-r/Cluster')).json(), {
        project_id: 'proj-r',
        hard_limit: 3,
        resource: 'Cluster',
      });
    });

    const cases: BadCase[] = [
      {
        name: 'a create with invalid JSON',
        url: '/v1/quotas',
        body: '{"project_id":',
        status: 400,
        detail: /^Request is not in valid JSON format$/,
      },
      {
        name: 'a create without project_id',
        url: '/v1/quotas',
        body: { hard_limit: 2 },
        status: 400,
        detail: /^Invalid input for field\/attribute project_id\. Value: 'None'\. Mandatory field missing\.$/,
      },
      {
        name: 'a create with a blank project_id',
        url: '/v1/quotas',
        body: { project_id: '  ' },
        status: 400,
        detail: /^Must provide a valid project ID\.$/,
      },
      {
        name: 'a create with an unknown resource',
        url: '/v1/quotas',
        body: { project_id: 'p1', resource: 'Pod' },
        status: 400,
        detail: /^Invalid input for field\/attribute resource\. Value: 'Pod'\. Value should be one of: Cluster$/,
      },
      {
        name: 'a create with a negative hard_limit',
        url: '/v1/quotas',
        body: { project_id: 'p1', hard_limit: -1 },
        status: 400,
        detail: /field\/attribute hard_limit\. Value: '-1'\. Value should be greater or equal to 0$/,
      },
      {
        name: 'a create with a hard_limit of the wrong type',
        url: '/v1/quotas',
        body: { project_id: 'p1', hard_limit: 'lots' },
        status: 400,
        detail: /^Invalid input for field\/attribute hard_limit\. Value: 'lots'\. Value should be integer$/,
      },
      {
        name: 'a create with an unknown field',
        url: '/v1/quotas',
        body: { project_id: 'p1', soft_limit: 1 },
        status: 400,
        detail: /^Unknown attribute for argument quota: soft_limit$/,
      },
      {
        name: 'a create with a read-only field',
        url: '/v1/quotas',
        body: { project_id: 'p1', id: 5 },
        status: 400,
        detail: /^Invalid input for field\/attribute id\. Value: '5'\. Cannot set read only field\.$/,
      },
      {
        name: 'a duplicate create',
        url: '/v1/quotas',
        body: { project_id: 'proj-q', resource: 'Cluster' },
        status: 409,
        detail: /^Quota for project proj-q already exists for resource Cluster\.$/,
      },
      {
        name: 'a create by a member',
        url: '/v1/quotas',
        body: { project_id: 'proj-a' },
        headers: MEMBER_A,
        status: 403,
        detail: /^Policy doesn't allow quota:create to be performed\.$/,
      },
      {
        name: 'a list by a member',
        method: 'GET',
        url: '/v1/quotas',
        headers: MEMBER_A,
        status: 403,
        detail: /^Policy doesn't allow quota:get_all to be performed\.$/,
      },
      {
        name: 'a list with a marker that is not an integer',
        method: 'GET',
        url: '/v1/quotas?marker=abc',
        status: 400,
        detail: /^Invalid input for field\/attribute marker\. Value: 'abc'\. unable to convert to int/,
      },
      {
        name: 'a list with an unknown marker',
        method: 'GET',
        url: '/v1/quotas?marker=99999',
        status: 404,
        detail: /^Quota could not be found: id 99999\.$/,
      },
      {
        name: 'a list with a bad all_tenants',
        method: 'GET',
        url: '/v1/quotas?all_tenants=maybe',
        status: 400,
        detail: /^Invalid input for field\/attribute all_tenants\. Value: 'maybe'\. Unrecognized value/,
      },
      {
        name: 'a list with an unknown sort key',
        method: 'GET',
        url: '/v1/quotas?sort_key=limit',
        status: 400,
        detail: /^The sort_key value "limit" is an invalid field for sorting$/,
      },
      {
        name: "a member reading another project's quota",
        method: 'GET',
        url: '/v1/quotas/proj-q/Cluster',
        headers: MEMBER_A,
        status: 403,
        detail: /^Not authorized\.$/,
      },
      {
        name: 'an update of a missing quota',
        method: 'PATCH',
        url: '/v1/quotas/proj-none/Cluster',
        body: { hard_limit: 3 },
        status: 404,
        detail: /^Quota could not be found: project_id proj-none resource Cluster\.$/,
      },
      {
        name: 'an update by a member',
        method: 'PATCH',
        url: '/v1/quotas/proj-q/Cluster',
        body: { hard_limit: 30 },
        headers: MEMBER_Q,
        status: 403,
        detail: /^Policy doesn't allow quota:update to be performed\.$/,
      },
      {
        name: 'an update with a negative hard_limit',
        method: 'PATCH',
        url: '/v1/quotas/proj-q/Cluster',
        body: { hard_limit: -5 },
        status: 400,
        detail: /Value should be greater or equal to 0$/,
      },
      {
        name: 'an update with invalid JSON',
        method: 'PATCH',
        url: '/v1/quotas/proj-q/Cluster',
        body: '{',
        status: 400,
        detail: /^Request is not in valid JSON format$/,
      },
      {
        name: 'a delete of a missing quota',
        method: 'DELETE',
        url: '/v1/quotas/proj-none/Cluster',
        status: 404,
        detail: /^Quota could not be found: project_id proj-none resource Cluster\.$/,
      },
      {
        name: 'a delete by a member',
        method: 'DELETE',
        url: '/v1/quotas/proj-q/Cluster',
        headers: MEMBER_Q,
        status: 403,
        detail: /^Policy doesn't allow quota:delete to be performed\.$/,
      },
    ];
    for (const c of cases) test(`it refuses ${c.name}`, () => h.expectRefused(c));

    test('a microversion above 1.10 answers 406 and writes nothing', async () => {
      const res = await h.unchanged(() => h.send('POST', '/v1/quotas', { project_id: 'p9' }, version(11)));
      assert.equal(res.statusCode, 406);
    });
  });

  void describe('stats', () => {
    before(async () => {
      await h.createCluster({ cluster_template_id: base, node_count: 2 }, MEMBER_S);
      await h.createCluster({ cluster_template_id: base, node_count: 0 }, { ...MEMBER_S, ...V110 });
    });

    test("a member sees its own project's clusters and nodes, masters included", async () => {
      const res = await h.send('GET', '/v1/stats', undefined, MEMBER_S);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { clusters: 2, nodes: 4 });
      assert.deepEqual((await h.send('GET', '/v1/stats?project_id=proj-s&type=Cluster', undefined, MEMBER_S)).json(), {
        clusters: 2,
        nodes: 4,
      });
    });

    test('an admin sees every project, or the one it names', async () => {
      const everything = (await h.send('GET', '/v1/stats')).json<{ clusters: number; nodes: number }>();
      assert.deepEqual(everything, {
        clusters: await h.store.usage.clusterCount(),
        nodes: await h.store.usage.nodeCount(),
      });
      assert.ok(everything.clusters >= 7);
      assert.deepEqual((await h.send('GET', '/v1/stats?project_id=proj-s')).json(), { clusters: 2, nodes: 4 });
      assert.deepEqual((await h.send('GET', '/v1/stats?project_id=proj-empty')).json(), { clusters: 0, nodes: 0 });
    });

    const cases: BadCase[] = [
      {
        name: "a member asking for another project's stats",
        method: 'GET',
        url: '/v1/stats?project_id=proj-q',
        headers: MEMBER_S,
        status: 403,
        detail: /^Not authorized\.$/,
      },
      {
        name: 'a stats type other than cluster',
        method: 'GET',
        url: '/v1/stats?type=nodes',
        status: 400,
        detail: /^Invalid stats type\. Allowed values are 'cluster'$/,
      },
      {
        name: 'an unknown query parameter',
        method: 'GET',
        url: '/v1/stats?all_tenants=1',
        status: 400,
        detail: /^Unknown argument: "all_tenants"$/,
      },
    ];
    for (const c of cases) test(`it refuses ${c.name}`, () => h.expectRefused(c));
  });

  void describe('mservices and processes', () => {
    test('both lists are empty before any heartbeat', async () => {
      assert.deepEqual((await h.send('GET', '/v1/mservices')).json(), { mservices: [] });
      assert.deepEqual((await h.send('GET', '/v1/processes')).json(), { processes: [] });
    });

    const FIELDS = [
      'binary',
      'created_at',
      'disabled',
      'disabled_reason',
      'host',
      'id',
      'report_count',
      'state',
      'updated_at',
    ];

    test("mservices has Magnum's shape: conductor hosts only, magnum-conductor, ids from 1; processes has every row", async () => {
      const beat = async (host: string, binary: 'magnetar-api' | 'magnetar-conductor', at?: Date): Promise<void> => {
        const hb = new Heartbeat(h.store.services, { host, binary, intervalMs: 60_000, log: silent });
        await hb.beat(at);
      };
      // Interleaved so that the conductor rows' database ids are not 1, 2, 3.
      await beat('node-0', 'magnetar-api');
      await beat('node-1', 'magnetar-conductor');
      await beat('node-1', 'magnetar-conductor');
      await beat('node-2', 'magnetar-api', new Date(Date.now() - 31_000));
      await beat('node-3', 'magnetar-conductor', new Date(Date.now() - 31_000));
      await beat('node-1', 'magnetar-api');
      const res = await h.send('GET', '/v1/mservices');
      assert.equal(res.statusCode, 200, res.body);
      const rows = res.json<{ mservices: Record<string, unknown>[] }>().mservices;
      assert.deepEqual(
        rows.map((r) => [r.id, r.host, r.binary, r.state, r.report_count, r.disabled, r.disabled_reason]),
        [
          [1, 'node-1', 'magnum-conductor', 'up', 2, false, null],
          [2, 'node-3', 'magnum-conductor', 'down', 1, false, null],
        ],
      );
      for (const r of rows) assert.deepEqual(Object.keys(r).sort(), FIELDS);
      assert.equal(rows[1]?.updated_at, null);
      assert.match(String(rows[0]?.updated_at), /\+00:00$/);

      const all = (await h.send('GET', '/v1/processes')).json<{ processes: Record<string, unknown>[] }>().processes;
      assert.deepEqual(
        all.map((r) => [r.host, r.binary, r.state]),
        [
          ['node-0', 'magnetar-api', 'up'],
          ['node-1', 'magnetar-conductor', 'up'],
          ['node-2', 'magnetar-api', 'down'],
          ['node-3', 'magnetar-conductor', 'down'],
          ['node-1', 'magnetar-api', 'up'],
        ],
      );
      for (const r of all) assert.deepEqual(Object.keys(r).sort(), FIELDS);
      const ids = all.map((r) => Number(r.id));
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        'processes keep their database ids, in order',
      );
    });

    test('processes refuses a member and unknown query parameters', async () => {
      await h.expectRefused({
        name: '',
        method: 'GET',
        url: '/v1/processes',
        headers: MEMBER_A,
        status: 403,
        detail: /^Policy doesn't allow magnetar-process:get_all to be performed\.$/,
      });
      await h.expectRefused({
        name: '',
        method: 'GET',
        url: '/v1/processes?limit=1',
        status: 400,
        detail: /^Unknown argument: "limit"$/,
      });
    });

    test('it refuses a member', () =>
      h.expectRefused({
        name: '',
        method: 'GET',
        url: '/v1/mservices',
        headers: MEMBER_A,
        status: 403,
        detail: /^Policy doesn't allow magnum-service:get_all to be performed\.$/,
      }));

    test('it refuses an unknown query parameter', () =>
      h.expectRefused({
        name: '',
        method: 'GET',
        url: '/v1/mservices?limit=1',
        status: 400,
        detail: /^Unknown argument: "limit"$/,
      }));

    test('a running service reports one heartbeat per half it runs', async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'magnetar-svc-'));
      const config = loadConfig({
        env: {},
        flags: { state_dir: tmp, 'api.port': 0, 'services.host': 'svc-test', 'notify.driver': 'log' } as never,
      });
      const svc = await startService(config, { api: true, conductor: true, logger: pino({ level: 'silent' }) });
      try {
        assert.equal(svc.heartbeats.length, 2);
        const res = await fetch(`${svc.url}/v1/mservices`);
        assert.equal(res.status, 200);
        const rows = (
          (await res.json()) as { mservices: { id: number; host: string; binary: string; state: string }[] }
        ).mservices;
        assert.deepEqual(
          rows.map((r) => [r.id, r.host, r.binary, r.state]),
          [[1, 'svc-test', 'magnum-conductor', 'up']],
        );
        const all = (await (await fetch(`${svc.url}/v1/processes`)).json()) as {
          processes: { host: string; binary: string; state: string }[];
        };
        assert.deepEqual(all.processes.map((r) => [r.host, r.binary, r.state]).sort(), [
          ['svc-test', 'magnetar-api', 'up'],
          ['svc-test', 'magnetar-conductor', 'up'],
        ]);
      } finally {
        await svc.stop();
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
});
