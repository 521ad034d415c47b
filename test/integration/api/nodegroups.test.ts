/**
 * @module test/integration/api/nodegroups — /v1/clusters/{ident}/nodegroups (≥1.9) over the real API, store and swarm
 * driver (no conductor): list (role filter, paging, Magnum's default-valued min/max in list items), show by uuid /
 * name / id, create, min/max PATCH, delete; each invalid input class refused with nothing written.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ALL_CAPABILITIES,
  assertHandlerError,
  assertRoutingError,
  LATEST,
  MEMBER_A,
  MEMBER_B,
  startApiHarness,
  version,
  type ApiHarness,
  type BadCase,
} from '../../helpers/api-harness.ts';

const LIST_ITEM_KEYS = [
  'flavor_id',
  'image_id',
  'is_default',
  'max_node_count',
  'merge_labels',
  'min_node_count',
  'name',
  'node_count',
  'role',
  'stack_id',
  'status',
  'uuid',
];
const FULL_KEYS = [
  'cluster_id',
  'created_at',
  'docker_volume_size',
  'flavor_id',
  'id',
  'image_id',
  'is_default',
  'labels',
  'labels_added',
  'labels_overridden',
  'labels_skipped',
  'links',
  'max_node_count',
  'merge_labels',
  'min_node_count',
  'name',
  'node_addresses',
  'node_count',
  'project_id',
  'role',
  'stack_id',
  'status',
  'status_reason',
  'updated_at',
  'uuid',
  'version',
];

void describe('node groups', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let base: string;
  /** A finished cluster with default-worker bounds 1..4 (from its labels). */
  let c: string;
  let creating: string;

  const readyCluster = async (
    body: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): Promise<string> => {
    const uuid = await h.createCluster({ cluster_template_id: base, ...body }, headers);
    await h.completeCluster(uuid);
    return uuid;
  };
  const ngUrl = (cluster: string, ng = ''): string => `/v1/clusters/${cluster}/nodegroups${ng ? `/${ng}` : ''}`;
  const get = <T>(url: string, headers: Record<string, string> = LATEST): Promise<T> =>
    h.send('GET', url, undefined, headers).then((r) => {
      assert.equal(r.statusCode, 200, r.body);
      return r.json<T>();
    });

  before(async () => {
    h = await startApiHarness({
      capabilities: new Set(ALL_CAPABILITIES),
      config: { 'quotas.max_clusters_per_project': 1000 },
    });
    base = String((await h.createTemplate({ name: 'base', public: true, labels: { tier: 'template' } })).uuid);
    c = await readyCluster({ name: 'ngs', node_count: 2, labels: { min_node_count: '1', max_node_count: '4' } });
    creating = await h.createCluster({ cluster_template_id: base, name: 'creating' });
  });

  after(async () => {
    await h?.close();
  });

  void describe('GET list and GET one', () => {
    test('the list shows both default groups with the list fields and default-valued min/max', async () => {
      const body = await get<{ nodegroups: Record<string, unknown>[]; next?: string }>(ngUrl(c), version(9));
      assert.equal(body.next, undefined);
      assert.deepEqual(
        body.nodegroups.map((n) => [n.name, n.role, n.node_count, n.is_default, n.status]),
        [
          ['default-master', 'master', 1, true, 'CREATE_COMPLETE'],
          ['default-worker', 'worker', 2, true, 'CREATE_COMPLETE'],
        ],
      );
      for (const n of body.nodegroups) {
        assert.deepEqual(Object.keys(n).sort(), LIST_ITEM_KEYS);
        // Magnum's list view reports the defaults whatever is stored (default-worker really has 1..4).
        assert.deepEqual([n.min_node_count, n.max_node_count, n.merge_labels], [0, null, false]);
      }
    });

    test('GET one shows the full form with the stored min/max, links and label diffs against the cluster', async () => {
      const ng = await get<Record<string, unknown>>(ngUrl(c, 'default-worker'));
      assert.deepEqual(Object.keys(ng).sort(), FULL_KEYS);
      assert.deepEqual([ng.min_node_count, ng.max_node_count, ng.merge_labels, ng.cluster_id], [1, 4, false, c]);
      assert.deepEqual(ng.labels_added, {});
      assert.deepEqual(ng.links, [
        { href: `http://localhost:80/v1/clusters/${c}/nodegroups/${String(ng.uuid)}`, rel: 'self' },
        { href: `http://localhost:80/clusters/${c}/nodegroups/${String(ng.uuid)}`, rel: 'bookmark' },
      ]);
      assert.deepEqual(await get(ngUrl(c, String(ng.uuid))), ng, 'by uuid');
      assert.deepEqual(await get(ngUrl(c, String(ng.id))), ng, 'by integer id');
      assert.deepEqual(await get(`${ngUrl(c, 'default-worker')}/`), ng, 'with a trailing slash');
    });

    test('role filters the list', async () => {
      const body = await get<{ nodegroups: { name: string }[] }>(`${ngUrl(c)}/?role=master`);
      assert.deepEqual(
        body.nodegroups.map((n) => n.name),
        ['default-master'],
      );
    });

    test('pages follow next links, which carry the paging but not the role filter', async () => {
      const first = await get<{ nodegroups: { uuid: string; name: string }[]; next?: string }>(
        `${ngUrl(c)}?limit=1&role=master`,
      );
      assert.deepEqual(
        first.nodegroups.map((n) => n.name),
        ['default-master'],
      );
      assert.equal(
        first.next,
        `http://localhost:80/v1/clusters/${c}/nodegroups?sort_key=id&sort_dir=asc&limit=1&marker=${first.nodegroups[0]?.uuid}`,
      );
      const second = await get<{ nodegroups: { name: string }[]; next?: string }>(
        String(first.next).replace('http://localhost:80', ''),
      );
      assert.deepEqual(
        second.nodegroups.map((n) => n.name),
        ['default-worker'],
      );
    });

    test('sort_key and sort_dir order the list', async () => {
      const body = await get<{ nodegroups: { name: string }[] }>(`${ngUrl(c)}?sort_key=name&sort_dir=desc`);
      assert.deepEqual(
        body.nodegroups.map((n) => n.name),
        ['default-worker', 'default-master'],
      );
    });

    test('below 1.9 the routes answer a plain 406 naming the controller method, without version headers', async () => {
      const res = await h.send('GET', ngUrl(c), undefined, version(8));
      assertRoutingError(
        res,
        406,
        'Not Acceptable',
        'Version 1.8 was requested but the requested API get_all is not supported for this version.',
      );
      assert.equal(res.headers['openstack-api-version'], undefined);
      assertRoutingError(
        await h.send('GET', ngUrl(c, 'default-worker')),
        406,
        'Not Acceptable',
        'Version 1.1 was requested but the requested API get_one is not supported for this version.',
      );
    });

    const cases = (): BadCase[] => [
      {
        name: 'a marker that is not a uuid',
        method: 'GET',
        url: `${ngUrl(c)}?marker=abc`,
        headers: LATEST,
        status: 400,
        detail: /^Invalid input for field\/attribute marker\. Value: 'abc'\. unable to convert to uuid/,
      },
      {
        name: "Gophercloud's integer marker",
        method: 'GET',
        url: `${ngUrl(c)}?marker=1`,
        headers: LATEST,
        status: 400,
        detail: /^Invalid input for field\/attribute marker\. Value: '1'\./,
      },
      {
        name: 'an unknown marker',
        method: 'GET',
        url: `${ngUrl(c)}?marker=00000000-0000-0000-0000-000000000000`,
        headers: LATEST,
        status: 404,
        detail: /^Nodegroup 00000000-0000-0000-0000-000000000000 could not be found\.$/,
      },
      {
        name: 'an unknown sort key',
        method: 'GET',
        url: `${ngUrl(c)}?sort_key=size`,
        headers: LATEST,
        status: 400,
        detail: /^The sort_key value "size" is an invalid field for sorting$/,
      },
      {
        name: 'a zero limit',
        method: 'GET',
        url: `${ngUrl(c)}?limit=0`,
        headers: LATEST,
        status: 400,
        detail: /^Limit must be positive$/,
      },
      {
        name: 'a limit of the wrong type',
        method: 'GET',
        url: `${ngUrl(c)}?limit=many`,
        headers: LATEST,
        status: 400,
        detail:
          /^Invalid input for field\/attribute limit\. Value: 'many'\. unable to convert to int\. Error: invalid literal for int\(\) with base 10: 'many'$/,
      },
      {
        name: 'an unknown query parameter',
        method: 'GET',
        url: `${ngUrl(c)}?all_projects=1`,
        headers: LATEST,
        status: 400,
        detail: /^Unknown argument: "all_projects"$/,
      },
      {
        name: 'an unknown node group',
        method: 'GET',
        url: ngUrl(c, 'nosuch'),
        headers: LATEST,
        status: 404,
        detail: /^Nodegroup nosuch could not be found\.$/,
      },
      {
        name: 'an unknown node group id',
        method: 'GET',
        url: ngUrl(c, '999999'),
        headers: LATEST,
        status: 404,
        detail: /^Nodegroup 999999 could not be found\.$/,
      },
      {
        name: 'an unknown cluster',
        method: 'GET',
        url: ngUrl('00000000-0000-0000-0000-000000000000'),
        headers: LATEST,
        status: 404,
        detail: /^Cluster 00000000-0000-0000-0000-000000000000 could not be found\.$/,
      },
      {
        name: "another project's cluster",
        method: 'GET',
        url: ngUrl(c),
        headers: { ...LATEST, ...MEMBER_B },
        status: 404,
        detail: /could not be found\.$/,
      },
    ];
    for (const [i, bad] of cases().entries())
      test(`it refuses ${bad.name}`, () => h.expectRefused(cases()[i] as BadCase));
  });

  void describe('POST', () => {
    test('creating a group answers 202 with the group as created and queues the change', async () => {
      const cl = await readyCluster({ labels: { tier: 'cluster' } });
      const wakes = h.wakes();
      const res = await h.send(
        'POST',
        `${ngUrl(cl)}/`,
        { name: 'extra', node_count: '2', max_node_count: 3, labels: { gpu: 'yes' }, merge_labels: 'true' },
        LATEST,
      );
      assert.equal(res.statusCode, 202, res.body);
      const ng = res.json<Record<string, unknown>>();
      assert.deepEqual(Object.keys(ng).sort(), FULL_KEYS);
      assert.deepEqual(
        [
          ng.name,
          ng.role,
          ng.node_count,
          ng.min_node_count,
          ng.max_node_count,
          ng.is_default,
          ng.status,
          ng.image_id,
          ng.project_id,
        ],
        ['extra', 'worker', 2, 0, 3, false, 'CREATE_IN_PROGRESS', 'magnetar/node:bookworm', 'default'],
      );
      assert.deepEqual(ng.labels, { tier: 'cluster', gpu: 'yes' });
      assert.deepEqual(ng.labels_added, { gpu: 'yes' });
      assert.equal(h.wakes(), wakes + 1);
      assert.deepEqual(
        (await h.store.operations.active(cl)).map((o) => [o.kind, o.payload]),
        [['cluster_update', { action: 'nodegroup_create', nodegroup: 'extra' }]],
      );
      assert.equal((await get<{ status: string }>(`/v1/clusters/${cl}`)).status, 'UPDATE_IN_PROGRESS');
      assert.deepEqual(await get(ngUrl(cl, 'extra')), ng);
    });

    const body = { name: 'more' };
    const cases = (): BadCase[] => [
      {
        name: 'invalid JSON',
        url: ngUrl(c),
        body: '{"name": ',
        headers: LATEST,
        status: 400,
        detail: /^Request is not in valid JSON format$/,
      },
      {
        name: 'a missing name',
        url: ngUrl(c),
        body: { node_count: 1 },
        headers: LATEST,
        status: 400,
        detail: /^Invalid input for field\/attribute name\. Value: 'None'\. Mandatory field missing\.$/,
      },
      {
        name: 'a node_count of the wrong type',
        url: ngUrl(c),
        body: { ...body, node_count: 'x' },
        headers: LATEST,
        status: 400,
        detail: /^Invalid input for field\/attribute node_count\. Value: 'x'\. Value should be integer$/,
      },
      {
        name: 'an unknown field',
        url: ngUrl(c),
        body: { ...body, size: 3 },
        headers: LATEST,
        status: 400,
        detail: /^Unknown attribute for argument nodegroup: size$/,
      },
      {
        name: 'a read-only field',
        url: ngUrl(c),
        body: { ...body, node_addresses: ['1.2.3.4'] },
        headers: LATEST,
        status: 400,
        detail:
          /^Invalid input for field\/attribute node_addresses\. Value: '\["1\.2\.3\.4"\]'\. Cannot set read only field\.$/,
      },
      {
        name: 'a name already used in the cluster',
        url: ngUrl(c),
        body: { name: 'default-worker' },
        headers: LATEST,
        status: 409,
        detail: /^A node group with name default-worker already exists in the cluster ngs\.$/,
      },
      {
        name: 'a minimum above the count',
        url: ngUrl(c),
        body: { ...body, node_count: 1, min_node_count: 2 },
        headers: LATEST,
        status: 409,
        detail:
          /^min_node_count for more is invalid \(min_node_count \(2\) should be less or equal to node_count \(1\)\)\.$/,
      },
      {
        name: 'a count above the maximum',
        url: ngUrl(c),
        body: { ...body, node_count: 5, max_node_count: 3 },
        headers: LATEST,
        status: 409,
        detail:
          /^max_node_count for more is invalid \(node_count \(5\) should be less or equal to max_node_count \(3\)\)\.$/,
      },
      {
        name: 'a master group',
        url: ngUrl(c),
        body: { ...body, role: 'master' },
        headers: LATEST,
        status: 400,
        detail: /^Creating master nodegroups is currently not supported\.$/,
      },
      {
        name: 'a label the driver refuses',
        url: ngUrl(c),
        body: { ...body, labels: { swarm_strategy: 'fastest' } },
        headers: LATEST,
        status: 400,
        detail: /^Label swarm_strategy=fastest is not valid/,
      },
      {
        name: 'a cluster without an API address yet',
        url: ngUrl(creating),
        body,
        headers: LATEST,
        status: 409,
        detail: /^Cluster API address is not available yet$/,
      },
      {
        name: "another project's cluster",
        url: ngUrl(c),
        body,
        headers: { ...LATEST, ...MEMBER_A },
        status: 404,
        detail: /could not be found\.$/,
      },
      {
        name: "an admin of another project (creating does not widen an admin's scope)",
        url: ngUrl(c),
        body,
        headers: { ...LATEST, 'x-project-id': 'other', 'x-roles': 'admin' },
        status: 404,
        detail: /could not be found\.$/,
      },
    ];
    for (const [i, bad] of cases().entries())
      test(`it refuses ${bad.name}`, () => h.expectRefused(cases()[i] as BadCase));

    test('it refuses a cluster in the middle of another update', async () => {
      const busy = await readyCluster();
      assert.equal(
        (await h.send('POST', `/v1/clusters/${busy}/actions/resize`, { node_count: 3 }, LATEST)).statusCode,
        202,
      );
      await h.expectRefused({
        name: '',
        url: ngUrl(busy),
        body,
        headers: LATEST,
        status: 400,
        detail: /^Creating a nodegroup when status is "UPDATE_IN_PROGRESS" is not supported\.$/,
      });
    });

    test("it refuses when the driver lacks the 'nodegroups' capability", async () => {
      h.capabilities.delete('nodegroups');
      try {
        await h.expectRefused({
          name: '',
          url: ngUrl(c),
          body,
          headers: LATEST,
          status: 400,
          detail: /^Adding node groups to a cluster of driver swarm-local is not supported\.$/,
        });
      } finally {
        h.capabilities.add('nodegroups');
      }
    });

    test('below 1.9 it answers a plain 406 and writes nothing', async () => {
      const res = await h.unchanged(() => h.send('POST', ngUrl(c), body, version(8)));
      assertRoutingError(
        res,
        406,
        'Not Acceptable',
        'Version 1.8 was requested but the requested API post is not supported for this version.',
      );
    });
  });

  void describe('PATCH', () => {
    test('min and max change at once, answered 202 with the group, without queueing an operation', async () => {
      const wakes = h.wakes();
      const ops = await h.store.operations.active(c);
      const res = await h.send(
        'PATCH',
        ngUrl(c, 'default-worker'),
        [
          { op: 'replace', path: '/min_node_count', value: 2 },
          { op: 'replace', path: '/max_node_count', value: 6 },
        ],
        LATEST,
      );
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(h.wakes(), wakes);
      assert.deepEqual(await h.store.operations.active(c), ops);
      assert.deepEqual(
        [res.json<{ min_node_count: number }>().min_node_count, res.json<{ max_node_count: number }>().max_node_count],
        [2, 6],
      );
      const stored = (await h.store.clusters.nodegroups([c])).find((n) => n.name === 'default-worker');
      assert.deepEqual([stored?.min_node_count, stored?.max_node_count, stored?.node_count], [2, 6, 2]);
    });

    test('removing max_node_count clears it; removing min_node_count restores 0', async () => {
      const res = await h.send(
        'PATCH',
        ngUrl(c, 'default-worker'),
        [
          { op: 'remove', path: '/max_node_count' },
          { op: 'remove', path: '/min_node_count' },
        ],
        LATEST,
      );
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(
        [res.json<{ min_node_count: number }>().min_node_count, res.json<{ max_node_count: null }>().max_node_count],
        [0, null],
      );
    });

    const url = (): string => ngUrl(c, 'default-worker');
    const cases = (): BadCase[] => [
      {
        name: 'invalid JSON',
        method: 'PATCH',
        url: url(),
        body: '[',
        headers: LATEST,
        status: 400,
        detail: /^Request is not in valid JSON format$/,
      },
      {
        name: 'a body that is not an array',
        method: 'PATCH',
        url: url(),
        body: { op: 'replace' },
        headers: LATEST,
        status: 400,
        detail: /must be an array of operations/,
      },
      {
        name: 'a count given as a string',
        method: 'PATCH',
        url: url(),
        body: [{ op: 'replace', path: '/min_node_count', value: '1' }],
        headers: LATEST,
        status: 400,
        detail: /^Invalid input for field\/attribute min_node_count\. Value: '1'\. Value should be integer$/,
      },
      {
        name: 'a negative minimum',
        method: 'PATCH',
        url: url(),
        body: [{ op: 'replace', path: '/min_node_count', value: -1 }],
        headers: LATEST,
        status: 400,
        detail: /Value should be greater or equal to 0$/,
      },
      {
        name: 'node_count (resize is the way)',
        method: 'PATCH',
        url: url(),
        body: [{ op: 'replace', path: '/node_count', value: 3 }],
        headers: LATEST,
        status: 400,
        detail: /^'\/node_count' is an internal attribute and can not be updated$/,
      },
      {
        name: 'the name',
        method: 'PATCH',
        url: url(),
        body: [{ op: 'replace', path: '/name', value: 'x' }],
        headers: LATEST,
        status: 400,
        detail: /^'\/name' is an internal attribute and can not be updated$/,
      },
      {
        name: 'the read-only project_id',
        method: 'PATCH',
        url: url(),
        body: [{ op: 'replace', path: '/project_id', value: 'x' }],
        headers: LATEST,
        status: 400,
        detail: /^'\/project_id' is an internal attribute/,
      },
      {
        name: 'an unknown attribute',
        method: 'PATCH',
        url: url(),
        body: [{ op: 'add', path: '/size', value: 3 }],
        headers: LATEST,
        status: 400,
        detail: /^Adding a new attribute \/size to the root of the resource is not allowed\.$/,
      },
      {
        name: 'a minimum above the count',
        method: 'PATCH',
        url: url(),
        body: [{ op: 'replace', path: '/min_node_count', value: 3 }],
        headers: LATEST,
        status: 409,
        detail:
          /^min_node_count for default-worker is invalid \(min_node_count \(3\) should be less or equal to node_count \(2\)\)\.$/,
      },
      {
        name: 'a maximum below the count',
        method: 'PATCH',
        url: url(),
        body: [{ op: 'add', path: '/max_node_count', value: 1 }],
        headers: LATEST,
        status: 409,
        detail:
          /^max_node_count for default-worker is invalid \(node_count \(2\) should be less or equal to max_node_count \(1\)\)\.$/,
      },
      {
        name: 'an unknown group',
        method: 'PATCH',
        url: ngUrl(c, 'nosuch'),
        body: [{ op: 'remove', path: '/max_node_count' }],
        headers: LATEST,
        status: 404,
        detail: /^Nodegroup nosuch could not be found\.$/,
      },
      {
        name: "another project's cluster",
        method: 'PATCH',
        url: url(),
        body: [{ op: 'remove', path: '/max_node_count' }],
        headers: { ...LATEST, ...MEMBER_B },
        status: 404,
        detail: /could not be found\.$/,
      },
    ];
    for (const [i, bad] of cases().entries())
      test(`it refuses ${bad.name}`, () => h.expectRefused(cases()[i] as BadCase));
  });

  void describe('DELETE', () => {
    test('deleting a non-default group answers 204 and queues its removal', async () => {
      const cl = await readyCluster();
      assert.equal((await h.send('POST', ngUrl(cl), { name: 'gone' }, LATEST)).statusCode, 202);
      await h.completeCluster(cl);
      const wakes = h.wakes();
      const res = await h.send('DELETE', `${ngUrl(cl, 'gone')}/`, undefined, LATEST);
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(res.body, '');
      assert.equal(h.wakes(), wakes + 1);
      assert.equal(
        (await h.store.clusters.nodegroups([cl])).find((n) => n.name === 'gone')?.status,
        'DELETE_IN_PROGRESS',
      );
      assert.deepEqual(
        (await h.store.operations.active(cl)).map((o) => o.payload),
        [{ action: 'nodegroup_delete', nodegroup: 'gone' }],
      );
      await h.completeCluster(cl);
      assertHandlerError(
        await h.send('GET', ngUrl(cl, 'gone'), undefined, LATEST),
        404,
        /^Nodegroup gone could not be found\.$/,
      );
    });

    const cases = (): BadCase[] => [
      {
        name: 'a default group',
        method: 'DELETE',
        url: ngUrl(c, 'default-worker'),
        headers: LATEST,
        status: 400,
        detail: /^Deleting a default nodegroup is not supported\.$/,
      },
      {
        name: 'the default master group',
        method: 'DELETE',
        url: ngUrl(c, 'default-master'),
        headers: LATEST,
        status: 400,
        detail: /^Deleting a default nodegroup is not supported\.$/,
      },
      {
        name: 'an unknown group',
        method: 'DELETE',
        url: ngUrl(c, '00000000-0000-0000-0000-000000000000'),
        headers: LATEST,
        status: 404,
        detail: /^Nodegroup 00000000-0000-0000-0000-000000000000 could not be found\.$/,
      },
      {
        name: "another project's cluster",
        method: 'DELETE',
        url: ngUrl(c, 'default-worker'),
        headers: { ...LATEST, ...MEMBER_B },
        status: 404,
        detail: /could not be found\.$/,
      },
    ];
    for (const [i, bad] of cases().entries())
      test(`it refuses ${bad.name}`, () => h.expectRefused(cases()[i] as BadCase));

    test('it refuses a group that is still being created', async () => {
      const cl = await readyCluster();
      assert.equal((await h.send('POST', ngUrl(cl), { name: 'young' }, LATEST)).statusCode, 202);
      await h.expectRefused({
        name: '',
        method: 'DELETE',
        url: ngUrl(cl, 'young'),
        headers: LATEST,
        status: 400,
        detail: /^Nodegroup young already has an operation in progress\.$/,
      });
    });

    test("it refuses when the driver lacks the 'nodegroups' capability", async () => {
      const cl = await readyCluster();
      assert.equal((await h.send('POST', ngUrl(cl), { name: 'kept' }, LATEST)).statusCode, 202);
      await h.completeCluster(cl);
      h.capabilities.delete('nodegroups');
      try {
        await h.expectRefused({
          name: '',
          method: 'DELETE',
          url: ngUrl(cl, 'kept'),
          headers: LATEST,
          status: 400,
          detail: /^Removing node groups from a cluster of driver swarm-local is not supported\.$/,
        });
      } finally {
        h.capabilities.add('nodegroups');
      }
    });
  });
});
