/**
 * @module test/integration/api/policy — policy as data: every registered route has exactly one policy entry (walking
 * Fastify's route table), project A can neither see nor change project B's templates, clusters, node groups and
 * quotas, and the routes Magnetar does not serve (federations; detail below one bay or baymodel) answer 404 like
 * unknown paths.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ALL_POLICIES } from '../../../src/api/policy-table.ts';
import {
  ALL_CAPABILITIES,
  assertRoutingError,
  LATEST,
  MEMBER_A,
  MEMBER_B,
  startApiHarness,
  type ApiHarness,
  type BadCase,
} from '../../helpers/api-harness.ts';

void describe('policy and isolation', { timeout: 600_000 }, () => {
  let h: ApiHarness;

  before(async () => {
    h = await startApiHarness({ capabilities: new Set(ALL_CAPABILITIES) });
  });

  after(async () => {
    await h?.close();
  });

  void describe('policy entries', () => {
    /** Routes as `METHOD /url`; HEAD routes are the ones Fastify adds for GET and share its entry. */
    const routes = (): string[] =>
      h.app
        .routeTable()
        .filter((r) => r.method !== 'HEAD')
        .map((r) => `${r.method} ${r.url}`);

    test('every route has exactly one policy entry', () => {
      const missing: string[] = [];
      const doubled: string[] = [];
      for (const route of routes()) {
        const n = ALL_POLICIES.filter((e) => e.route === route).length;
        if (n === 0) missing.push(route);
        if (n > 1) doubled.push(route);
      }
      assert.deepEqual(missing, [], 'routes without a policy entry');
      assert.deepEqual(doubled, [], 'routes with several policy entries');
      assert.ok(routes().length >= 30);
    });

    test('every entry that names a route names a registered one, and actions are unique', () => {
      const registered = new Set(routes());
      assert.deepEqual(
        ALL_POLICIES.filter((e) => e.route !== undefined && !registered.has(e.route)).map((e) => e.route),
        [],
      );
      const actions = ALL_POLICIES.map((e) => e.action);
      assert.deepEqual(
        actions.filter((a, i) => actions.indexOf(a) !== i),
        [],
      );
    });

    test("the public routes are '@' and the admin-only ones 'rule:admin_api', as Magnum 15's defaults", () => {
      const entry = (route: string) => ALL_POLICIES.find((e) => e.route === route);
      // Magnum 15's default: the deprecated check where Magnetar's persona default replaced it, else the check.
      const magnum = (route: string): string | undefined => entry(route)?.deprecated ?? entry(route)?.check;
      for (const r of ['GET /', 'GET /v1', 'GET /healthcheck', 'GET /v1/openapi.json']) assert.equal(magnum(r), '@', r);
      for (const r of [
        'GET /v1/quotas',
        'POST /v1/quotas',
        'PATCH /v1/quotas/:project_id/:resource',
        'DELETE /v1/quotas/:project_id/:resource',
        'GET /v1/mservices',
      ]) {
        assert.equal(magnum(r), 'rule:admin_api', r);
      }
      assert.equal(magnum('PATCH /v1/clustertemplates/:ident'), 'rule:admin_or_owner');
      assert.equal(magnum('GET /v1/certificates/:cluster'), 'rule:admin_or_user or rule:cluster_user');
      assert.equal(magnum('POST /v1/clusters'), 'rule:deny_cluster_user');
    });

    test('the public routes answer without identity headers', async () => {
      for (const url of ['/', '/v1', '/healthcheck', '/v1/openapi.json']) {
        const res = await h.app.inject({ method: 'GET', url, headers: { 'x-roles': '' } });
        assert.equal(res.statusCode, 200, url);
        assert.match(String(res.headers['x-openstack-request-id']), /^req-/);
      }
    });
  });

  void describe("project B against project A's objects", () => {
    let template: string;
    let cluster: string;

    before(async () => {
      template = String((await h.createTemplate({ name: 'a-private' }, MEMBER_A)).uuid);
      cluster = await h.createCluster({ cluster_template_id: template, name: 'a-cluster' }, MEMBER_A);
      await h.completeCluster(cluster);
      assert.equal(
        (await h.send('POST', `/v1/clusters/${cluster}/nodegroups`, { name: 'a-extra' }, { ...MEMBER_A, ...LATEST }))
          .statusCode,
        202,
      );
      await h.completeCluster(cluster);
      assert.equal((await h.send('POST', '/v1/quotas', { project_id: 'proj-a', hard_limit: 10 })).statusCode, 201);
    });

    test('project A sees and reaches its own objects', async () => {
      const a = { ...MEMBER_A, ...LATEST };
      for (const url of [
        `/v1/clustertemplates/${template}`,
        `/v1/clusters/${cluster}`,
        `/v1/clusters/${cluster}/nodegroups/a-extra`,
        '/v1/quotas/proj-a/Cluster',
        `/v1/certificates/${cluster}`,
      ]) {
        assert.equal((await h.send('GET', url, undefined, a)).statusCode, 200, url);
      }
    });

    test("project B's lists do not show them", async () => {
      const b = { ...MEMBER_B, ...LATEST };
      const templates = (await h.send('GET', '/v1/clustertemplates', undefined, b)).json<{
        clustertemplates: { uuid: string }[];
      }>();
      assert.equal(
        templates.clustertemplates.some((t) => t.uuid === template),
        false,
      );
      const clusters = (await h.send('GET', '/v1/clusters/detail', undefined, b)).json<{
        clusters: { uuid: string }[];
      }>();
      assert.equal(
        clusters.clusters.some((c) => c.uuid === cluster),
        false,
      );
      assert.deepEqual((await h.send('GET', '/v1/stats', undefined, b)).json(), { clusters: 0, nodes: 0 });
    });

    const b = { ...MEMBER_B, ...LATEST };
    const notFound = /could not be found\.$/;
    const cases = (): BadCase[] => [
      {
        name: 'read the template',
        method: 'GET',
        url: `/v1/clustertemplates/${template}`,
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'patch the template',
        method: 'PATCH',
        url: `/v1/clustertemplates/${template}`,
        body: [{ op: 'replace', path: '/name', value: 'x' }],
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'delete the template',
        method: 'DELETE',
        url: `/v1/clustertemplates/${template}`,
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'create a cluster from the template',
        url: '/v1/clusters',
        body: { cluster_template_id: template },
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'read the cluster',
        method: 'GET',
        url: `/v1/clusters/${cluster}`,
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'read the cluster by name',
        method: 'GET',
        url: '/v1/clusters/a-cluster',
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'patch the cluster',
        method: 'PATCH',
        url: `/v1/clusters/${cluster}`,
        body: [{ op: 'replace', path: '/node_count', value: 3 }],
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'resize the cluster',
        url: `/v1/clusters/${cluster}/actions/resize`,
        body: { node_count: 3 },
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'upgrade the cluster',
        url: `/v1/clusters/${cluster}/actions/upgrade`,
        body: { cluster_template: template },
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'delete the cluster',
        method: 'DELETE',
        url: `/v1/clusters/${cluster}`,
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'read the cluster events',
        method: 'GET',
        url: `/v1/clusters/${cluster}/events`,
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'read the cluster CA',
        method: 'GET',
        url: `/v1/certificates/${cluster}`,
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'sign with the cluster CA',
        url: '/v1/certificates',
        body: { cluster_uuid: cluster, csr: 'x' },
        headers: b,
        status: 400,
        detail: notFound,
      },
      {
        name: 'rotate the cluster CA',
        method: 'PATCH',
        url: `/v1/certificates/${cluster}`,
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'list the node groups',
        method: 'GET',
        url: `/v1/clusters/${cluster}/nodegroups`,
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'read a node group',
        method: 'GET',
        url: `/v1/clusters/${cluster}/nodegroups/a-extra`,
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'add a node group',
        url: `/v1/clusters/${cluster}/nodegroups`,
        body: { name: 'b-extra' },
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'patch a node group',
        method: 'PATCH',
        url: `/v1/clusters/${cluster}/nodegroups/a-extra`,
        body: [{ op: 'add', path: '/max_node_count', value: 9 }],
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'delete a node group',
        method: 'DELETE',
        url: `/v1/clusters/${cluster}/nodegroups/a-extra`,
        headers: b,
        status: 404,
        detail: notFound,
      },
      {
        name: 'read the quota',
        method: 'GET',
        url: '/v1/quotas/proj-a/Cluster',
        headers: b,
        status: 403,
        detail: /^Not authorized\.$/,
      },
      {
        name: 'list quotas',
        method: 'GET',
        url: '/v1/quotas?all_tenants=1',
        headers: b,
        status: 403,
        detail: /^Policy doesn't allow quota:get_all to be performed\.$/,
      },
      {
        name: 'change the quota',
        method: 'PATCH',
        url: '/v1/quotas/proj-a/Cluster',
        body: { hard_limit: 0 },
        headers: b,
        status: 403,
        detail: /^Policy doesn't allow quota:update to be performed\.$/,
      },
      {
        name: 'delete the quota',
        method: 'DELETE',
        url: '/v1/quotas/proj-a/Cluster',
        headers: b,
        status: 403,
        detail: /^Policy doesn't allow quota:delete to be performed\.$/,
      },
      {
        name: 'create a quota',
        url: '/v1/quotas',
        body: { project_id: 'proj-b', hard_limit: 100 },
        headers: b,
        status: 403,
        detail: /^Policy doesn't allow quota:create to be performed\.$/,
      },
      {
        name: "read project A's stats",
        method: 'GET',
        url: '/v1/stats?project_id=proj-a',
        headers: b,
        status: 403,
        detail: /^Not authorized\.$/,
      },
      {
        name: 'list the services',
        method: 'GET',
        url: '/v1/mservices',
        headers: b,
        status: 403,
        detail: /^Policy doesn't allow magnum-service:get_all to be performed\.$/,
      },
    ];
    for (const [i, c] of cases().entries())
      test(`project B cannot ${c.name}`, () => h.expectRefused(cases()[i] as BadCase));
  });

  void describe('every route', () => {
    /** The route's URL with every parameter replaced by an identifier that matches nothing. */
    const concrete = (url: string): string => url.replace(/:(\w+)/g, 'nosuch');
    const v1Routes = (): { method: string; url: string }[] =>
      h.app.routeTable().filter((r) => r.method !== 'HEAD' && r.url.startsWith('/v1'));

    test('answers an unsupported microversion with the 406 microversion error and writes nothing', async () => {
      for (const r of v1Routes()) {
        const res = await h.unchanged(() =>
          h.send(r.method as 'GET', concrete(r.url), undefined, { 'openstack-api-version': 'container-infra 1.11' }),
        );
        assert.equal(res.statusCode, 406, `${r.method} ${r.url}`);
        assert.equal(res.json<{ errors: { code: string }[] }>().errors[0]?.code, 'magnum.microversion-unsupported');
        assert.equal(res.headers['openstack-api-maximum-version'], 'container-infra 1.10');
      }
    });

    test('never answers 5xx to junk bodies and unknown identifiers, and writes nothing', async () => {
      const bodies = [
        undefined,
        '{',
        '[]',
        '{"x": 1}',
        '"text"',
        'null',
        '[{"op": "replace", "path": "/x", "value": {}}]',
      ];
      for (const r of v1Routes()) {
        for (const body of bodies) {
          const headers: Record<string, string> = {
            ...LATEST,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          };
          const res = await h.unchanged(() => h.send(r.method as 'GET', concrete(r.url), body, headers));
          assert.ok(res.statusCode < 500, `${r.method} ${r.url} with ${String(body)}: ${res.statusCode} ${res.body}`);
          assert.match(String(res.headers['x-openstack-request-id']), /^req-/);
        }
      }
    });
  });

  void describe('routes Magnetar does not serve', () => {
    const absent: [string, string][] = [
      ['GET', '/v1/federations'],
      ['GET', '/v1/federations/detail'],
      ['GET', '/v1/federations/f1'],
      ['POST', '/v1/federations'],
      ['PATCH', '/v1/federations/f1'],
      ['DELETE', '/v1/federations/f1'],
      ['GET', '/v1/bays/b1/detail'],
      ['GET', '/v1/baymodels/m1/detail'],
      ['GET', '/federations'],
      ['GET', '/v1/clusters/c1/detail'],
    ];
    for (const [method, url] of absent) {
      test(`${method} ${url} answers 404 like an unknown path, without version headers`, async () => {
        const res = await h.unchanged(() =>
          h.send(method as 'GET', url, method === 'POST' || method === 'PATCH' ? {} : undefined, LATEST),
        );
        assertRoutingError(res, 404, 'Not Found', 'The resource could not be found.');
        assert.equal(res.headers['openstack-api-version'], undefined);
        assert.match(String(res.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
      });
    }
  });
});
