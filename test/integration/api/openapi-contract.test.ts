/**
 * @module test/integration/api/openapi-contract — the OpenAPI document states what the API answers: every operation
 * has its success statuses with their body schemas and its error statuses with Magnum's error body; real answers of a
 * create/list/show/update/delete round trip validate against the documented schemas; and where the document and the
 * API could disagree (limit, sort_dir, markers, boolean words, the stats type, `Allow`, unknown methods, long path
 * parameters, microversion headers) they say the same thing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import {
  assertHandlerError,
  assertRoutingError,
  IMAGE,
  LATEST,
  MEMBER_A,
  startApiHarness,
  type ApiHarness,
} from '../../helpers/api-harness.ts';

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema: { enum?: string[]; pattern?: string; minimum?: number };
}
interface Response {
  description: string;
  content?: Record<string, { schema: object }>;
}
interface Operation {
  parameters?: Parameter[];
  responses: Record<string, Response>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

const ERROR_KEYS = ['code', 'detail', 'links', 'request_id', 'status', 'title'];

void describe('the OpenAPI document as a contract', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let doc: Doc;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validators = new Map<string, ValidateFunction>();

  /** Validates a JSON answer against the schema documented for `METHOD path` and its status. */
  const conforms = (method: string, path: string, res: { statusCode: number; body: string }): void => {
    const op = doc.paths[path]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${path} is documented`);
    const documented = op.responses[String(res.statusCode)];
    assert.ok(documented, `${method} ${path} documents ${res.statusCode} (${res.body})`);
    const schema = documented.content?.['application/json']?.schema;
    if (!schema) {
      assert.equal(res.body, '', `${method} ${path} ${res.statusCode} has no body`);
      return;
    }
    const key = `${method} ${path} ${res.statusCode}`;
    const validate = validators.get(key) ?? ajv.compile(schema);
    validators.set(key, validate);
    assert.ok(validate(JSON.parse(res.body)), `${key}: ${ajv.errorsText(validate.errors)}\n${res.body}`);
  };

  before(async () => {
    h = await startApiHarness();
    doc = (await h.send('GET', '/v1/openapi.json')).json<Doc>();
  });

  after(async () => {
    await h?.close();
  });

  test('every operation documents its success statuses with a body schema and its errors with Magnum’s error body', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const label = `${method.toUpperCase()} ${path}`;
        const statuses = Object.keys(op.responses);
        const success = statuses.filter((s) => s.startsWith('2'));
        assert.ok(success.length > 0, `${label} documents a success status`);
        assert.ok(!op.responses['200']?.description.includes('Default Response'), `${label} is described`);
        for (const s of success) {
          const r = op.responses[s] as Response;
          if (s === '204') assert.equal(r.content, undefined, `${label} 204 has no body`);
          else assert.ok(Object.values(r.content ?? {})[0]?.schema, `${label} ${s} has a body schema`);
        }
        // /healthcheck answers oslo's text, not Magnum's error body (outside the API proper, as in Magnum).
        for (const s of statuses.filter((x) => /^[45]/.test(x) && path !== '/healthcheck')) {
          const schema = (op.responses[s] as Response).content?.['application/json']?.schema as {
            properties: { errors: { items: { required?: string[]; anyOf?: { required: string[] }[] } } };
          };
          assert.ok(schema, `${label} ${s} has a JSON body`);
          const items = schema.properties.errors.items;
          const required = items.required ?? items.anyOf?.[0]?.required ?? [];
          assert.deepEqual([...required].sort(), ERROR_KEYS, `${label} ${s} is Magnum's error body`);
        }
        if (path.startsWith('/v1')) {
          for (const s of ['406', '500']) assert.ok(statuses.includes(s), `${label} documents ${s}`);
          if (path.includes('{')) for (const s of ['400', '404']) assert.ok(statuses.includes(s), `${label} ${s}`);
          if (path !== '/v1') assert.ok(statuses.includes('403'), `${label} documents 403`);
        }
        if (method === 'post' || (method === 'patch' && path !== '/v1/certificates/{cluster}')) {
          for (const s of ['400', '413', '415']) assert.ok(statuses.includes(s), `${label} documents ${s}`);
        }
      }
    }
  });

  test('real answers of every resource validate against the documented schemas', async () => {
    const send = async (method: string, path: string, url: string, body?: unknown, headers = {}) => {
      const res = await h.send(method as never, url, body, { ...LATEST, ...headers });
      conforms(method, path, res);
      return res;
    };
    const t = (
      await send('POST', '/v1/clustertemplates', '/v1/clustertemplates', {
        name: 'contract',
        image_id: IMAGE,
        coe: 'swarm-mode',
        server_type: 'container',
        labels: { a: 'b' },
      })
    ).json<{ uuid: string }>();
    await send('GET', '/v1/clustertemplates', '/v1/clustertemplates?limit=1');
    await send('GET', '/v1/clustertemplates/detail', '/v1/clustertemplates/detail');
    await send('GET', '/v1/clustertemplates/{ident}', `/v1/clustertemplates/${t.uuid}`);
    await send('PATCH', '/v1/clustertemplates/{ident}', `/v1/clustertemplates/${t.uuid}`, [
      { op: 'replace', path: '/name', value: 'contract2' },
    ]);
    const c = (
      await send('POST', '/v1/clusters', '/v1/clusters', {
        name: 'contract',
        cluster_template_id: t.uuid,
        node_count: 1,
      })
    ).json<{ uuid: string }>();
    await h.completeCluster(c.uuid);
    for (const p of ['/v1/clusters', '/v1/clusters/detail']) await send('GET', p, `${p}?limit=1`);
    await send('GET', '/v1/clusters/{ident}', `/v1/clusters/${c.uuid}`);
    await send('GET', '/v1/clusters/{ident}/events', `/v1/clusters/${c.uuid}/events`);
    await send('GET', '/v1/clusters/{ident}/nodegroups', `/v1/clusters/${c.uuid}/nodegroups`);
    const ng = (
      await send('POST', '/v1/clusters/{ident}/nodegroups', `/v1/clusters/${c.uuid}/nodegroups`, {
        name: 'extra',
        node_count: 1,
      })
    ).json<{ uuid: string }>();
    await send('GET', '/v1/clusters/{ident}/nodegroups/{nodegroup}', `/v1/clusters/${c.uuid}/nodegroups/${ng.uuid}`);
    await send('PATCH', '/v1/clusters/{ident}/nodegroups/{nodegroup}', `/v1/clusters/${c.uuid}/nodegroups/${ng.uuid}`, [
      { op: 'replace', path: '/max_node_count', value: 3 },
    ]);
    await send('GET', '/v1/certificates/{cluster}', `/v1/certificates/${c.uuid}`);
    await send('GET', '/v1/stats', '/v1/stats');
    await send('GET', '/v1/mservices', '/v1/mservices');
    await send('POST', '/v1/quotas', '/v1/quotas', { project_id: 'p-contract', resource: 'Cluster', hard_limit: 3 });
    await send('GET', '/v1/quotas', '/v1/quotas?all_tenants=True');
    await send('GET', '/v1/quotas/{project_id}/{resource}', '/v1/quotas/p-contract/Cluster');
    await send('GET', '/v1/quotas/{project_id}/{resource}', '/v1/quotas/p-none/Cluster');
    await send('PATCH', '/v1/quotas/{project_id}/{resource}', '/v1/quotas/p-contract/Cluster', { hard_limit: 4 });
    await send('DELETE', '/v1/quotas/{project_id}/{resource}', '/v1/quotas/p-contract/Cluster');
    // Errors: handler errors, routing errors and the unsupported-microversion object.
    await send('GET', '/v1/clusters/{ident}', '/v1/clusters/nope');
    await send('GET', '/v1/clusters/{ident}', `/v1/clusters/${c.uuid}`, undefined, MEMBER_A);
    await send('GET', '/v1/clusters', '/v1/clusters?limit=0');
    await send('GET', '/v1/clusters', '/v1/clusters', undefined, { 'openstack-api-version': 'container-infra 1.99' });
    await send('GET', '/v1/clusters', '/v1/clusters', undefined, { 'openstack-api-version': 'bad' });
    await send('GET', '/v1/clusters/{ident}/nodegroups', `/v1/clusters/${c.uuid}/nodegroups`, undefined, {
      'openstack-api-version': 'container-infra 1.8',
    });
    await send('DELETE', '/v1/clusters/{ident}', `/v1/clusters/${c.uuid}`);
    await send('DELETE', '/v1/clustertemplates/{ident}', `/v1/clustertemplates/${t.uuid}`);
    const root = await h.send('GET', '/');
    conforms('GET', '/', root);
    conforms('GET', '/v1', await h.send('GET', '/v1'));
  });

  const param = (path: string, name: string, method = 'get'): Parameter => {
    const p = doc.paths[path]?.[method]?.parameters?.find((x) => x.name === name);
    assert.ok(p, `${method} ${path} documents ${name}`);
    return p;
  };
  const matches = (p: Parameter, value: string): boolean => new RegExp(p.schema.pattern ?? '').test(value);

  test('paging parameters: what the document allows the API takes, what it refuses the API refuses', async () => {
    for (const path of ['/v1/clusters', '/v1/clusters/detail', '/v1/clustertemplates', '/v1/quotas']) {
      assert.equal(param(path, 'limit').schema.minimum, 1, `${path} limit`);
      assertHandlerError(await h.send('GET', `${path}?limit=0`), 400, /^Limit must be positive$/);
      assertHandlerError(await h.send('GET', `${path}?limit=-3`), 400, /^Limit must be positive$/);
      assert.equal((await h.send('GET', `${path}?limit=1`)).statusCode, 200);
      assert.deepEqual(param(path, 'sort_dir').schema.enum, ['asc', 'desc']);
      assertHandlerError(
        await h.send('GET', `${path}?sort_dir=up`),
        400,
        /^Invalid sort direction: up\. Acceptable values are 'asc' or 'desc'$/,
      );
      assertHandlerError(await h.send('GET', `${path}?sort_dir=`), 400, /^Invalid sort direction: \. /);
      const keys = param(path, 'sort_key').schema.enum ?? [];
      assert.ok(keys.includes('created_at') && !keys.includes('bogus'), `${path} sort keys`);
      for (const k of keys) assert.equal((await h.send('GET', `${path}?sort_key=${k}`)).statusCode, 200, k);
      assertHandlerError(
        await h.send('GET', `${path}?sort_key=bogus`),
        400,
        /^The sort_key value "bogus" is an invalid field for sorting$/,
      );
      const marker = param(path, 'marker');
      assert.ok(!matches(marker, ''), `${path}: an empty marker is not documented as valid`);
      assertHandlerError(
        await h.send('GET', `${path}?marker=`),
        400,
        /^Invalid input for field\/attribute marker\. Value: ''\. unable to convert to (uuid|int)/,
      );
    }
    const uuidMarker = param('/v1/clusters', 'marker');
    assert.ok(matches(uuidMarker, '0123456789ABCDEF0123456789abcdef'));
    assert.ok(!matches(uuidMarker, 'not-a-uuid'));
  });

  test('boolean query words and the stats type: the document’s patterns are what the API accepts', async () => {
    const allTenants = param('/v1/quotas', 'all_tenants');
    const rollback = param('/v1/clusters/{ident}', 'rollback', 'patch');
    for (const word of ['True', 'yes', ' 0 ', 'OFF', 't']) {
      assert.ok(matches(allTenants, word) && matches(rollback, word), word);
      assert.equal((await h.send('GET', `/v1/quotas?all_tenants=${encodeURIComponent(word)}`)).statusCode, 200, word);
    }
    for (const word of ['', 'maybe', '2']) {
      assert.ok(!matches(allTenants, word) && !matches(rollback, word), `'${word}'`);
      assertHandlerError(
        await h.send('GET', `/v1/quotas?all_tenants=${word}`),
        400,
        new RegExp(
          `^Invalid input for field/attribute all_tenants\\. Value: '${word}'\\. Unrecognized value '${word}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'$`,
        ),
      );
    }
    const type = param('/v1/stats', 'type');
    assert.ok(matches(type, 'CLUSTER') && matches(type, 'cluster') && !matches(type, '') && !matches(type, 'node'));
    assert.equal((await h.send('GET', '/v1/stats?type=CLUSTER')).statusCode, 200);
    for (const v of ['', 'node'])
      assertHandlerError(
        await h.send('GET', `/v1/stats?type=${v}`),
        400,
        /^Invalid stats type\. Allowed values are 'cluster'$/,
      );
  });

  test('a 405 lists in Allow exactly the documented methods of the path (HEAD with GET)', async () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      const url = path.replace(/\{[^}]+\}/g, 'x');
      const res = await h.send('OPTIONS', url);
      assertRoutingError(res, 405, 'Method Not Allowed', 'The method OPTIONS is not allowed for this resource.');
      const documented = Object.keys(ops).map((m) => m.toUpperCase());
      if (documented.includes('GET')) documented.push('HEAD');
      assert.deepEqual(String(res.headers.allow).split(', ').sort(), documented.sort(), `Allow of ${path}`);
    }
    // A method the router knows but no route of the path takes (QUERY) is a 405 too, before any body is read.
    assertRoutingError(
      await h.send('QUERY', '/v1/clusters/x'),
      405,
      'Method Not Allowed',
      'The method QUERY is not allowed for this resource.',
    );
    // `detail` names the detail list; other methods still reach the cluster named "detail", as in Magnum.
    assertHandlerError(await h.send('DELETE', '/v1/clusters/detail'), 404, /^Cluster detail could not be found\.$/);
  });

  test('a path parameter longer than the router’s default is looked up (404), not refused with 414', async () => {
    assertHandlerError(await h.send('GET', `/v1/clusters/${'a'.repeat(300)}`), 404, /could not be found/);
    assertHandlerError(
      await h.send('DELETE', `/v1/quotas/${'p'.repeat(300)}/Cluster`),
      404,
      /^Quota could not be found/,
    );
  });

  test('microversion-gated routes require the header, with the versions that route them', () => {
    const header = (path: string, method: string): Parameter => param(path, 'OpenStack-API-Version', method);
    const ng = header('/v1/clusters/{ident}/nodegroups', 'get');
    assert.equal(ng.required, true);
    assert.deepEqual(ng.schema.enum, ['container-infra 1.9', 'container-infra 1.10', 'container-infra latest']);
    assert.equal(header('/v1/clusters/{ident}/actions/resize', 'post').schema.enum?.[0], 'container-infra 1.7');
    // Upgrade is routed at 1.7 but only answers 400 there: the document offers 1.8 and later.
    assert.equal(header('/v1/clusters/{ident}/actions/upgrade', 'post').schema.enum?.[0], 'container-infra 1.8');
    const plain = header('/v1/clusters', 'get');
    assert.notEqual(plain.required, true);
    assert.equal(plain.schema.enum?.length, 11);
  });
});
