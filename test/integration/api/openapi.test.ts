/**
 * @module test/integration/api/openapi — the OpenAPI 3.1 document at /v1/openapi.json: public, generated from the
 * route schemas that validate requests, and complete (every route, its path and query parameters, its body).
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clusterCreateSchema } from '../../../src/api/clusters/schema.ts';
import { MEMBER_B, startApiHarness, type ApiHarness } from '../../helpers/api-harness.ts';

interface Operation {
  parameters?: { in: string; name: string; required?: boolean; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  description?: string;
}
interface Doc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

/** Routes that take no body even though their method may carry one. */
const BODILESS = new Set(['PATCH /v1/certificates/:cluster']);

void describe('the OpenAPI document', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let doc: Doc;

  before(async () => {
    h = await startApiHarness();
    const res = await h.send('GET', '/v1/openapi.json', undefined, MEMBER_B);
    assert.equal(res.statusCode, 200, res.body);
    doc = res.json<Doc>();
  });

  after(async () => {
    await h?.close();
  });

  test('is an OpenAPI 3.1 document for API version 1.10, served to any caller', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, '1.10');
  });

  test('is also reachable on the bookmark path without /v1', async () => {
    assert.deepEqual((await h.send('GET', '/openapi.json')).json(), doc);
  });

  test('lists every route with its method, and its path parameters', () => {
    const routes = h.app.routeTable().filter((r) => r.method !== 'HEAD' && r.url !== '/v1/openapi.json');
    for (const r of routes) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${path} is documented`);
      const params = [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]);
      const documented = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      assert.deepEqual(documented.sort(), params.sort(), `${r.method} ${path} path parameters`);
    }
    assert.equal(doc.paths['/v1/openapi.json'], undefined, 'the document does not describe itself');
  });

  test('documents a JSON body for every POST and PATCH route', () => {
    for (const r of h.app.routeTable().filter((x) => x.method === 'POST' || x.method === 'PATCH')) {
      if (BODILESS.has(`${r.method} ${r.url}`)) continue;
      const op = doc.paths[r.url.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
      assert.ok(op?.requestBody?.content['application/json']?.schema, `${r.method} ${r.url} has a body schema`);
    }
  });

  test('uses the very schema that validates cluster create', () => {
    const schema = doc.paths['/v1/clusters']?.post?.requestBody?.content['application/json']?.schema as {
      required: string[];
      properties: Record<string, unknown>;
      additionalProperties: boolean;
    };
    assert.deepEqual(schema.required, [...clusterCreateSchema.required]);
    assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(clusterCreateSchema.properties).sort());
    assert.equal(schema.additionalProperties, false);
  });

  test('documents the query parameters of list routes', () => {
    const names = (path: string): string[] =>
      (doc.paths[path]?.get?.parameters ?? [])
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort();
    assert.deepEqual(names('/v1/clusters'), ['limit', 'marker', 'sort_dir', 'sort_key']);
    assert.deepEqual(names('/v1/clusters/{ident}/nodegroups'), ['limit', 'marker', 'role', 'sort_dir', 'sort_key']);
    assert.deepEqual(names('/v1/quotas'), ['all_tenants', 'limit', 'marker', 'sort_dir', 'sort_key']);
    assert.deepEqual(names('/v1/stats'), ['project_id', 'type']);
  });

  test('says the minimum microversion of gated routes', () => {
    assert.match(
      String(doc.paths['/v1/clusters/{ident}/actions/resize']?.post?.description),
      /container-infra 1\.7 or later/,
    );
    assert.match(
      String(doc.paths['/v1/clusters/{ident}/nodegroups']?.get?.description),
      /container-infra 1\.9 or later/,
    );
    assert.equal(doc.paths['/v1/clusters']?.get?.description, undefined);
  });
});
