/**
 * @module test/integration/api/bays — Magnum's legacy `/v1/bays` and `/v1/baymodels` over the real API, store, CA,
 * swarm driver and image catalog: every route, its answers per microversion (1.1 synchronous, 202 from 1.2,
 * `rollback` from 1.3), its bad inputs (Magnum's texts, nothing written), `bay:*`/`baymodel:*` policies and scoping;
 * and each bay/baymodel checked against the same object read as a cluster/cluster template.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertHandlerError,
  LATEST,
  MEMBER_A,
  MEMBER_B,
  startApiHarness,
  version,
  type ApiHarness,
  type BadCase,
} from '../../helpers/api-harness.ts';

type Json = Record<string, unknown>;

const BAY_LIST_FIELDS = [
  'uuid',
  'name',
  'baymodel_id',
  'node_count',
  'master_count',
  'docker_volume_size',
  'labels',
  'master_flavor_id',
  'flavor_id',
  'bay_create_timeout',
  'links',
  'stack_id',
  'status',
  'floating_ip_enabled',
].sort();

const BAY_DETAIL_FIELDS = [
  ...BAY_LIST_FIELDS,
  'status_reason',
  'discovery_url',
  'api_address',
  'coe_version',
  'container_version',
  'node_addresses',
  'master_addresses',
  'fixed_network',
  'fixed_subnet',
  'master_lb_enabled',
  'created_at',
  'updated_at',
].sort();

/** A bay as its cluster: the same object under the new names (the differential check of every bay answer). */
function assertSameAsCluster(bay: Json, cluster: Json): void {
  const renamed: Record<string, string> = { baymodel_id: 'cluster_template_id', bay_create_timeout: 'create_timeout' };
  for (const [k, v] of Object.entries(bay)) {
    if (k === 'links' || (k === 'floating_ip_enabled' && !('status_reason' in bay))) continue;
    if (k === 'bay_faults') assert.deepEqual(v, cluster.faults, k);
    else assert.deepEqual(v, cluster[renamed[k] ?? k], k);
  }
  const uuid = String(bay.uuid);
  assert.deepEqual(
    (bay.links as { href: string }[]).map((l) => l.href),
    [`http://localhost:80/v1/bays/${uuid}`, `http://localhost:80/bays/${uuid}`],
  );
}

void describe('legacy bays and baymodels', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let baymodel: Json;
  const send: ApiHarness['send'] = (...args) => h.send(...args);
  const refused = (c: Omit<BadCase, 'name'>): Promise<void> => h.expectRefused({ name: c.url, ...c });

  const baymodelBody = (extra: Json = {}): Json => ({
    coe: 'swarm-mode',
    image_id: 'magnetar/node:bookworm',
    server_type: 'container',
    keypair_id: 'kp',
    ...extra,
  });
  const getJson = async (url: string, headers: Record<string, string> = {}): Promise<Json> => {
    const res = await send('GET', url, undefined, headers);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<Json>();
  };

  before(async () => {
    h = await startApiHarness();
    const res = await send('POST', '/v1/baymodels', baymodelBody({ name: 'bm', floating_ip_enabled: false }));
    assert.equal(res.statusCode, 201, res.body);
    baymodel = res.json<Json>();
  });

  after(async () => {
    await h?.close();
  });

  void describe('baymodels', () => {
    test('POST answers 201, Location and the template under the BayModel view', async () => {
      assert.equal(baymodel.name, 'bm');
      assert.equal(baymodel.keypair_id, 'kp');
      assert.equal('project_id' in baymodel, false);
      assert.equal('user_id' in baymodel, false);
      const template = await getJson(`/v1/clustertemplates/${String(baymodel.uuid)}`);
      const { project_id: _p, user_id: _u, links: _l, ...same } = template;
      const { links, ...bm } = baymodel;
      assert.deepEqual(bm, same, 'a baymodel is the cluster template under the old name');
      assert.deepEqual(
        (links as { href: string }[]).map((l) => l.href),
        [
          `http://localhost:80/v1/baymodels/${String(baymodel.uuid)}`,
          `http://localhost:80/baymodels/${String(baymodel.uuid)}`,
        ],
      );
      const res = await send('POST', '/v1/baymodels', baymodelBody(), version(2));
      assert.equal(res.statusCode, 201, 'the same at every microversion');
      assert.match(String(res.json<Json>().name), /^[a-z]+-\d+-model$/);
      assert.equal(res.headers.location, `http://localhost:80/v1/baymodels/${String(res.json<Json>().uuid)}`);
      assert.equal((await send('DELETE', `/v1/baymodels/${String(res.json<Json>().uuid)}`)).statusCode, 204);
    });

    const bad: [string, Json, RegExp][] = [
      [
        'keypair_id is mandatory',
        { coe: 'swarm-mode', image_id: 'magnetar/node:bookworm' },
        /^Invalid input for field\/attribute keypair_id\. Value: 'None'\. Mandatory field missing\.$/,
      ],
      [
        'image_id is checked first',
        {},
        /^Invalid input for field\/attribute image_id\. Value: 'None'\. Mandatory field missing\.$/,
      ],
      [
        'a missing coe is an unsupported COE (wsme never enforced its mandatory flag)',
        { image_id: 'magnetar/node:bookworm', keypair_id: 'kp' },
        /^Requested COE type Unset is not supported\.$/,
      ],
      ['uuid must be UUID-like', baymodelBody({ uuid: 'nope' }), /^Expected a uuid but received nope\.$/],
      [
        'dns_nameserver is one IPv4 address',
        baymodelBody({ dns_nameserver: '8.8.8.8,1.1.1.1' }),
        /^Invalid input for field\/attribute dns_nameserver\. Value: '8\.8\.8\.8,1\.1\.1\.1'\. Value should be IPv4 format$/,
      ],
      ['label values are strings', baymodelBody({ labels: { a: 1 } }), /field\/attribute labels/],
      [
        'project_id is no attribute of a baymodel',
        baymodelBody({ project_id: 'p' }),
        /^Unknown attribute for argument baymodel: project_id$/,
      ],
      [
        'coe is one of the COEs',
        baymodelBody({ coe: 'mesos2' }),
        /^Invalid input for field\/attribute coe\. Value: 'mesos2'\. Value should be one of:/,
      ],
      ['an unknown image is refused', baymodelBody({ image_id: 'magnetar/none:x' }), /magnetar\/none:x/],
    ];
    for (const [name, body, detail] of bad) {
      test(`POST refuses: ${name}`, () => refused({ url: '/v1/baymodels', body, status: 400, detail }));
    }

    test('a member cannot make a baymodel public, but may hide it (only public needs baymodel:publish)', async () => {
      await refused({
        url: '/v1/baymodels',
        body: baymodelBody({ public: true }),
        headers: MEMBER_A,
        status: 403,
        detail: /^Not authorized to set public or hidden flag for cluster template\.$/,
      });
      const res = await send('POST', '/v1/baymodels', baymodelBody({ hidden: true }), MEMBER_A);
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(
        (await send('DELETE', `/v1/baymodels/${String(res.json<Json>().uuid)}`, undefined, MEMBER_A)).statusCode,
        204,
      );
    });

    test('list and detail hold the baymodels with a next link on /v1/baymodels', async () => {
      for (const path of ['/v1/baymodels', '/v1/baymodels/detail']) {
        const body = await getJson(path);
        const items = body.baymodels as Json[];
        assert.ok(
          items.some((b) => b.uuid === baymodel.uuid),
          path,
        );
        assert.ok(
          items.every((b) => !('project_id' in b)),
          path,
        );
        const page = await getJson(`${path}?limit=1`);
        assert.match(String(page.next), new RegExp(`^http://localhost:80${path}\\?`));
      }
      assertHandlerError(await send('GET', '/v1/baymodels?marker=nope'), 400, /unable to convert to uuid/);
      assertHandlerError(await send('GET', '/v1/baymodels?sort_key=bogus'), 400, /is an invalid field for sorting/);
    });

    test('GET one by uuid and by name; unknown is a 404 naming the ClusterTemplate', async () => {
      assert.deepEqual(await getJson(`/v1/baymodels/${String(baymodel.uuid)}`), baymodel);
      assert.deepEqual(await getJson('/v1/baymodels/bm'), baymodel);
      assertHandlerError(
        await send('GET', '/v1/baymodels/nosuch'),
        404,
        /^ClusterTemplate nosuch could not be found\.$/,
      );
    });

    test('PATCH changes it as a cluster template and answers the BayModel view', async () => {
      const res = await send('PATCH', '/v1/baymodels/bm', [
        { op: 'replace', path: '/http_proxy', value: 'http://p:3128' },
      ]);
      assert.equal(res.statusCode, 200, res.body);
      const patched = res.json<Json>();
      assert.equal(patched.http_proxy, 'http://p:3128');
      assert.equal('project_id' in patched, false);
      assert.equal((await getJson('/v1/clustertemplates/bm')).http_proxy, 'http://p:3128');
      baymodel = patched;
    });

    const badPatches: [string, unknown, RegExp][] = [
      [
        'keypair_id cannot be removed',
        [{ op: 'remove', path: '/keypair_id' }],
        /^'\/keypair_id' is a mandatory attribute and can not be removed$/,
      ],
      [
        'uuid is internal',
        [{ op: 'replace', path: '/uuid', value: 'x' }],
        /^'\/uuid' is an internal attribute and can not be updated$/,
      ],
      [
        'apiserver_port keeps its range',
        [{ op: 'replace', path: '/apiserver_port', value: 80 }],
        /apiserver_port.*greater or equal to 1024/,
      ],
    ];
    for (const [name, body, detail] of badPatches) {
      test(`PATCH refuses: ${name}`, () =>
        refused({ method: 'PATCH', url: '/v1/baymodels/bm', body, status: 400, detail }));
    }

    test('another project may not change or delete a public baymodel (admin_or_owner, unlike Magnum 15)', async () => {
      const pub = await send('POST', '/v1/baymodels', baymodelBody({ name: 'pub', public: true }));
      assert.equal(pub.statusCode, 201, pub.body);
      const uuid = String(pub.json<Json>().uuid);
      assert.equal((await send('GET', `/v1/baymodels/${uuid}`, undefined, MEMBER_B)).statusCode, 200);
      await refused({
        method: 'PATCH',
        url: `/v1/baymodels/${uuid}`,
        body: [{ op: 'replace', path: '/name', value: 'mine' }],
        headers: MEMBER_B,
        status: 403,
        detail: /^Policy doesn't allow baymodel:update to be performed\.$/,
      });
      await refused({
        method: 'DELETE',
        url: `/v1/baymodels/${uuid}`,
        headers: MEMBER_B,
        status: 403,
        detail: /^Policy doesn't allow baymodel:delete to be performed\.$/,
      });
      assert.equal((await send('DELETE', `/v1/baymodels/${uuid}`)).statusCode, 204);
    });

    test('an admin reaches only their own project through /v1/baymodels (Magnum never widens it there)', async () => {
      const own = await send('POST', '/v1/baymodels', baymodelBody({ name: 'a-only' }), MEMBER_A);
      assert.equal(own.statusCode, 201, own.body);
      const uuid = String(own.json<Json>().uuid);
      assert.equal((await send('GET', `/v1/clustertemplates/${uuid}`)).statusCode, 200);
      assertHandlerError(await send('GET', `/v1/baymodels/${uuid}`), 404, /could not be found/);
      assert.ok(!((await getJson('/v1/baymodels')).baymodels as Json[]).some((b) => b.uuid === uuid));
      assertHandlerError(await send('GET', `/v1/baymodels/${uuid}`, undefined, MEMBER_B), 404, /could not be found/);
      assert.equal((await send('DELETE', `/v1/baymodels/${uuid}`, undefined, MEMBER_A)).statusCode, 204);
    });
  });

  void describe('bays', () => {
    let bay: Json;

    test('POST at 1.1 answers 201 with the full bay (synchronous, as Magnum 1.1) and Location', async () => {
      const res = await send('POST', '/v1/bays', {
        name: 'bay1',
        baymodel_id: 'bm',
        node_count: '2',
        discovery_url: 'https://discovery.example/x',
      });
      assert.equal(res.statusCode, 201, res.body);
      bay = res.json<Json>();
      assert.equal(res.headers.location, `http://localhost:80/v1/bays/${String(bay.uuid)}`);
      assert.equal(res.headers['openstack-api-version'], 'container-infra 1.1');
      assert.deepEqual(Object.keys(bay).sort(), BAY_DETAIL_FIELDS);
      assert.equal(bay.baymodel_id, baymodel.uuid);
      assert.equal(bay.status, 'CREATE_IN_PROGRESS');
      assert.equal(bay.node_count, 2, 'numeric strings are taken, as wsme does');
      assert.equal(bay.master_count, 1);
      assert.equal(bay.bay_create_timeout, 60);
      assert.equal(bay.discovery_url, 'https://discovery.example/x');
      assert.equal(bay.floating_ip_enabled, true, "a Bay's default, not the baymodel's false");
      const cluster = await getJson(`/v1/clusters/${String(bay.uuid)}`);
      assert.equal(cluster.keypair, 'kp', "the baymodel's keypair");
      assertSameAsCluster(bay, cluster);
      assert.equal(h.wakes() > 0, true);
    });

    test('POST from 1.2 answers 202 {uuid}; names are generated as <greek>-<n>-bay', async () => {
      const res = await send(
        'POST',
        '/v1/bays',
        { baymodel_id: String(baymodel.uuid), bay_create_timeout: 5 },
        version(2),
      );
      assert.equal(res.statusCode, 202, res.body);
      const { uuid } = res.json<{ uuid: string }>();
      const b = await getJson(`/v1/bays/${uuid}`);
      assert.match(String(b.name), /^[a-z]+-\d+-bay$/);
      assert.equal(b.bay_create_timeout, 5);
      assert.equal((await send('DELETE', `/v1/bays/${uuid}`, undefined, LATEST)).statusCode, 204);
    });

    const bad: [string, Json, Record<string, string>, RegExp][] = [
      [
        'baymodel_id is mandatory',
        { name: 'x' },
        {},
        /^Invalid input for field\/attribute baymodel_id\. Value: 'None'\. Mandatory field missing\.$/,
      ],
      [
        'an unknown baymodel is a 400 at 1.1',
        { baymodel_id: 'nosuch' },
        {},
        /^ClusterTemplate nosuch could not be found\.$/,
      ],
      [
        'an unknown baymodel is a 400 at 1.10 too',
        { baymodel_id: 'nosuch' },
        LATEST,
        /^ClusterTemplate nosuch could not be found\.$/,
      ],
      [
        'node_count is at least 1',
        { baymodel_id: 'bm', node_count: 0 },
        LATEST,
        /^Invalid input for field\/attribute node_count\. Value: '0'\. Value should be greater or equal to 1$/,
      ],
      [
        'master_count is at least 1',
        { baymodel_id: 'bm', master_count: 0 },
        {},
        /field\/attribute master_count.*greater or equal to 1/,
      ],
      [
        'bay_create_timeout is not negative',
        { baymodel_id: 'bm', bay_create_timeout: -1 },
        {},
        /field\/attribute bay_create_timeout.*greater or equal to 0/,
      ],
      [
        'a bay has no keypair attribute',
        { baymodel_id: 'bm', keypair: 'k' },
        {},
        /^Unknown attribute for argument bay: keypair$/,
      ],
      [
        'a bay has no cluster_template_id attribute',
        { baymodel_id: 'bm', cluster_template_id: 'bm' },
        {},
        /^Unknown attribute for argument bay: cluster_template_id$/,
      ],
      [
        'a bay has no merge_labels attribute',
        { baymodel_id: 'bm', merge_labels: true },
        {},
        /^Unknown attribute for argument bay: merge_labels$/,
      ],
      [
        'api_address is read-only',
        { baymodel_id: 'bm', api_address: 'x' },
        {},
        /^Invalid input for field\/attribute api_address\. Value: 'x'\. Cannot set read only field\.$/,
      ],
      [
        'uuid must be UUID-like',
        { baymodel_id: 'bm', uuid: 'not-a-uuid' },
        {},
        /^Expected a uuid but received not-a-uuid\.$/,
      ],
      [
        'status is a cluster status',
        { baymodel_id: 'bm', status: 'BOGUS' },
        {},
        /^Invalid input for field\/attribute status\. Value: 'BOGUS'\. Value should be one of: /,
      ],
      [
        'a name must start with a letter',
        { baymodel_id: 'bm', name: '1bay' },
        {},
        /field\/attribute name.*match the pattern/,
      ],
      [
        'several masters need master_lb_enabled',
        { baymodel_id: 'bm', master_count: 3 },
        {},
        /^master_count must be 1 when master_lb_enabled is False$/,
      ],
    ];
    for (const [name, body, headers, detail] of bad) {
      test(`POST refuses: ${name}`, () => refused({ url: '/v1/bays', body, headers, status: 400, detail }));
    }

    test('list and detail hold bays under the old fields; list items show floating_ip_enabled true', async () => {
      const list = (await getJson('/v1/bays')).bays as Json[];
      const item = list.find((b) => b.uuid === bay.uuid);
      assert.ok(item);
      assert.deepEqual(Object.keys(item).sort(), BAY_LIST_FIELDS);
      assertSameAsCluster(
        item,
        ((await getJson('/v1/clusters')).clusters as Json[]).find((c) => c.uuid === bay.uuid) ?? {},
      );
      const detail = ((await getJson('/v1/bays/detail')).bays as Json[]).find((b) => b.uuid === bay.uuid);
      assert.ok(detail);
      assert.deepEqual(Object.keys(detail).sort(), BAY_DETAIL_FIELDS);
      assertSameAsCluster(detail, await getJson(`/v1/clusters/${String(bay.uuid)}`));
      const page = await getJson('/v1/bays/detail?limit=1');
      assert.match(
        String(page.next),
        /^http:\/\/localhost:80\/v1\/bays\/detail\?sort_key=id&sort_dir=asc&limit=1&marker=/,
      );
      assertHandlerError(await send('GET', '/v1/bays?marker=nope'), 400, /unable to convert to uuid/);
      assertHandlerError(await send('GET', '/v1/bays?limit=0'), 400, /^Limit must be positive$/);
      assertHandlerError(await send('GET', '/v1/bays?sort_dir=up'), 400, /^Invalid sort direction: up/);
      assertHandlerError(await send('GET', '/v1/bays?bogus=1'), 400, /^Unknown argument: "bogus"$/);
      assertHandlerError(
        await send('GET', '/v1/bays/detail?limit=abc'),
        400,
        /^Invalid input for field\/attribute limit\. Value: 'abc'\. unable to convert to int\. Error: invalid literal for int\(\) with base 10: 'abc'$/,
      );
    });

    test('GET one by uuid and name; unknown is a 404 naming the Cluster; /bays/{id}/detail is not a route', async () => {
      assertSameAsCluster(await getJson('/v1/bays/bay1'), await getJson(`/v1/clusters/${String(bay.uuid)}`));
      assertHandlerError(await send('GET', '/v1/bays/nosuch'), 404, /^Cluster nosuch could not be found\.$/);
      assert.equal((await send('GET', '/v1/bays/bay1/detail')).statusCode, 404);
      assert.equal((await getJson('/bays/bay1')).uuid, bay.uuid, 'bookmark links resolve');
    });

    test('GET one of a failed bay shows bay_faults (failed node groups and their reasons)', async () => {
      const res = await send('POST', '/v1/bays', { name: 'failing', baymodel_id: 'bm' }, LATEST);
      const { uuid } = res.json<{ uuid: string }>();
      await h.completeCluster(uuid, 'CREATE_FAILED');
      await h.store.db.kysely
        .updateTable('nodegroups')
        .set({ status: 'CREATE_FAILED', status_reason: 'node failed' })
        .where('cluster_id', '=', uuid)
        .where('role', '!=', 'master')
        .execute();
      const failed = await getJson(`/v1/bays/${uuid}`);
      assert.deepEqual(failed.bay_faults, { 'default-worker': 'node failed' });
      assertSameAsCluster(failed, await getJson(`/v1/clusters/${uuid}`));
      assert.equal(
        'bay_faults' in ((await getJson('/v1/bays/detail')).bays as Json[]).find((b) => b.uuid === uuid)!,
        false,
      );
      assert.equal((await send('DELETE', `/v1/bays/${uuid}`)).statusCode, 204);
    });

    test('PATCH at 1.1 answers 200 with the bay; from 1.2 202 {uuid}; rollback only from 1.3', async () => {
      await h.completeCluster(String(bay.uuid));
      const res = await send('PATCH', '/v1/bays/bay1', [{ op: 'replace', path: '/node_count', value: 3 }]);
      assert.equal(res.statusCode, 200, res.body);
      const updated = res.json<Json>();
      assert.equal(updated.node_count, 3);
      assert.equal(updated.status, 'UPDATE_IN_PROGRESS');
      assertSameAsCluster(updated, await getJson(`/v1/clusters/${String(bay.uuid)}`));
      await h.completeCluster(String(bay.uuid));
      const at12 = await send('PATCH', '/v1/bays/bay1', [{ op: 'replace', path: '/node_count', value: 2 }], version(2));
      assert.equal(at12.statusCode, 202, at12.body);
      assert.deepEqual(at12.json(), { uuid: bay.uuid });
      await h.completeCluster(String(bay.uuid));
      await refused({
        method: 'PATCH',
        url: '/v1/bays/bay1?rollback=true',
        body: [{ op: 'replace', path: '/node_count', value: 4 }],
        headers: version(2),
        status: 400,
        detail: /^Unknown argument: "rollback"$/,
      });
      const at13 = await send(
        'PATCH',
        '/v1/bays/bay1/?rollback=True',
        [{ op: 'replace', path: '/node_count', value: 1 }],
        version(3),
      );
      assert.equal(at13.statusCode, 202, at13.body);
      await h.completeCluster(String(bay.uuid));
      assert.equal((await getJson('/v1/bays/bay1')).node_count, 1);
    });

    test('PATCH drops changes to fields a Bay does not show (health_status, keypair), as Magnum 15 does', async () => {
      const before = await getJson(`/v1/clusters/${String(bay.uuid)}`);
      const res = await h.unchanged(() =>
        send(
          'PATCH',
          '/v1/bays/bay1',
          [
            { op: 'replace', path: '/health_status', value: 'UNHEALTHY' },
            { op: 'replace', path: '/keypair', value: 'other' },
          ],
          LATEST,
        ),
      );
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(await getJson(`/v1/clusters/${String(bay.uuid)}`), before);
    });

    const badPatches: [string, unknown, Record<string, string>, RegExp][] = [
      [
        'name cannot change',
        [{ op: 'replace', path: '/name', value: 'other' }],
        {},
        /^cannot change cluster property\(ies\) name\.$/,
      ],
      [
        'master_count cannot change',
        [{ op: 'replace', path: '/master_count', value: 3 }],
        {},
        /^cannot change cluster property\(ies\) master_count\.$/,
      ],
      [
        'node_count is at least 1',
        [{ op: 'replace', path: '/node_count', value: 0 }],
        LATEST,
        /^Invalid input for field\/attribute node_count\. Value: '0'\. Value should be greater or equal to 1$/,
      ],
      [
        'baymodel_id cannot be removed',
        [{ op: 'remove', path: '/baymodel_id' }],
        {},
        /^'\/baymodel_id' is a mandatory attribute and can not be removed$/,
      ],
      [
        'api_address is internal',
        [{ op: 'replace', path: '/api_address', value: 'x' }],
        {},
        /^'\/api_address' is an internal attribute and can not be updated$/,
      ],
      ['a patch is a list of operations', { op: 'replace' }, {}, /patch/i],
    ];
    for (const [name, body, headers, detail] of badPatches) {
      test(`PATCH refuses: ${name}`, () =>
        refused({ method: 'PATCH', url: '/v1/bays/bay1', body, headers, status: 400, detail }));
    }

    test('another project sees none of it; an admin only through /v1/clusters', async () => {
      assertHandlerError(
        await send('GET', '/v1/bays/bay1', undefined, MEMBER_B),
        404,
        /^Cluster bay1 could not be found\.$/,
      );
      assert.deepEqual((await getJson('/v1/bays', MEMBER_B)).bays, []);
      await refused({
        url: '/v1/bays',
        body: { name: 'bay-a', baymodel_id: 'bm' },
        headers: { ...MEMBER_A, ...LATEST },
        status: 400,
        detail: /^ClusterTemplate bm could not be found\.$/,
      });
      const pub = await send('POST', '/v1/baymodels', baymodelBody({ name: 'pub-bm', public: true }));
      const created = await send(
        'POST',
        '/v1/bays',
        { name: 'bay-a', baymodel_id: 'pub-bm' },
        { ...MEMBER_A, ...LATEST },
      );
      assert.equal(created.statusCode, 202, created.body);
      const { uuid } = created.json<{ uuid: string }>();
      assert.equal((await send('GET', `/v1/clusters/${uuid}`)).statusCode, 200, 'an admin sees it as a cluster');
      assertHandlerError(await send('GET', `/v1/bays/${uuid}`), 404, /could not be found/);
      await refused({ method: 'DELETE', url: `/v1/bays/${uuid}`, status: 404, detail: /could not be found/ });
      assert.equal((await send('DELETE', `/v1/bays/${uuid}`, undefined, MEMBER_A)).statusCode, 204);
      assert.equal((await getJson(`/v1/clusters/${uuid}`)).status, 'DELETE_IN_PROGRESS');
      assert.equal(pub.statusCode, 201);
    });

    test('DELETE answers 204 at every microversion and the bay goes DELETE_IN_PROGRESS', async () => {
      assert.equal((await send('DELETE', '/v1/bays/bay1')).statusCode, 204);
      assert.equal((await getJson('/v1/bays/bay1')).status, 'DELETE_IN_PROGRESS');
      assertHandlerError(
        await send('DELETE', '/v1/bays/nosuch', undefined, LATEST),
        404,
        /^Cluster nosuch could not be found\.$/,
      );
      await refused({
        method: 'DELETE',
        url: `/v1/baymodels/${String(baymodel.uuid)}`,
        status: 400,
        detail: /is referenced by one or multiple clusters\.$/,
      });
    });
  });
});
