/**
 * @module test/integration/api/api — the real HTTP edge (buildApi) over a real SQLite store, cluster CA, swarm driver
 * and the host Docker engine's image catalog: Magnum's status codes and error bodies, and that refused requests write
 * nothing. No conductor runs, so no container is ever started.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { tarFiles } from '../../../src/core/tar.ts';
import {
  assertHandlerError,
  assertRoutingError,
  IMAGE,
  MEMBER_A,
  MEMBER_B,
  startApiHarness,
  TABLES,
  V110,
  type ApiHarness,
  type BadCase,
} from '../../helpers/api-harness.ts';

const run = randomBytes(4).toString('hex');
const NO_DISTRO_REPO = `magnetar/test-no-distro-${run}`;
const NO_DISTRO_IMAGE = `${NO_DISTRO_REPO}:1`;

void describe('Magnum API over the real store, CA, swarm driver and image catalog', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let baseTemplate: string;
  const send: ApiHarness['send'] = (...args) => h.send(...args);
  const counts: ApiHarness['counts'] = () => h.counts();
  const expectRefused: ApiHarness['expectRefused'] = (c) => h.expectRefused(c);
  const createTemplate: ApiHarness['createTemplate'] = (...args) => h.createTemplate(...args);
  const createCluster: ApiHarness['createCluster'] = (...args) => h.createCluster(...args);

  before(async () => {
    h = await startApiHarness();
    await h.engine.importImage(
      Readable.from([tarFiles([{ path: 'hello.txt', content: 'hi\n' }])]),
      NO_DISTRO_REPO,
      '1',
      [],
    );
    baseTemplate = String((await createTemplate({ name: 'base' })).uuid);
  });

  after(async () => {
    if (!h) return;
    await h.engine.removeImage(NO_DISTRO_IMAGE);
    await h.close();
  });

  void describe('routing and version documents', () => {
    test('/ lists version v1 with its range and no version headers', async () => {
      const res = await send('GET', '/');
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), {
        name: 'OpenStack Magnum API',
        description: 'Magnum is an OpenStack project which aims to provide container cluster management.',
        versions: [
          {
            id: 'v1',
            status: 'CURRENT',
            min_version: '1.1',
            max_version: '1.10',
            links: [{ href: 'http://localhost:80/v1/', rel: 'self' }],
          },
        ],
      });
      assert.equal(res.headers['openstack-api-version'], undefined);
    });

    test('/v1 links every collection with self and bookmark links', async () => {
      // X-Forwarded-* are ignored without api.trusted_proxies (test/integration/api/isolation.test.ts): the Host counts.
      const res = await send('GET', '/v1', undefined, {
        host: 'magnum.example:9511',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'elsewhere.example',
      });
      assert.equal(res.statusCode, 200);
      const doc = res.json<Record<string, unknown>>();
      assert.equal(doc.id, 'v1');
      assert.deepEqual(doc.media_types, [
        { base: 'application/json', type: 'application/vnd.openstack.magnum.v1+json' },
      ]);
      assert.deepEqual(doc.clusters, [
        { href: 'http://magnum.example:9511/v1/clusters/', rel: 'self' },
        { href: 'http://magnum.example:9511/clusters/', rel: 'bookmark' },
      ]);
      for (const c of ['clustertemplates', 'certificates', 'quotas', 'mservices', 'stats', 'federations', 'nodegroups'])
        assert.ok(doc[c], c);
    });

    test('a trailing slash reaches the same resource', async () => {
      const plain = await send('GET', `/v1/clustertemplates/${baseTemplate}`);
      const slash = await send('GET', `/v1/clustertemplates/${baseTemplate}/`);
      assert.equal(slash.statusCode, 200);
      assert.deepEqual(slash.json(), plain.json());
      assert.equal((await send('GET', '/v1/clustertemplates/')).statusCode, 200);
    });

    test('a bookmark path without /v1 reaches the same resource', async () => {
      const plain = await send('GET', `/v1/clustertemplates/${baseTemplate}`);
      const bookmark = await send('GET', `/clustertemplates/${baseTemplate}`);
      assert.equal(bookmark.statusCode, 200);
      assert.deepEqual(bookmark.json(), plain.json());
      const links = plain.json<{ links: { href: string; rel: string }[] }>().links;
      assert.deepEqual(links, [
        { href: `http://localhost:80/v1/clustertemplates/${baseTemplate}`, rel: 'self' },
        { href: `http://localhost:80/clustertemplates/${baseTemplate}`, rel: 'bookmark' },
      ]);
    });

    test('a wrong method answers 405 with Allow', async () => {
      const res = await send('PUT', '/v1/clusters');
      assertRoutingError(res, 405, 'Method Not Allowed', 'The method PUT is not allowed for this resource.');
      assert.match(String(res.headers.allow), /GET/);
      assert.match(String(res.headers.allow), /POST/);
      assert.equal(res.headers['openstack-api-version'], undefined, 'routing errors carry no version headers');
      assert.equal((await send('PUT', `/v1/clustertemplates/${baseTemplate}`)).statusCode, 405);
    });

    test('an unknown path answers 404 with a routing error body', async () => {
      const res = await send('GET', '/v1/nothing-here');
      assertRoutingError(res, 404, 'Not Found', 'The resource could not be found.');
      assert.equal(res.headers['openstack-api-version'], undefined, 'routing errors carry no version headers');
    });
  });

  void describe('microversions', () => {
    test('no header negotiates 1.1 and sets the four version headers', async () => {
      const res = await send('GET', '/v1/clusters');
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['openstack-api-version'], 'container-infra 1.1');
      assert.equal(res.headers['openstack-api-minimum-version'], 'container-infra 1.1');
      assert.equal(res.headers['openstack-api-maximum-version'], 'container-infra 1.10');
      assert.equal(res.headers.vary, 'OpenStack-API-Version');
      assert.match(String(res.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
    });

    test('latest negotiates 1.10, also on handler errors', async () => {
      const res = await send('GET', '/v1/clusters/nosuch', undefined, {
        'openstack-api-version': 'container-infra latest',
      });
      assertHandlerError(res, 404, /^Cluster nosuch could not be found\.$/);
      assert.equal(res.headers['openstack-api-version'], 'container-infra 1.10');
    });

    const unsupported: [string, string, RegExp][] = [
      [
        'a minor above 1.10 answers 406 with the microversion error object',
        'container-infra 1.11',
        /^Version 1\.11 was requested but the minor version is not supported/,
      ],
      [
        'major 2 answers 406 with the mutually-exclusive description',
        'container-infra 2.0',
        /^Mutually exclusive versions requested\. Version 2\.0/,
      ],
    ];
    for (const [name, header, description] of unsupported) {
      test(name, async () => {
        const before = await counts();
        const res = await send(
          'POST',
          '/v1/clusters',
          { cluster_template_id: baseTemplate },
          { 'openstack-api-version': header },
        );
        assert.equal(res.statusCode, 406);
        const e = res.json<{ errors: Record<string, unknown>[] }>().errors[0];
        assert.equal(e?.code, 'magnum.microversion-unsupported');
        assert.equal(e?.title, 'Requested microversion is unsupported');
        assert.equal(e?.min_version, '1.1');
        assert.equal(e?.max_version, '1.10');
        assert.equal(e?.description, undefined, 'no description unless the Accept header prefers JSON');
        assert.equal(res.headers['openstack-api-minimum-version'], 'container-infra 1.1');
        assert.equal(res.headers['openstack-api-maximum-version'], 'container-infra 1.10');
        assert.equal(res.headers['openstack-api-version'], header, 'the requested version is echoed');
        assert.equal(res.headers.vary, 'OpenStack-API-Version');
        assert.deepEqual(await counts(), before);
        const json = await send(
          'POST',
          '/v1/clusters',
          { cluster_template_id: baseTemplate },
          { 'openstack-api-version': header, accept: 'application/json' },
        );
        assert.equal(json.statusCode, 406);
        assert.match(String(json.json<{ errors: Record<string, unknown>[] }>().errors[0]?.description), description);
        assert.deepEqual(await counts(), before);
      });
    }

    test('a 406 echoes the requested version as Magnum prints it (components as integers)', async () => {
      for (const [header, echoed] of [
        ['container-infra 1.011', 'container-infra 1.11'],
        ['container-infra 0.9', 'container-infra 0.9'],
        ['container-infra -1.5', 'container-infra -1.5'],
      ] as const) {
        for (const path of ['/v1', '/v1/clusters', '/clustertemplates', '/v1/no-such-route']) {
          const res = await send('GET', path, undefined, { 'openstack-api-version': header });
          assert.equal(res.statusCode, 406, `${path} ${header}`);
          assert.equal(res.headers['openstack-api-version'], echoed, `${path} ${header}`);
          assert.deepEqual(res.json(), {
            errors: [
              {
                max_version: '1.10',
                min_version: '1.1',
                code: 'magnum.microversion-unsupported',
                links: [{ rel: 'help', href: 'http://docs.openstack.org/api-guide/compute/microversions.html' }],
                title: 'Requested microversion is unsupported',
              },
            ],
          });
        }
      }
    });

    test('versions Python int() reads are negotiated and answered normalized', async () => {
      for (const [header, negotiated] of [
        ['container-infra 01.010', 'container-infra 1.10'],
        ['container-infra +1.5', 'container-infra 1.5'],
        ['container-infra 1.1_0', 'container-infra 1.10'],
        ['foo latest', 'container-infra 1.10'],
      ] as const) {
        const res = await send('GET', '/v1/clusters', undefined, { 'openstack-api-version': header });
        assert.equal(res.statusCode, 200, header);
        assert.equal(res.headers['openstack-api-version'], negotiated, header);
      }
    });

    test('the legacy X-OpenStack-Magnum-API-Version header is ignored, as in Magnum 15', async () => {
      const res = await send('GET', '/v1/clusters', undefined, { 'x-openstack-magnum-api-version': '1.11' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['openstack-api-version'], 'container-infra 1.1');
    });

    const malformed: [string, string, string][] = [
      [
        'a non-numeric version answers a plain 406',
        'container-infra 1.x',
        'Invalid value for OpenStack-API-Version header',
      ],
      [
        'another service name answers a plain 406',
        'compute 1.5',
        'Invalid service type for OpenStack-API-Version header',
      ],
      ['a header of one token answers a plain 406', '1.5', 'Invalid service type for OpenStack-API-Version header'],
      ['an empty header answers a plain 406', '', 'Invalid service type for OpenStack-API-Version header'],
      [
        'a version of three parts answers a plain 406',
        'container-infra 1.2.3',
        'Invalid value for OpenStack-API-Version header',
      ],
    ];
    for (const [name, header, detail] of malformed) {
      test(name, async () => {
        assertRoutingError(
          await send('GET', '/v1/clustertemplates', undefined, { 'openstack-api-version': header }),
          406,
          'Not Acceptable',
          detail,
        );
      });
    }

    test('the version header is ignored outside /v1', async () => {
      assert.equal(
        (await send('GET', '/', undefined, { 'openstack-api-version': 'container-infra 9.9' })).statusCode,
        200,
      );
    });
  });

  void describe('cluster template create', () => {
    const url = '/v1/clustertemplates';
    const ok = { coe: 'swarm-mode', image_id: IMAGE, server_type: 'container' };
    const cases: BadCase[] = [
      {
        name: 'an unknown coe is refused naming coe',
        url,
        body: { ...ok, coe: 'nomad' },
        status: 400,
        detail: /^Invalid input for field\/attribute coe\. Value: 'nomad'\. Value should be one of: .*swarm-mode/,
      },
      {
        name: 'mesos is refused as not supported',
        url,
        body: { ...ok, coe: 'mesos' },
        status: 400,
        detail: /^Requested COE type mesos is not supported\.$/,
      },
      {
        name: 'a missing image_id is refused as a mandatory field',
        url,
        body: { coe: 'swarm-mode' },
        status: 400,
        detail: /^Invalid input for field\/attribute image_id\. Value: 'None'\. Mandatory field missing\.$/,
      },
      {
        name: 'an unknown image is refused',
        url,
        body: { ...ok, image_id: `magnetar/none-${run}:1` },
        status: 400,
        detail: new RegExp(`^Image magnetar/none-${run}:1 could not be found\\.$`),
      },
      {
        name: 'an image without an os_distro label is refused',
        url,
        body: { ...ok, image_id: NO_DISTRO_IMAGE },
        status: 400,
        detail: new RegExp(`^Image ${NO_DISTRO_IMAGE} doesn't contain os_distro field\\.$`),
      },
      {
        name: 'a non-numeric docker_volume_size is refused naming the field',
        url,
        body: { ...ok, docker_volume_size: 'abc' },
        status: 400,
        detail: /^Invalid input for field\/attribute docker_volume_size\. Value: 'abc'\. Value should be integer$/,
      },
      {
        name: 'a docker_volume_size below 1 is refused naming the field',
        url,
        body: { ...ok, docker_volume_size: 0 },
        status: 400,
        detail: /field\/attribute docker_volume_size\. Value: '0'\. Value should be greater or equal to 1/,
      },
      {
        name: 'a tls_disabled that is not a boolean word is refused naming the field',
        url,
        body: { ...ok, tls_disabled: 'maybe' },
        status: 400,
        detail: /^Invalid input for field\/attribute tls_disabled\. Value: 'maybe'\. Unrecognized value 'maybe'/,
      },
      {
        name: 'a number for a string field is refused naming the field',
        url,
        body: { ...ok, name: 5 },
        status: 400,
        detail: /^Invalid input for field\/attribute name\. Value: '5'\. Value should be string$/,
      },
      {
        name: 'an unknown field is refused naming it',
        url,
        body: { ...ok, flavour: 'm1' },
        status: 400,
        detail: /^Unknown attribute for argument cluster_template: flavour$/,
      },
      {
        name: 'a read-only field is refused naming it',
        url,
        body: { ...ok, project_id: 'other' },
        status: 400,
        detail: /^Invalid input for field\/attribute project_id\. Value: 'other'\. Cannot set read only field\.$/,
      },
      {
        name: 'invalid JSON is refused',
        url,
        body: '{"coe": "swarm-mode",',
        status: 400,
        detail: /^Request is not in valid JSON format$/,
      },
      {
        name: 'a body that is not an object is refused',
        url,
        body: [ok],
        status: 400,
        detail: /the request body must be a JSON object/,
      },
      {
        name: 'a non-JSON content type answers 415',
        url,
        body: 'coe=swarm-mode',
        contentType: 'application/x-www-form-urlencoded',
        status: 415,
        detail: /^Unknown mimetype: application\/x-www-form-urlencoded$/,
      },
      {
        name: 'a text/plain body answers 415',
        url,
        body: JSON.stringify(ok),
        contentType: 'text/plain',
        status: 415,
        detail: /^Unknown mimetype: text\/plain/,
      },
      {
        name: 'a nested object label is refused naming labels',
        url,
        body: { ...ok, labels: { deep: { a: 1 } } },
        status: 400,
        detail: /^Invalid input for field\/attribute labels\./,
      },
      {
        name: 'labels that are not a mapping are refused naming labels',
        url,
        body: { ...ok, labels: 'a=b' },
        status: 400,
        detail: /^Invalid input for field\/attribute labels\. Value: 'a=b'\. Value should be object$/,
      },
      {
        name: 'a network driver the swarm driver cannot run is refused naming it',
        url,
        body: { ...ok, network_driver: 'flannel' },
        status: 400,
        detail: /^Network driver type flannel is not supported by the swarm-local driver, expecting docker\.$/,
      },
      {
        name: 'a network driver the COE does not know is refused',
        url,
        body: { ...ok, network_driver: 'calico' },
        status: 400,
        detail:
          /^Network driver type calico is not supported, expecting a docker\/flannel\/unspecified network driver\.$/,
      },
      {
        name: 'a bad DNS nameserver is refused naming the value',
        url,
        body: { ...ok, dns_nameserver: '8.8.8.888' },
        status: 400,
        detail: /^Expected a single dns address or comma separated dns list, but received 8\.8\.8\.888\.$/,
      },
      {
        name: 'a COE no driver serves is refused as a cluster type',
        url,
        body: { ...ok, coe: 'kubernetes' },
        status: 400,
        detail: /^Cluster type \(container, debian, kubernetes\) not supported\.$/,
      },
      {
        name: 'an unknown server type is refused naming it',
        url,
        body: { ...ok, server_type: 'lxc' },
        status: 400,
        detail:
          /^Invalid input for field\/attribute server_type\. Value: 'lxc'\. Value should be one of: vm, bm, container$/,
      },
      {
        name: 'a swarm label with a bad value is refused naming the label',
        url,
        body: { ...ok, labels: { swarm_strategy: 'fastest' } },
        status: 400,
        detail: /^Label swarm_strategy=fastest is not valid/,
      },
      {
        name: 'a non-admin cannot publish a template',
        url,
        body: { ...ok, public: true },
        headers: MEMBER_A,
        status: 403,
        detail: /^Not authorized to set public or hidden flag for cluster template\.$/,
      },
    ];
    for (const c of cases) test(c.name, () => expectRefused(c));

    test('numeric strings and boolean words are accepted and stored typed', async () => {
      const t = await createTemplate({
        name: 'coerced',
        docker_volume_size: '5',
        tls_disabled: 'yes',
        labels: { n: 3, b: true, s: 'x' },
      });
      assert.equal(t.docker_volume_size, 5);
      assert.equal(t.tls_disabled, true);
      assert.deepEqual(t.labels, { n: '3', b: 'True', s: 'x' });
    });

    test('a created template shows every attribute, the defaults and a Location header', async () => {
      const res = await send('POST', url, { name: 'shown', coe: 'swarm', image_id: IMAGE, keypair_id: null });
      assert.equal(res.statusCode, 201, res.body);
      const t = res.json<Record<string, unknown>>();
      assert.equal(res.headers.location, `http://localhost:80/v1/clustertemplates/${String(t.uuid)}`);
      assert.equal(t.server_type, 'vm');
      assert.equal(t.network_driver, 'docker');
      assert.equal(t.cluster_distro, 'debian');
      assert.equal(t.keypair_id, null);
      assert.equal(t.project_id, 'default');
      assert.equal(t.public, false);
      assert.equal(t.floating_ip_enabled, true);
      assert.equal('id' in t, false);
      assert.match(String(t.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      assert.equal(t.updated_at, null);
    });
  });

  void describe('cluster create', () => {
    const url = '/v1/clusters';
    const cases = (): BadCase[] => [
      {
        name: 'an unknown template is a 400 at 1.1',
        url,
        body: { cluster_template_id: 'nosuch' },
        status: 400,
        detail: /^ClusterTemplate nosuch could not be found\.$/,
      },
      {
        name: 'an unknown template is a 404 at 1.10',
        url,
        body: { cluster_template_id: 'nosuch' },
        headers: V110,
        status: 404,
        detail: /^ClusterTemplate nosuch could not be found\.$/,
      },
      {
        name: 'a missing template id is refused as a mandatory field',
        url,
        body: { name: 'x' },
        status: 400,
        detail: /^Invalid input for field\/attribute cluster_template_id\. Value: 'None'\. Mandatory field missing\.$/,
      },
      {
        name: 'node_count 0 is refused below 1.10',
        url,
        body: { cluster_template_id: baseTemplate, node_count: 0 },
        status: 400,
        detail: /^Resizing a nodegroup to zero is not supported in the provided microversion\.$/,
      },
      {
        name: 'node_count -1 is refused naming the field',
        url,
        body: { cluster_template_id: baseTemplate, node_count: -1 },
        headers: V110,
        status: 400,
        detail: /^Invalid input for field\/attribute node_count\. Value: '-1'\. Value should be greater or equal to 0$/,
      },
      {
        name: 'a non-numeric node_count is refused naming the field',
        url,
        body: { cluster_template_id: baseTemplate, node_count: 'two' },
        status: 400,
        detail: /^Invalid input for field\/attribute node_count\. Value: 'two'\. Value should be integer$/,
      },
      {
        name: 'master_count 0 is refused naming the field',
        url,
        body: { cluster_template_id: baseTemplate, master_count: 0 },
        status: 400,
        detail:
          /^Invalid input for field\/attribute master_count\. Value: '0'\. Value should be greater or equal to 1$/,
      },
      {
        name: 'three masters without a master load balancer are refused',
        url,
        body: { cluster_template_id: baseTemplate, master_count: 3 },
        status: 400,
        detail: /^master_count must be 1 when master_lb_enabled is False$/,
      },
      {
        name: 'a name not matching the pattern is refused naming the field',
        url,
        body: { cluster_template_id: baseTemplate, name: '1-bad' },
        status: 400,
        detail:
          /^Invalid input for field\/attribute name\. Value: '1-bad'\. Value should match the pattern \^\[a-zA-Z\]\[a-zA-Z0-9_\.-\]\*\$$/,
      },
      {
        name: 'a nested label is refused naming labels',
        url,
        body: { cluster_template_id: baseTemplate, labels: { a: ['b'] } },
        status: 400,
        detail: /^Invalid input for field\/attribute labels\./,
      },
      {
        name: 'a bad swarm label is refused naming the label',
        url,
        body: { cluster_template_id: baseTemplate, labels: { auto_healing_enabled: 'perhaps' } },
        status: 400,
        detail: /^Label auto_healing_enabled=perhaps is not valid/,
      },
      {
        name: 'an unknown field is refused naming it',
        url,
        body: { cluster_template_id: baseTemplate, nodes: 3 },
        status: 400,
        detail: /^Unknown attribute for argument cluster: nodes$/,
      },
      {
        name: 'a read-only field is refused naming it',
        url,
        body: { cluster_template_id: baseTemplate, api_address: 'x' },
        status: 400,
        detail: /^Invalid input for field\/attribute api_address\. Value: 'x'\. Cannot set read only field\.$/,
      },
      {
        name: 'invalid JSON is refused',
        url,
        body: '{"cluster_template_id": ',
        status: 400,
        detail: /^Request is not in valid JSON format$/,
      },
      {
        name: 'a non-JSON content type answers 415',
        url,
        body: 'cluster_template_id=x',
        contentType: 'application/x-www-form-urlencoded',
        status: 415,
        detail: /^Unknown mimetype: application\/x-www-form-urlencoded$/,
      },
    ];
    // The cases read baseTemplate, which the suite's before hook sets: build them lazily inside each test.
    for (const [i, c] of cases().entries()) test(c.name, () => expectRefused(cases()[i] as BadCase));
  });

  void describe('cluster lifecycle, CA and ca-sign', () => {
    let cluster: string;
    let caPem: string;

    test('a valid create answers 202 with the uuid and writes the cluster, node groups, operation and CA', async () => {
      const before = await counts();
      const wakesBefore = h.wakes();
      const res = await send('POST', '/v1/clusters', {
        name: 'lifecycle',
        cluster_template_id: 'base',
        node_count: '2',
        labels: { extra: 'x' },
        merge_labels: true,
      });
      assert.equal(res.statusCode, 202, res.body);
      const body = res.json<{ uuid: string }>();
      assert.deepEqual(Object.keys(body), ['uuid']);
      cluster = body.uuid;
      assert.equal(h.wakes(), wakesBefore + 1);
      const after = await counts();
      const added = Object.fromEntries(TABLES.map((t) => [t, (after[t] ?? 0) - (before[t] ?? 0)]));
      assert.deepEqual(added, {
        cluster_templates: 0,
        clusters: 1,
        nodegroups: 2,
        operations: 1,
        certificates: 1,
        quotas: 0,
        outbox: 0,
      });
      const ngs = await h.store.clusters.nodegroups([cluster]);
      assert.deepEqual(
        ngs.map((n) => [n.name, n.role, n.node_count, n.status]),
        [
          ['default-master', 'master', 1, 'CREATE_IN_PROGRESS'],
          ['default-worker', 'worker', 2, 'CREATE_IN_PROGRESS'],
        ],
      );
      const ops = await h.store.operations.active(cluster);
      assert.deepEqual(
        ops.map((o) => [o.kind, o.state]),
        [['cluster_create', 'pending']],
      );
      assert.ok(await h.store.certificates.get(cluster, 'ca'));
    });

    test('the new cluster shows CREATE_IN_PROGRESS with merged labels and counts', async () => {
      const res = await send('GET', `/v1/clusters/${cluster}`);
      assert.equal(res.statusCode, 200);
      const c = res.json<Record<string, unknown>>();
      assert.equal(c.status, 'CREATE_IN_PROGRESS');
      assert.equal(c.name, 'lifecycle');
      assert.equal(c.cluster_template_id, baseTemplate);
      assert.equal(c.node_count, 2);
      assert.equal(c.master_count, 1);
      assert.equal(c.merge_labels, false);
      assert.deepEqual(c.labels, { extra: 'x' });
      assert.deepEqual(c.labels_added, { extra: 'x' });
      assert.equal((await send('GET', '/v1/clusters/lifecycle')).json<{ uuid: string }>().uuid, cluster);
    });

    test('ca-show returns the cluster CA', async () => {
      const res = await send('GET', `/v1/certificates/${cluster}`);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<{ cluster_uuid: string; bay_uuid: string; pem: string; links: unknown[] }>();
      assert.equal(body.cluster_uuid, cluster);
      assert.equal(body.bay_uuid, cluster);
      assert.match(body.pem, /^-----BEGIN CERTIFICATE-----/);
      assert.equal(body.pem, (await h.store.certificates.get(cluster, 'ca'))?.cert_pem);
      assert.deepEqual(body.links, [
        { href: `http://localhost:80/v1/certificates/${cluster}`, rel: 'self' },
        { href: `http://localhost:80/certificates/${cluster}`, rel: 'bookmark' },
      ]);
      caPem = body.pem;
    });

    test('ca-sign signs an admin CSR with a certificate that openssl verifies against the CA', async () => {
      const key = join(h.tmp, 'admin.key');
      const csrPath = join(h.tmp, 'admin.csr');
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=admin/O=system:masters',
          '-keyout',
          key,
          '-out',
          csrPath,
        ],
        { stdio: 'ignore' },
      );
      const csr = readFileSync(csrPath, 'utf8');
      const before = await counts();
      const res = await send('POST', '/v1/certificates', { cluster_uuid: cluster, csr });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json<{ cluster_uuid: string; pem: string; csr: string }>();
      assert.equal(body.cluster_uuid, cluster);
      assert.equal(body.csr, csr);
      writeFileSync(join(h.tmp, 'ca.pem'), `${caPem.trim()}\n`);
      writeFileSync(join(h.tmp, 'admin.pem'), `${body.pem.trim()}\n`);
      const out = execFileSync('openssl', ['verify', '-CAfile', join(h.tmp, 'ca.pem'), join(h.tmp, 'admin.pem')], {
        encoding: 'utf8',
      });
      assert.match(out, /admin\.pem: OK/);
      const subject = execFileSync('openssl', ['x509', '-noout', '-subject', '-in', join(h.tmp, 'admin.pem')], {
        encoding: 'utf8',
      });
      assert.match(subject, /CN\s*=\s*admin/);
      assert.match(subject, /O\s*=\s*system:masters/);
      assert.deepEqual(await counts(), before, 'signing stores nothing');
    });

    test('ca-sign refuses an unparsable CSR with InvalidCsr', () =>
      expectRefused({
        name: '',
        url: '/v1/certificates',
        body: { cluster_uuid: cluster, csr: 'not a csr' },
        status: 400,
        detail: /^Received invalid csr not a csr\.$/,
      }));

    test('ca-sign answers 400 for an unknown cluster', () =>
      expectRefused({
        name: '',
        url: '/v1/certificates',
        body: { cluster_uuid: 'nosuch', csr: 'x' },
        status: 400,
        detail: /^Cluster nosuch could not be found\.$/,
      }));

    test('ca-sign refuses a body without a csr naming the field', () =>
      expectRefused({
        name: '',
        url: '/v1/certificates',
        body: { cluster_uuid: cluster },
        status: 400,
        detail: /^Invalid input for field\/attribute csr\. Value: 'None'\. Mandatory field missing\.$/,
      }));

    test('ca-show answers 404 for an unknown cluster', async () => {
      assertHandlerError(await send('GET', '/v1/certificates/nosuch'), 404, /^Cluster nosuch could not be found\.$/);
    });

    test('the event timeline shows the accepted create', async () => {
      const res = await send('GET', `/v1/clusters/${cluster}/events`);
      assert.equal(res.statusCode, 200);
      const events = res.json<{ events: { phase: string; level: string; message: string; time: string }[] }>().events;
      assert.deepEqual(
        events.map((e) => [e.phase, e.level]),
        [['accepted', 'info']],
      );
    });

    test('zero workers are accepted at 1.10', async () => {
      const uuid = await createCluster({ cluster_template_id: baseTemplate, node_count: 0 }, V110);
      assert.deepEqual(
        (await h.store.clusters.nodegroups([uuid])).map((n) => n.node_count),
        [1, 0],
      );
      assert.equal((await send('DELETE', `/v1/clusters/${uuid}`)).statusCode, 204);
    });

    test('delete answers 204, cancels the create and queues one cluster_delete operation', async () => {
      const wakesBefore = h.wakes();
      const res = await send('DELETE', `/v1/clusters/${cluster}`);
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.equal(h.wakes(), wakesBefore + 1);
      const ops = await h.store.db.kysely
        .selectFrom('operations')
        .select(['kind', 'state'])
        .where('cluster_id', '=', cluster)
        .orderBy('id')
        .execute();
      assert.deepEqual(
        ops.map((o) => [o.kind, o.state]),
        [
          ['cluster_create', 'cancelled'],
          ['cluster_delete', 'pending'],
        ],
      );
      assert.equal(
        (await send('GET', `/v1/clusters/${cluster}`)).json<{ status: string }>().status,
        'DELETE_IN_PROGRESS',
      );
      const again = await send('DELETE', `/v1/clusters/${cluster}`);
      assert.equal(again.statusCode, 204);
      assert.equal(h.wakes(), wakesBefore + 1, 'a repeated delete queues nothing');
      assert.equal((await h.store.operations.active(cluster)).length, 1);
    });
  });

  void describe('lists, pagination and lookups', () => {
    test('pages follow next links until a short page, covering the whole list in order', async () => {
      for (let i = 0; i < 5; i++) await createTemplate({ name: `page-${i}` }, MEMBER_A);
      const all = (await send('GET', '/v1/clustertemplates', undefined, MEMBER_A)).json<{
        clustertemplates: { uuid: string }[];
        next?: string;
      }>();
      assert.equal(all.next, undefined);
      const want = all.clustertemplates.map((t) => t.uuid);
      assert.ok(want.length >= 5);
      const first = (await send('GET', '/v1/clustertemplates?limit=2', undefined, MEMBER_A)).json<{
        clustertemplates: { uuid: string }[];
        next?: string;
      }>();
      assert.equal(
        first.next,
        `http://localhost:80/v1/clustertemplates?sort_key=id&sort_dir=asc&limit=2&marker=${want[1]}`,
      );
      const got = first.clustertemplates.map((t) => t.uuid);
      let next: string | undefined = first.next;
      while (next) {
        const res: LightMyRequestResponse = await send(
          'GET',
          next.replace('http://localhost:80', ''),
          undefined,
          MEMBER_A,
        );
        const page = res.json<{ clustertemplates: { uuid: string }[]; next?: string }>();
        assert.ok(page.clustertemplates.length <= 2);
        got.push(...page.clustertemplates.map((t) => t.uuid));
        next = page.next;
      }
      assert.deepEqual(got, want);
    });

    test('sort_key and sort_dir order the detail list', async () => {
      const res = await send('GET', '/v1/clustertemplates/detail?sort_key=name&sort_dir=desc', undefined, MEMBER_A);
      assert.equal(res.statusCode, 200);
      const names = res.json<{ clustertemplates: { name: string }[] }>().clustertemplates.map((t) => t.name);
      assert.deepEqual(names, [...names].sort().reverse());
    });

    const listCases: BadCase[] = [
      {
        name: 'a zero limit is refused',
        method: 'GET',
        url: '/v1/clustertemplates?limit=0',
        status: 400,
        detail: /^Limit must be positive$/,
      },
      {
        name: 'an unknown sort key is refused naming it',
        method: 'GET',
        url: '/v1/clusters?sort_key=node_count',
        status: 400,
        detail: /^The sort_key value "node_count" is an invalid field for sorting$/,
      },
      {
        name: 'an unknown sort direction is refused naming it',
        method: 'GET',
        url: '/v1/clusters?sort_dir=up',
        status: 400,
        detail: /^Invalid sort direction: up\. Acceptable values are 'asc' or 'desc'$/,
      },
      {
        name: 'a marker that is not a uuid is refused',
        method: 'GET',
        url: '/v1/clusters?marker=abc',
        status: 400,
        detail: /^Invalid input for field\/attribute marker\. Value: 'abc'\. unable to convert to uuid/,
      },
      {
        name: 'an unknown marker is a 404',
        method: 'GET',
        url: '/v1/clustertemplates?marker=00000000-0000-0000-0000-000000000000',
        status: 404,
        detail: /^ClusterTemplate 00000000-0000-0000-0000-000000000000 could not be found\.$/,
      },
      {
        name: 'an unknown query parameter is refused naming it',
        method: 'GET',
        url: '/v1/clusters?all_projects=1',
        status: 400,
        detail: /^Unknown argument: "all_projects"$/,
      },
    ];
    for (const c of listCases) test(c.name, () => expectRefused(c));

    test('a uuid in any case and without dashes finds the template', async () => {
      const compact = baseTemplate.replaceAll('-', '').toUpperCase();
      const res = await send('GET', `/v1/clustertemplates/${compact}`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.json<{ uuid: string }>().uuid, baseTemplate);
    });

    test('a name shared by two templates answers 409, also when creating a cluster from it', async () => {
      await createTemplate({ name: 'twin' });
      await createTemplate({ name: 'twin' });
      assertHandlerError(
        await send('GET', '/v1/clustertemplates/twin'),
        409,
        /^Multiple ClusterTemplates exist with same name\. Please use the clustertemplate uuid instead\.$/,
      );
      await expectRefused({
        name: '',
        url: '/v1/clusters',
        body: { cluster_template_id: 'twin' },
        status: 409,
        detail: /^Multiple ClusterTemplates exist with same name/,
      });
    });

    test('a name shared by two clusters answers 409', async () => {
      await createCluster({ cluster_template_id: baseTemplate, name: 'twin-cluster' });
      await createCluster({ cluster_template_id: baseTemplate, name: 'twin-cluster' });
      assertHandlerError(
        await send('GET', '/v1/clusters/twin-cluster'),
        409,
        /^Multiple clusters exist with same name\. Please use the cluster uuid instead\.$/,
      );
      await expectRefused({
        name: '',
        method: 'DELETE',
        url: '/v1/clusters/twin-cluster',
        status: 409,
        detail: /^Multiple clusters exist with same name/,
      });
    });
  });

  void describe('project isolation', () => {
    let privateTemplate: string;
    let clusterA: string;
    let publicTemplate: string;

    before(async () => {
      privateTemplate = String((await createTemplate({ name: 'private-a' }, MEMBER_A)).uuid);
      clusterA = await createCluster({ cluster_template_id: privateTemplate, name: 'cluster-a' }, MEMBER_A);
      publicTemplate = String((await createTemplate({ name: 'shared', public: true })).uuid);
    });

    test('project A sees its own cluster and template', async () => {
      assert.equal((await send('GET', `/v1/clusters/${clusterA}`, undefined, MEMBER_A)).statusCode, 200);
      assert.equal((await send('GET', `/v1/clustertemplates/${privateTemplate}`, undefined, MEMBER_A)).statusCode, 200);
    });

    test("project B cannot see project A's cluster", async () => {
      assertHandlerError(
        await send('GET', `/v1/clusters/${clusterA}`, undefined, MEMBER_B),
        404,
        new RegExp(`^Cluster ${clusterA} could not be found\\.$`),
      );
      assertHandlerError(
        await send('GET', '/v1/clusters/cluster-a', undefined, MEMBER_B),
        404,
        /^Cluster cluster-a could not be found\.$/,
      );
      const list = (await send('GET', '/v1/clusters', undefined, MEMBER_B)).json<{ clusters: { uuid: string }[] }>();
      assert.equal(
        list.clusters.some((c) => c.uuid === clusterA),
        false,
      );
      assertHandlerError(
        await send('GET', `/v1/certificates/${clusterA}`, undefined, MEMBER_B),
        404,
        /could not be found/,
      );
    });

    test("project B cannot delete project A's cluster or template", async () => {
      await expectRefused({
        name: '',
        method: 'DELETE',
        url: `/v1/clusters/${clusterA}`,
        headers: MEMBER_B,
        status: 404,
        detail: /^Cluster .* could not be found\.$/,
      });
      await expectRefused({
        name: '',
        method: 'DELETE',
        url: `/v1/clustertemplates/${privateTemplate}`,
        headers: MEMBER_B,
        status: 404,
        detail: new RegExp(`^ClusterTemplate ${privateTemplate} could not be found\\.$`),
      });
      await expectRefused({
        name: '',
        url: '/v1/clusters',
        body: { cluster_template_id: privateTemplate },
        headers: MEMBER_B,
        status: 400,
        detail: /^ClusterTemplate .* could not be found\.$/,
      });
      assert.ok(await h.store.templates.getByUuid(privateTemplate));
    });

    test('a public template is visible to project B but not deletable by it', async () => {
      const res = await send('GET', `/v1/clustertemplates/${publicTemplate}`, undefined, MEMBER_B);
      assert.equal(res.statusCode, 200);
      assert.equal(res.json<{ public: boolean }>().public, true);
      const list = (await send('GET', '/v1/clustertemplates', undefined, MEMBER_B)).json<{
        clustertemplates: { uuid: string }[];
      }>();
      const uuids = list.clustertemplates.map((t) => t.uuid);
      assert.ok(uuids.includes(publicTemplate));
      assert.ok(!uuids.includes(privateTemplate));
      await expectRefused({
        name: '',
        method: 'DELETE',
        url: `/v1/clustertemplates/${publicTemplate}`,
        headers: MEMBER_B,
        status: 403,
        detail: /^Policy doesn't allow clustertemplate:delete to be performed\.$/,
      });
    });

    test('an admin sees every project', async () => {
      assert.equal((await send('GET', `/v1/clusters/${clusterA}`)).statusCode, 200);
      const list = (await send('GET', '/v1/clusters')).json<{ clusters: { uuid: string }[] }>();
      assert.ok(list.clusters.some((c) => c.uuid === clusterA));
    });
  });

  void describe('cluster template PATCH and DELETE', () => {
    let tpl: string;
    const patch = (ops: unknown, ident = tpl): Promise<LightMyRequestResponse> =>
      send('PATCH', `/v1/clustertemplates/${ident}`, ops);

    before(async () => {
      tpl = String((await createTemplate({ name: 'patch-me', labels: { old: '1' } })).uuid);
    });

    test('replace changes the name and sets updated_at', async () => {
      const res = await patch([{ op: 'replace', path: '/name', value: 'patched' }]);
      assert.equal(res.statusCode, 200, res.body);
      const t = res.json<{ name: string; updated_at: string | null; uuid: string }>();
      assert.equal(t.name, 'patched');
      assert.equal(t.uuid, tpl);
      assert.notEqual(t.updated_at, null);
    });

    test('labels can be replaced with a python-dict string as magnumclient sends', async () => {
      const res = await patch([{ op: 'replace', path: '/labels', value: "{'a': 'b', 'n': 1}" }]);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json<{ labels: unknown }>().labels, { a: 'b', n: '1' });
    });

    test('add onto a null attribute sets it', async () => {
      const res = await patch([{ op: 'add', path: '/flavor_id', value: 'm1.small' }]);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json<{ flavor_id: string }>().flavor_id, 'm1.small');
    });

    const refusals: [string, unknown, number, RegExp][] = [
      [
        'removing a mandatory attribute is refused',
        [{ op: 'remove', path: '/image_id' }],
        400,
        /^'\/image_id' is a mandatory attribute and can not be removed$/,
      ],
      [
        'touching an internal attribute is refused',
        [{ op: 'replace', path: '/uuid', value: '00000000-0000-0000-0000-000000000000' }],
        400,
        /^'\/uuid' is an internal attribute and can not be updated$/,
      ],
      [
        'touching project_id is refused',
        [{ op: 'replace', path: '/project_id', value: 'other' }],
        400,
        /^'\/project_id' is an internal attribute/,
      ],
      [
        'add onto a set attribute is refused',
        [{ op: 'add', path: '/name', value: 'x' }],
        400,
        /^The attribute \/name has existed, please use 'replace' operation instead\.$/,
      ],
      [
        'a malformed label string is refused',
        [{ op: 'replace', path: '/labels', value: 'k1=v1,k2=v2' }],
        400,
        /^Couldn't apply patch .*malformed mapping/,
      ],
      [
        'a patched image that does not exist is refused',
        [{ op: 'replace', path: '/image_id', value: `magnetar/none-${run}:1` }],
        400,
        /could not be found\.$/,
      ],
      [
        'a patched integer given as a string is refused naming the field',
        [{ op: 'replace', path: '/docker_volume_size', value: '10' }],
        400,
        /^Invalid input for field\/attribute docker_volume_size\. Value: '10'\./,
      ],
      [
        'a patched port below 1024 is refused naming the field',
        [{ op: 'add', path: '/apiserver_port', value: 80 }],
        400,
        /^Invalid input for field\/attribute apiserver_port\. Value: '80'\. Value should be greater or equal to 1024$/,
      ],
      [
        'a patched number for a string field is refused naming the field',
        [{ op: 'add', path: '/keypair_id', value: 5 }],
        400,
        /^Invalid input for field\/attribute keypair_id\. Value: '5'\. Value should be string$/,
      ],
      [
        'a body that is not an array is refused',
        { op: 'replace', path: '/name', value: 'x' },
        400,
        /must be an array of operations/,
      ],
      [
        'an object value is refused',
        [{ op: 'replace', path: '/labels', value: { a: 'b' } }],
        400,
        /^Invalid input for field\/attribute value\./,
      ],
    ];
    for (const [name, ops, status, detail] of refusals) {
      test(name, async () => {
        const before = (await send('GET', `/v1/clustertemplates/${tpl}`)).json<unknown>();
        await expectRefused({ name, method: 'PATCH', url: `/v1/clustertemplates/${tpl}`, body: ops, status, detail });
        assert.deepEqual(
          (await send('GET', `/v1/clustertemplates/${tpl}`)).json<unknown>(),
          before,
          'the template is unchanged',
        );
      });
    }

    test("project B cannot patch project A's template", async () => {
      const a = String((await createTemplate({ name: 'a-only' }, MEMBER_A)).uuid);
      await expectRefused({
        name: '',
        method: 'PATCH',
        url: `/v1/clustertemplates/${a}`,
        body: [{ op: 'replace', path: '/name', value: 'x' }],
        headers: MEMBER_B,
        status: 404,
        detail: /could not be found/,
      });
    });

    test('a template in use may be renamed but not otherwise changed', async () => {
      await createCluster({ cluster_template_id: tpl, name: 'uses-patched' });
      const before = (await send('GET', `/v1/clustertemplates/${tpl}`)).json<unknown>();
      await expectRefused({
        name: '',
        method: 'PATCH',
        url: `/v1/clustertemplates/${tpl}`,
        body: [{ op: 'replace', path: '/flavor_id', value: 'm1.large' }],
        status: 400,
        detail: new RegExp(`^ClusterTemplate ${tpl} is referenced by one or multiple clusters\\.$`),
      });
      assert.deepEqual((await send('GET', `/v1/clustertemplates/${tpl}`)).json<unknown>(), before);
      const renamed = await patch([{ op: 'replace', path: '/name', value: 'patched-in-use' }]);
      assert.equal(renamed.statusCode, 200, renamed.body);
      assert.equal(renamed.json<{ name: string }>().name, 'patched-in-use');
    });

    test('deleting a template in use is refused', () =>
      expectRefused({
        name: '',
        method: 'DELETE',
        url: `/v1/clustertemplates/${tpl}`,
        status: 400,
        detail: new RegExp(`^ClusterTemplate ${tpl} is referenced by one or multiple clusters\\.$`),
      }));

    test('deleting an unused template answers 204 and removes it', async () => {
      const t = String((await createTemplate({ name: 'short-lived' })).uuid);
      const res = await send('DELETE', '/v1/clustertemplates/short-lived');
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.equal(await h.store.templates.getByUuid(t), undefined);
      assertHandlerError(
        await send('GET', `/v1/clustertemplates/${t}`),
        404,
        new RegExp(`^ClusterTemplate ${t} could not be found\\.$`),
      );
    });
  });
});
