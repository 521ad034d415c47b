/**
 * @module test/integration/api/integer-bounds — every integer the API takes (bodies, numeric strings, JSON PATCH
 * values, query parameters, integer identifiers) is held to the SQL INTEGER range of Magnum's columns: one past the
 * bound is a 400 naming the field, with nothing written; the bound itself is stored and reads back. Values above 2^53
 * used to be committed and then make every read of their row fail.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DB_INT_MAX } from '../../../src/core/int-bounds.ts';
import { startApiHarness, V110, type ApiHarness, type BadCase } from '../../helpers/api-harness.ts';

const OVER = DB_INT_MAX + 1;
/** 2^53 + 1: JSON.parse reads it as 2^53, which SQLite stores and node:sqlite then refuses to read back. */
const HUGE = '9007199254740993';
const tooBig = (field: string, shown: string | number = OVER): RegExp =>
  new RegExp(
    `^Invalid input for field/attribute ${field}\\. Value: '${String(shown)}'\\. Value should be lower or equal to ${DB_INT_MAX}$`,
  );

void describe('integer bounds on every route', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let base: string;
  let other: string;
  let cluster: string;

  before(async () => {
    h = await startApiHarness({ config: { 'quotas.max_clusters_per_project': 100 } });
    base = String((await h.createTemplate({ name: 'int-base' })).uuid);
    other = String((await h.createTemplate({ name: 'int-other' })).uuid);
    cluster = await h.createCluster({ cluster_template_id: base, name: 'intc', node_count: 1 });
    await h.completeCluster(cluster);
    const ng = await h.send('POST', `/v1/clusters/${cluster}/nodegroups`, { name: 'extra', node_count: 1 }, V110);
    assert.equal(ng.statusCode, 202, ng.body);
    await h.completeCluster(cluster);
    const q = await h.send('POST', '/v1/quotas', { project_id: 'p-int', resource: 'Cluster', hard_limit: 3 });
    assert.equal(q.statusCode, 201, q.body);
  });

  after(async () => {
    await h?.close();
  });

  const bodyCases = (): BadCase[] => {
    const t = '/v1/clustertemplates';
    const cases: BadCase[] = [];
    for (const [field, value, shown] of [
      ['docker_volume_size', OVER, OVER],
      ['docker_volume_size', String(OVER), OVER],
      ['docker_volume_size', '99999999999999999999', '100000000000000000000'],
    ] as const) {
      cases.push({
        name: `template create: ${field} ${JSON.stringify(value)}`,
        url: t,
        body: { coe: 'swarm-mode', image_id: 'magnetar/node:bookworm', server_type: 'container', [field]: value },
        status: 400,
        detail: tooBig(field, shown),
      });
    }
    for (const field of ['node_count', 'master_count', 'docker_volume_size', 'create_timeout']) {
      cases.push({
        name: `cluster create: ${field}`,
        url: '/v1/clusters',
        body: { cluster_template_id: base, [field]: OVER },
        headers: V110,
        status: 400,
        detail: tooBig(field),
      });
    }
    cases.push({
      name: 'cluster create: create_timeout as a numeric string above 2^53',
      url: '/v1/clusters',
      body: { cluster_template_id: base, create_timeout: HUGE },
      status: 400,
      detail: tooBig('create_timeout', '9007199254740992'),
    });
    for (const field of ['node_count', 'min_node_count', 'max_node_count', 'docker_volume_size']) {
      cases.push({
        name: `node group create: ${field}`,
        url: `/v1/clusters/${cluster}/nodegroups`,
        body: { name: `ng-${field.replace(/_/g, '-')}`, [field]: OVER },
        headers: V110,
        status: 400,
        detail: tooBig(field),
      });
    }
    cases.push(
      {
        name: 'resize: node_count',
        url: `/v1/clusters/${cluster}/actions/resize`,
        body: { node_count: OVER },
        headers: V110,
        status: 400,
        detail: tooBig('node_count'),
      },
      {
        name: 'upgrade: max_batch_size',
        url: `/v1/clusters/${cluster}/actions/upgrade`,
        body: { cluster_template: other, max_batch_size: OVER },
        headers: V110,
        status: 400,
        detail: tooBig('max_batch_size'),
      },
      {
        name: 'quota create: hard_limit',
        url: '/v1/quotas',
        body: { project_id: 'p-int2', resource: 'Cluster', hard_limit: OVER },
        status: 400,
        detail: tooBig('hard_limit'),
      },
      {
        name: 'quota update: hard_limit',
        method: 'PATCH',
        url: '/v1/quotas/p-int/Cluster',
        body: { hard_limit: HUGE },
        status: 400,
        detail: tooBig('hard_limit', '9007199254740992'),
      },
    );
    return cases;
  };
  const patchCases = (): BadCase[] => {
    const patch = (path: string, value: unknown): unknown => [{ op: 'replace', path, value }];
    return [
      {
        name: 'template PATCH: docker_volume_size',
        method: 'PATCH',
        url: `/v1/clustertemplates/${base}`,
        body: patch('/docker_volume_size', OVER),
        status: 400,
        detail: tooBig('docker_volume_size'),
      },
      {
        name: 'template PATCH: apiserver_port above 2^53 (its own bound is tighter, the column bound comes first)',
        method: 'PATCH',
        url: `/v1/clustertemplates/${other}`,
        body: patch('/apiserver_port', Number(HUGE)),
        status: 400,
        detail: tooBig('apiserver_port', '9007199254740992'),
      },
      {
        name: 'cluster PATCH: node_count',
        method: 'PATCH',
        url: `/v1/clusters/${cluster}`,
        body: patch('/node_count', OVER),
        status: 400,
        detail: tooBig('node_count'),
      },
      {
        name: 'node group PATCH: max_node_count',
        method: 'PATCH',
        url: `/v1/clusters/${cluster}/nodegroups/extra`,
        body: patch('/max_node_count', OVER),
        headers: V110,
        status: 400,
        detail: tooBig('max_node_count'),
      },
      {
        name: 'node group PATCH: min_node_count',
        method: 'PATCH',
        url: `/v1/clusters/${cluster}/nodegroups/extra`,
        body: patch('/min_node_count', OVER),
        headers: V110,
        status: 400,
        detail: tooBig('min_node_count'),
      },
    ];
  };

  const queryCases = (): BadCase[] => [
    ...['/v1/clustertemplates', '/v1/clustertemplates/detail', '/v1/clusters', '/v1/clusters/detail', '/v1/quotas'].map(
      (url): BadCase => ({
        name: `GET ${url}?limit above the bound`,
        method: 'GET',
        url: `${url}?limit=${OVER}`,
        status: 400,
        detail: tooBig('limit'),
      }),
    ),
    {
      name: 'GET node groups ?limit above the bound',
      method: 'GET',
      url: `/v1/clusters/${cluster}/nodegroups?limit=${HUGE}`,
      headers: V110,
      status: 400,
      detail: tooBig('limit', '9007199254740992'),
    },
    {
      name: 'GET quotas ?marker above the bound',
      method: 'GET',
      url: `/v1/quotas?marker=${OVER}`,
      status: 400,
      detail: tooBig('marker'),
    },
    {
      name: 'GET cluster events ?after beyond an exact id',
      method: 'GET',
      url: `/v1/clusters/${cluster}/events?after=${HUGE}`,
      status: 400,
      detail:
        /^Invalid input for field\/attribute after\. Value: '9007199254740992'\. Value should be lower or equal to 9007199254740991$/,
    },
    {
      name: 'a node group id beyond the column range names no node group',
      method: 'GET',
      url: `/v1/clusters/${cluster}/nodegroups/${HUGE}`,
      headers: V110,
      status: 404,
      detail: /^Nodegroup 9007199254740993 could not be found\.$/,
    },
  ];

  // The cases read uuids the before hook sets: build them inside each test.
  for (const make of [bodyCases, patchCases, queryCases]) {
    for (const [i, c] of make().entries()) test(c.name, () => h.expectRefused(make()[i] as BadCase));
  }

  test('the bound itself is stored and reads back (template, cluster, quota)', async () => {
    const t = await h.createTemplate({ name: 'int-max', docker_volume_size: DB_INT_MAX });
    assert.equal(t.docker_volume_size, DB_INT_MAX);
    const shown = await h.send('GET', `/v1/clustertemplates/${String(t.uuid)}`);
    assert.equal(shown.statusCode, 200, shown.body);
    assert.equal(shown.json<{ docker_volume_size: number }>().docker_volume_size, DB_INT_MAX);
    const c = await h.createCluster({ cluster_template_id: base, name: 'int-max', create_timeout: DB_INT_MAX });
    const got = await h.send('GET', `/v1/clusters/${c}`);
    assert.equal(got.statusCode, 200, got.body);
    assert.equal(got.json<{ create_timeout: number }>().create_timeout, DB_INT_MAX);
    const list = await h.send('GET', `/v1/clusters/detail?limit=${DB_INT_MAX}`);
    assert.equal(list.statusCode, 200, list.body);
    const q = await h.send('PATCH', '/v1/quotas/p-int/Cluster', { hard_limit: DB_INT_MAX });
    assert.equal(q.statusCode, 202, q.body);
    assert.equal(q.json<{ hard_limit: number }>().hard_limit, DB_INT_MAX);
  });

  test('the OpenAPI document states the bound of every integer', async () => {
    const doc = (await h.send('GET', '/v1/openapi.json')).json<Record<string, unknown>>();
    const integers: { where: string; schema: Record<string, unknown> }[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}[${i}]`));
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        const type = o.type;
        if (type === 'integer' || (Array.isArray(type) && type.includes('integer')))
          integers.push({ where, schema: o });
        for (const [k, v] of Object.entries(o)) walk(v, `${where}.${k}`);
      }
    };
    walk(doc.paths, 'paths');
    assert.ok(integers.length > 20, `found ${integers.length} integer schemas`);
    for (const { where, schema } of integers) {
      assert.equal(typeof schema.maximum, 'number', `${where} has a maximum`);
      assert.ok((schema.maximum as number) <= Number.MAX_SAFE_INTEGER, `${where}: maximum is exact`);
    }
  });
});
