/**
 * @module test/integration/api/cluster-actions — cluster PATCH, actions/resize, actions/upgrade and ca-rotate over the
 * real API, store, CA and swarm driver (no conductor): what a valid call queues, and for each invalid input class the
 * status, Magnum's error body, and that nothing was written and no conductor woken.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CA_KIND, CONDUCTOR_CLIENT_KIND } from '../../../src/certs/cluster-ca.ts';
import type { Operation } from '../../../src/core/types.ts';
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

void describe('cluster update, resize, upgrade and CA rotation', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let base: string;
  let next: string;
  let plain: string;

  /** A cluster whose create finished (CREATE_COMPLETE, with an api_address), in the caller's project. */
  const readyCluster = async (
    body: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): Promise<string> => {
    const uuid = await h.createCluster({ cluster_template_id: base, ...body }, headers);
    await h.completeCluster(uuid);
    return uuid;
  };
  const pendingOps = async (uuid: string): Promise<Operation[]> => h.store.operations.active(uuid);
  const groups = async (uuid: string): Promise<Record<string, [number, string]>> =>
    Object.fromEntries((await h.store.clusters.nodegroups([uuid])).map((n) => [n.name, [n.node_count, n.status]]));

  /** Sends a request that must be answered without any change (used for version-negotiation errors). */
  const sendUnchanged: ApiHarness['send'] = (...args) => h.unchanged(() => h.send(...args));

  before(async () => {
    h = await startApiHarness({
      capabilities: new Set(ALL_CAPABILITIES),
      config: { 'quotas.max_clusters_per_project': 1000 },
    });
    base = String((await h.createTemplate({ name: 'base', public: true })).uuid);
    next = String((await h.createTemplate({ name: 'next', labels: { release: '2' } })).uuid);
    plain = String((await h.createTemplate({ name: 'no-tls', tls_disabled: true })).uuid);
  });

  after(async () => {
    await h?.close();
  });

  void describe('PATCH /v1/clusters/{ident}', () => {
    test('replacing node_count answers 202 with the uuid and queues an update of the default worker group', async () => {
      const c = await readyCluster();
      const wakes = h.wakes();
      const res = await h.send('PATCH', `/v1/clusters/${c}`, [{ op: 'replace', path: '/node_count', value: 3 }]);
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(res.json(), { uuid: c });
      assert.equal(h.wakes(), wakes + 1);
      assert.deepEqual(await groups(c), {
        'default-master': [1, 'CREATE_COMPLETE'],
        'default-worker': [3, 'UPDATE_IN_PROGRESS'],
      });
      const ops = await pendingOps(c);
      assert.deepEqual(
        ops.map((o) => [o.kind, o.payload]),
        [['cluster_update', { action: 'update', nodegroup: 'default-worker', rollback: false }]],
      );
      const shown = (await h.send('GET', `/v1/clusters/${c}`)).json<{ status: string; node_count: number }>();
      assert.deepEqual([shown.status, shown.node_count], ['UPDATE_IN_PROGRESS', 3]);
    });

    test('rollback=True is accepted from 1.3 on the trailing-slash path magnumclient uses', async () => {
      const c = await readyCluster();
      const res = await h.send(
        'PATCH',
        `/v1/clusters/${c}/?rollback=True`,
        [{ op: 'replace', path: '/node_count', value: 2 }],
        version(3),
      );
      assert.equal(res.statusCode, 202, res.body);
      assert.equal((await pendingOps(c))[0]?.payload.rollback, true);
    });

    test('changing only the health fields writes them at once and queues nothing', async () => {
      const c = await readyCluster();
      const res = await h.send('PATCH', `/v1/clusters/${c}`, [
        { op: 'add', path: '/health_status', value: 'UNHEALTHY' },
        { op: 'add', path: '/health_status_reason', value: "{'api': 'down'}" },
      ]);
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(await pendingOps(c), []);
      const shown = (await h.send('GET', `/v1/clusters/${c}`)).json<Record<string, unknown>>();
      assert.equal(shown.health_status, 'UNHEALTHY');
      assert.deepEqual(shown.health_status_reason, { api: 'down' });
      assert.equal(shown.status, 'CREATE_COMPLETE');
    });

    test('a patch that changes nothing answers 202 and queues nothing', async () => {
      const c = await readyCluster();
      const res = await h.unchanged(() =>
        h.send('PATCH', `/v1/clusters/${c}`, [{ op: 'replace', path: '/node_count', value: 1 }]),
      );
      assert.equal(res.statusCode, 202);
      assert.deepEqual(res.json(), { uuid: c });
    });

    let c: string;
    let creating: string;
    const cases = (): BadCase[] => [
      {
        name: 'invalid JSON is refused',
        method: 'PATCH',
        url: `/v1/clusters/${c}`,
        body: '[{"op": ',
        status: 400,
        detail: /^Request is not in valid JSON format$/,
      },
      {
        name: 'a body that is not an array is refused',
        method: 'PATCH',
        url: `/v1/clusters/${c}`,
        body: { op: 'replace' },
        status: 400,
        detail: /must be an array of operations/,
      },
      {
        name: 'a node_count of the wrong type is refused naming it',
        method: 'PATCH',
        url: `/v1/clusters/${c}`,
        body: [{ op: 'replace', path: '/node_count', value: '3' }],
        status: 400,
        detail: /^Invalid input for field\/attribute node_count\. Value: '3'\. '<' not supported/,
      },
      {
        name: 'an unknown attribute is refused',
        method: 'PATCH',
        url: `/v1/clusters/${c}`,
        body: [{ op: 'add', path: '/nodes', value: 3 }],
        status: 400,
        detail: /^Adding a new attribute \/nodes to the root of the resource is not allowed\.$/,
      },
      {
        name: 'an unknown key in an operation is refused',
        method: 'PATCH',
        url: `/v1/clusters/${c}`,
        body: [{ op: 'replace', path: '/node_count', value: 2, from: '/x' }],
        status: 400,
        detail: /^Unknown attribute for argument patch: from$/,
      },
      {
        name: 'a read-only attribute is refused as internal',
        method: 'PATCH',
        url: `/v1/clusters/${c}`,
        body: [{ op: 'replace', path: '/api_address', value: 'tcp://1.2.3.4:1' }],
        status: 400,
        detail: /^'\/api_address' is an internal attribute and can not be updated$/,
      },
      {
        name: 'another attribute cannot change',
        method: 'PATCH',
        url: `/v1/clusters/${c}`,
        body: [{ op: 'replace', path: '/name', value: 'renamed' }],
        status: 400,
        detail: /^cannot change cluster property\(ies\) name\.$/,
      },
      {
        name: 'an unknown cluster uuid is a 404',
        method: 'PATCH',
        url: '/v1/clusters/00000000-0000-0000-0000-000000000000',
        body: [{ op: 'replace', path: '/node_count', value: 2 }],
        status: 404,
        detail: /^Cluster 00000000-0000-0000-0000-000000000000 could not be found\.$/,
      },
      {
        name: 'rollback below 1.3 is an unknown argument',
        method: 'PATCH',
        url: `/v1/clusters/${c}?rollback=true`,
        body: [{ op: 'replace', path: '/node_count', value: 2 }],
        status: 400,
        detail: /^Unknown argument: "rollback"$/,
      },
      {
        name: 'a rollback that is not a boolean word is refused',
        method: 'PATCH',
        url: `/v1/clusters/${c}?rollback=maybe`,
        body: [{ op: 'replace', path: '/node_count', value: 2 }],
        headers: LATEST,
        status: 400,
        detail: /^Invalid input for field\/attribute rollback\. Value: 'maybe'\. Unrecognized value/,
      },
      {
        name: 'an unknown query parameter is refused',
        method: 'PATCH',
        url: `/v1/clusters/${c}?force=1`,
        body: [{ op: 'replace', path: '/node_count', value: 2 }],
        status: 400,
        detail: /^Unknown argument: "force"$/,
      },
      {
        name: 'zero nodes are refused below 1.10',
        method: 'PATCH',
        url: `/v1/clusters/${c}`,
        body: [{ op: 'replace', path: '/node_count', value: 0 }],
        headers: version(9),
        status: 400,
        detail: /^Resizing a nodegroup to zero is not supported in the provided microversion\.$/,
      },
      {
        name: "another project's cluster is not found",
        method: 'PATCH',
        url: `/v1/clusters/${c}`,
        body: [{ op: 'replace', path: '/node_count', value: 2 }],
        headers: MEMBER_B,
        status: 404,
        detail: /could not be found\.$/,
      },
      {
        name: 'a cluster still being created cannot be updated',
        method: 'PATCH',
        url: `/v1/clusters/${creating}`,
        body: [{ op: 'replace', path: '/node_count', value: 2 }],
        status: 400,
        detail: /^Updating a cluster when status is "CREATE_IN_PROGRESS" is not supported\.$/,
      },
    ];

    before(async () => {
      c = await readyCluster();
      creating = await h.createCluster({ cluster_template_id: base });
    });
    // The cases read clusters made in the before hook: build them lazily inside each test.
    for (const [i, bad] of cases().entries()) test(bad.name, () => h.expectRefused(cases()[i] as BadCase));

    test('a microversion above 1.10 answers 406 and changes nothing', async () => {
      const res = await sendUnchanged(
        'PATCH',
        `/v1/clusters/${c}`,
        [{ op: 'replace', path: '/node_count', value: 2 }],
        version(11),
      );
      assert.equal(res.statusCode, 406);
      assert.equal(res.json<{ errors: { code: string }[] }>().errors[0]?.code, 'magnum.microversion-unsupported');
    });

    test("a driver without the 'resize' capability refuses a node count change", async () => {
      h.capabilities.delete('resize');
      try {
        await h.expectRefused({
          name: '',
          method: 'PATCH',
          url: `/v1/clusters/${c}`,
          body: [{ op: 'replace', path: '/node_count', value: 2 }],
          status: 400,
          detail: /^Changing the node count of a cluster of driver swarm-local is not supported\.$/,
        });
      } finally {
        h.capabilities.add('resize');
      }
    });

    test('a cluster with an operation still active answers OperationInProgress', async () => {
      const busy = await readyCluster();
      assert.equal(
        (await h.send('PATCH', `/v1/clusters/${busy}`, [{ op: 'replace', path: '/node_count', value: 2 }])).statusCode,
        202,
      );
      // The status says complete but the queued operation has not run yet (e.g. another API process just queued it).
      await h.store.db.kysely
        .updateTable('clusters')
        .set({ status: 'UPDATE_COMPLETE' })
        .where('uuid', '=', busy)
        .execute();
      await h.expectRefused({
        name: '',
        method: 'PATCH',
        url: `/v1/clusters/${busy}`,
        body: [{ op: 'replace', path: '/node_count', value: 3 }],
        status: 400,
        detail: /^Cluster .* already has an operation in progress\.$/,
      });
    });
  });

  void describe('POST /v1/clusters/{ident}/actions/resize', () => {
    test('resizing the default worker group answers 202, accepting a numeric string and nodes to remove', async () => {
      const c = await readyCluster({ node_count: 2 });
      const res = await h.send(
        'POST',
        `/v1/clusters/${c}/actions/resize`,
        { node_count: '1', nodes_to_remove: ['node-1'] },
        version(7),
      );
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(res.json(), { uuid: c });
      assert.deepEqual((await groups(c))['default-worker'], [1, 'UPDATE_IN_PROGRESS']);
      assert.deepEqual(
        (await pendingOps(c)).map((o) => o.payload),
        [{ action: 'resize', nodegroup: 'default-worker', nodes_to_remove: ['node-1'] }],
      );
    });

    test('a node group can be named by its integer id', async () => {
      const c = await readyCluster();
      const worker = (await h.store.clusters.nodegroups([c])).find((n) => n.name === 'default-worker');
      const res = await h.send(
        'POST',
        `/v1/clusters/${c}/actions/resize`,
        { node_count: 0, nodegroup: String(worker?.id) },
        LATEST,
      );
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual((await groups(c))['default-worker'], [0, 'UPDATE_IN_PROGRESS']);
    });

    test('below 1.7 the route answers a plain 406 without version headers', async () => {
      const c = await readyCluster();
      const res = await sendUnchanged('POST', `/v1/clusters/${c}/actions/resize`, { node_count: 2 }, version(6));
      assertRoutingError(
        res,
        406,
        'Not Acceptable',
        'Version 1.6 was requested but the requested API resize is not supported for this version.',
      );
      assert.equal(res.headers['openstack-api-version'], undefined);
      assert.equal(res.headers['openstack-api-minimum-version'], undefined);
    });

    let c: string;
    let bounded: string;
    let creating: string;
    const url = (): string => `/v1/clusters/${c}/actions/resize`;
    const cases = (): BadCase[] => [
      {
        name: 'invalid JSON',
        url: url(),
        body: '{"node_count": ',
        headers: LATEST,
        status: 400,
        detail: /^Request is not in valid JSON format$/,
      },
      {
        name: 'a missing node_count',
        url: url(),
        body: {},
        headers: LATEST,
        status: 400,
        detail: /^Invalid input for field\/attribute node_count\. Value: 'None'\. Mandatory field missing\.$/,
      },
      {
        name: 'a node_count of the wrong type',
        url: url(),
        body: { node_count: 'two' },
        headers: LATEST,
        status: 400,
        detail: /^Invalid input for field\/attribute node_count\. Value: 'two'\. Value should be integer$/,
      },
      {
        name: 'a negative node_count',
        url: url(),
        body: { node_count: -1 },
        headers: LATEST,
        status: 400,
        detail: /Value should be greater or equal to 0$/,
      },
      {
        name: 'nodes_to_remove that is not a list',
        url: url(),
        body: { node_count: 1, nodes_to_remove: 'node-1' },
        headers: LATEST,
        status: 400,
        detail: /^Invalid input for field\/attribute nodes_to_remove\. Value: 'node-1'\. Value should be array$/,
      },
      {
        name: 'an unknown field',
        url: url(),
        body: { node_count: 1, force: true },
        headers: LATEST,
        status: 400,
        detail: /^Unknown attribute for argument cluster_resize_req: force$/,
      },
      {
        name: 'zero nodes below 1.10',
        url: url(),
        body: { node_count: 0 },
        headers: version(9),
        status: 400,
        detail: /^Resizing a nodegroup to zero is not supported in the provided microversion\.$/,
      },
      {
        name: 'the master group',
        url: url(),
        body: { node_count: 3, nodegroup: 'default-master' },
        headers: LATEST,
        status: 400,
        detail: /^Resizing a master nodegroup is not supported\.$/,
      },
      {
        name: 'an unknown node group',
        url: url(),
        body: { node_count: 3, nodegroup: 'nosuch' },
        headers: LATEST,
        status: 404,
        detail: /^Nodegroup nosuch could not be found\.$/,
      },
      {
        name: 'a count above the group maximum',
        url: `/v1/clusters/${bounded}/actions/resize`,
        body: { node_count: 5 },
        headers: LATEST,
        status: 400,
        detail: /^Resizing default-worker outside the allowed range: min_node_count = 1, max_node_count = 4$/,
      },
      {
        name: 'an unknown cluster uuid',
        url: '/v1/clusters/0123456789abcdef0123456789abcdef/actions/resize',
        body: { node_count: 1 },
        headers: LATEST,
        status: 404,
        detail: /^Cluster 0123456789abcdef0123456789abcdef could not be found\.$/,
      },
      {
        name: "another project's cluster",
        url: url(),
        body: { node_count: 1 },
        headers: { ...LATEST, ...MEMBER_B },
        status: 404,
        detail: /could not be found\.$/,
      },
      {
        name: "an admin of another project (resize does not widen an admin's scope)",
        url: url(),
        body: { node_count: 1 },
        headers: { ...LATEST, 'x-project-id': 'other', 'x-roles': 'admin' },
        status: 404,
        detail: /could not be found\.$/,
      },
      {
        name: 'a cluster still being created',
        url: `/v1/clusters/${creating}/actions/resize`,
        body: { node_count: 1 },
        headers: LATEST,
        status: 400,
        detail: /^Resizing a cluster when status is "CREATE_IN_PROGRESS" is not supported\.$/,
      },
    ];

    before(async () => {
      c = await readyCluster();
      bounded = await readyCluster({ labels: { min_node_count: '1', max_node_count: '4' } });
      creating = await h.createCluster({ cluster_template_id: base });
    });
    for (const [i, bad] of cases().entries())
      test(`it refuses ${bad.name}`, () => h.expectRefused(cases()[i] as BadCase));

    test("a driver without the 'resize' capability refuses", async () => {
      h.capabilities.delete('resize');
      try {
        await h.expectRefused({
          name: '',
          url: url(),
          body: { node_count: 2 },
          headers: LATEST,
          status: 400,
          detail: /^Resizing a cluster of driver swarm-local is not supported\.$/,
        });
      } finally {
        h.capabilities.add('resize');
      }
    });
  });

  void describe('POST /v1/clusters/{ident}/actions/upgrade', () => {
    test('upgrading to another template answers 202 and moves the cluster and its default groups to it', async () => {
      const c = await readyCluster();
      const res = await h.send(
        'POST',
        `/v1/clusters/${c}/actions/upgrade`,
        { cluster_template: 'next', max_batch_size: '2' },
        version(8),
      );
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(res.json(), { uuid: c });
      const shown = (await h.send('GET', `/v1/clusters/${c}`)).json<{ cluster_template_id: string; status: string }>();
      assert.deepEqual([shown.cluster_template_id, shown.status], [next, 'UPDATE_IN_PROGRESS']);
      assert.deepEqual(
        (await pendingOps(c)).map((o) => o.payload),
        [{ action: 'upgrade', nodegroup: 'default-worker', max_batch_size: 2, cluster_template: next }],
      );
      assert.deepEqual(
        (await h.store.clusters.nodegroups([c])).map((n) => n.status),
        ['UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS'],
      );
    });

    test('at 1.7 the route exists but answers ClusterUpgradeNotSupported', async () => {
      const c = await readyCluster();
      await h.expectRefused({
        name: '',
        url: `/v1/clusters/${c}/actions/upgrade`,
        body: { cluster_template: next },
        headers: version(7),
        status: 400,
        detail: /^Cluster upgrade is not supported in the provided microversion\.$/,
      });
    });

    test('below 1.7 the route answers a plain 406', async () => {
      const c = await readyCluster();
      assertRoutingError(
        await sendUnchanged('POST', `/v1/clusters/${c}/actions/upgrade`, { cluster_template: next }, version(6)),
        406,
        'Not Acceptable',
        'Version 1.6 was requested but the requested API upgrade is not supported for this version.',
      );
    });

    test('a non-default node group may only be upgraded to the cluster template', async () => {
      const c = await readyCluster();
      const created = await h.send('POST', `/v1/clusters/${c}/nodegroups`, { name: 'extra' }, LATEST);
      assert.equal(created.statusCode, 202, created.body);
      await h.completeCluster(c);
      await h.expectRefused({
        name: '',
        url: `/v1/clusters/${c}/actions/upgrade`,
        body: { cluster_template: next, nodegroup: 'extra' },
        headers: LATEST,
        status: 409,
        detail:
          /^Cluster Template is not valid for upgrade: Nodegroup extra can be upgraded only to match cluster's template \(base\)\.$/,
      });
      const same = await h.send(
        'POST',
        `/v1/clusters/${c}/actions/upgrade`,
        { cluster_template: base, nodegroup: 'extra' },
        LATEST,
      );
      assert.equal(same.statusCode, 202, same.body);
      assert.deepEqual((await groups(c)).extra, [1, 'UPDATE_IN_PROGRESS']);
      assert.equal((await groups(c))['default-worker']?.[1], 'CREATE_COMPLETE');
    });

    let c: string;
    let creating: string;
    const url = (): string => `/v1/clusters/${c}/actions/upgrade`;
    const cases = (): BadCase[] => [
      {
        name: 'invalid JSON',
        url: url(),
        body: '{',
        headers: LATEST,
        status: 400,
        detail: /^Request is not in valid JSON format$/,
      },
      {
        name: 'a missing template',
        url: url(),
        body: { max_batch_size: 1 },
        headers: LATEST,
        status: 400,
        detail: /^Invalid input for field\/attribute cluster_template\. Value: 'None'\. Mandatory field missing\.$/,
      },
      {
        name: 'a template of the wrong type',
        url: url(),
        body: { cluster_template: 5 },
        headers: LATEST,
        status: 400,
        detail: /^Invalid input for field\/attribute cluster_template\. Value: '5'\. Value should be string$/,
      },
      {
        name: 'a max_batch_size below 1',
        url: url(),
        body: { cluster_template: next, max_batch_size: 0 },
        headers: LATEST,
        status: 400,
        detail: /field\/attribute max_batch_size\. Value: '0'\. Value should be greater or equal to 1$/,
      },
      {
        name: 'an unknown field',
        url: url(),
        body: { cluster_template: next, rollback: true },
        headers: LATEST,
        status: 400,
        detail: /^Unknown attribute for argument cluster_upgrade_req: rollback$/,
      },
      {
        name: 'an unknown template',
        url: url(),
        body: { cluster_template: '00000000-0000-0000-0000-000000000000' },
        headers: LATEST,
        status: 404,
        detail: /^ClusterTemplate 00000000-0000-0000-0000-000000000000 could not be found\.$/,
      },
      {
        name: "another project's cluster",
        url: url(),
        body: { cluster_template: next },
        headers: { ...LATEST, ...MEMBER_A },
        status: 404,
        detail: /could not be found\.$/,
      },
      {
        name: 'a cluster still being created',
        url: `/v1/clusters/${creating}/actions/upgrade`,
        body: { cluster_template: next },
        headers: LATEST,
        status: 400,
        detail: /^Upgrading a cluster when status is "CREATE_IN_PROGRESS" is not supported\.$/,
      },
    ];

    before(async () => {
      c = await readyCluster();
      creating = await h.createCluster({ cluster_template_id: base });
    });
    for (const [i, bad] of cases().entries())
      test(`it refuses ${bad.name}`, () => h.expectRefused(cases()[i] as BadCase));

    test("a driver without the 'upgrade' capability refuses", async () => {
      h.capabilities.delete('upgrade');
      try {
        await h.expectRefused({
          name: '',
          url: url(),
          body: { cluster_template: next },
          headers: LATEST,
          status: 400,
          detail: /^Upgrading a cluster of driver swarm-local is not supported\.$/,
        });
      } finally {
        h.capabilities.add('upgrade');
      }
    });
  });

  void describe('PATCH /v1/certificates/{cluster} (ca-rotate)', () => {
    test('rotating answers 202 with the cluster uuid, stores a new CA and queues the update', async () => {
      const c = await readyCluster();
      await h.send('GET', `/v1/certificates/${c}`);
      const before = await h.store.certificates.get(c, CA_KIND);
      // python-magnumclient sends no body (and an application/octet-stream content type).
      const res = await h.app.inject({
        method: 'PATCH',
        url: `/v1/certificates/${c}`,
        headers: { 'content-type': 'application/octet-stream' },
      });
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(res.json(), { uuid: c });
      const after = await h.store.certificates.get(c, CA_KIND);
      assert.ok(after);
      assert.notEqual(after.cert_pem, before?.cert_pem);
      assert.equal(await h.store.certificates.get(c, CONDUCTOR_CLIENT_KIND), undefined);
      assert.deepEqual(
        (await pendingOps(c)).map((o) => o.payload),
        [{ action: 'rotate_ca' }],
      );
      const shown = (await h.send('GET', `/v1/certificates/${c}`)).json<{ pem: string }>();
      assert.equal(shown.pem, after.cert_pem);
    });

    let c: string;
    let noTls: string;
    let creating: string;
    const cases = (): BadCase[] => [
      {
        name: 'a TLS-disabled cluster',
        method: 'PATCH',
        url: `/v1/certificates/${noTls}`,
        status: 400,
        detail: /^Rotating the CA certificate on a non-TLS cluster is not supported$/,
      },
      {
        name: 'a cluster still being created',
        method: 'PATCH',
        url: `/v1/certificates/${creating}`,
        status: 400,
        detail: /^Updating a cluster when status is "CREATE_IN_PROGRESS" is not supported\.$/,
      },
      {
        name: 'an unknown cluster',
        method: 'PATCH',
        url: '/v1/certificates/nosuch',
        status: 404,
        detail: /^Cluster nosuch could not be found\.$/,
      },
      {
        name: "another project's cluster",
        method: 'PATCH',
        url: `/v1/certificates/${c}`,
        headers: MEMBER_B,
        status: 404,
        detail: /could not be found\.$/,
      },
      {
        name: 'an unknown query parameter',
        method: 'PATCH',
        url: `/v1/certificates/${c}?ca_cert_type=etcd`,
        status: 400,
        detail: /^Unknown argument: "ca_cert_type"$/,
      },
    ];

    before(async () => {
      c = await readyCluster();
      noTls = await readyCluster({ cluster_template_id: plain });
      creating = await h.createCluster({ cluster_template_id: base });
    });
    for (const [i, bad] of cases().entries())
      test(`it refuses ${bad.name}`, () => h.expectRefused(cases()[i] as BadCase));

    test("a driver without the 'rotate-ca' capability refuses with Magnum's message", async () => {
      h.capabilities.delete('rotate-ca');
      try {
        await h.expectRefused({
          name: '',
          method: 'PATCH',
          url: `/v1/certificates/${c}`,
          status: 400,
          detail: /^Rotating the CA certificate is not supported for cluster with cluster_distro: debian\.$/,
        });
      } finally {
        h.capabilities.add('rotate-ca');
      }
    });

    test('a member of the owning project may rotate, one of another project may not see the cluster', async () => {
      const owned = await readyCluster({}, MEMBER_A);
      assertHandlerError(
        await h.send('PATCH', `/v1/certificates/${owned}`, undefined, MEMBER_B),
        404,
        /could not be found\.$/,
      );
      assert.equal(
        (await h.send('PATCH', `/v1/certificates/${owned}`, undefined, { ...MEMBER_A, 'x-user-id': 'someone-else' }))
          .statusCode,
        202,
      );
    });
  });
});
