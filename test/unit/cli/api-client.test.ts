/** @module test/unit/cli/api-client — the typed API client against a canned Magnum server on 127.0.0.1. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, ApiConnectionError, ApiError } from '../../../src/cli/api-client.ts';
import { magnumError, startFakeMagnum } from './fake-magnum.ts';
import type { FakeMagnum, Handler } from './fake-magnum.ts';

const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const template = (n: number): Record<string, unknown> => ({ uuid: uuid(n), name: `ct-${n}`, coe: 'swarm-mode' });

void describe('ApiClient', () => {
  let server: FakeMagnum;
  let handler: Handler = () => ({ status: 404 });

  before(async () => {
    server = await startFakeMagnum((req) => handler(req));
  });
  after(() => server.close());

  const client = (extra: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}): ApiClient =>
    new ApiClient({ endpoint: server.url, ...extra });

  void it('sends the microversion and noauth identity headers', async () => {
    handler = () => ({ status: 200, body: { clusters: [] } });
    server.requests.length = 0;
    await client({ token: 'tok', projectId: 'p1', userId: 'u1', roles: 'admin,member' }).listClusters();
    const headers = server.requests[0]?.headers ?? {};
    assert.equal(headers['openstack-api-version'], 'container-infra latest');
    assert.equal(headers['x-auth-token'], 'tok');
    assert.equal(headers['x-project-id'], 'p1');
    assert.equal(headers['x-user-id'], 'u1');
    assert.equal(headers['x-roles'], 'admin,member');
  });

  void it('follows next links, dropping their scheme and host, until a page has none', async () => {
    handler = (req) => {
      if (req.path === '/v1/clustertemplates') {
        return {
          status: 200,
          body: {
            clustertemplates: [template(1), template(2)],
            next: 'http://elsewhere:9511/v1/clustertemplates?sort_key=id&sort_dir=asc&limit=2&marker=' + uuid(2),
          },
        };
      }
      if (req.path.endsWith(`marker=${uuid(2)}`)) {
        return {
          status: 200,
          body: {
            clustertemplates: [template(3), template(4)],
            next: `${server.url}/v1/clustertemplates?limit=2&marker=${uuid(4)}`,
          },
        };
      }
      if (req.path.endsWith(`marker=${uuid(4)}`)) return { status: 200, body: { clustertemplates: [] } };
      return { status: 500 };
    };
    server.requests.length = 0;
    const templates = await client().listClusterTemplates();
    assert.deepEqual(
      templates.map((t) => t.name),
      ['ct-1', 'ct-2', 'ct-3', 'ct-4'],
    );
    assert.deepEqual(
      server.requests.map((r) => r.path),
      [
        '/v1/clustertemplates',
        `/v1/clustertemplates?sort_key=id&sort_dir=asc&limit=2&marker=${uuid(2)}`,
        `/v1/clustertemplates?limit=2&marker=${uuid(4)}`,
      ],
    );
  });

  void it('stops paging once the requested number of items is reached', async () => {
    handler = (req) => {
      const marker = new URL(req.path, 'http://x').searchParams.get('marker');
      const start = marker === null ? 1 : Number(marker.slice(-12)) + 1;
      const page = [start, start + 1].map((n) => ({ uuid: uuid(n), name: `c-${n}`, status: 'CREATE_COMPLETE' }));
      return {
        status: 200,
        body: { clusters: page, next: `${server.url}/v1/clusters?limit=2&marker=${uuid(start + 1)}` },
      };
    };
    server.requests.length = 0;
    const clusters = await client({ endpoint: `${server.url}/v1/` }).listClusters({ limit: 3, sortDir: 'desc' });
    assert.deepEqual(
      clusters.map((c) => c.name),
      ['c-1', 'c-2', 'c-3'],
    );
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0]?.path, '/v1/clusters?limit=3&sort_dir=desc');
  });

  void it('creates a cluster and returns the uuid of the 202 answer', async () => {
    handler = () => ({ status: 202, body: { uuid: uuid(9) } });
    server.requests.length = 0;
    const created = await client().createCluster({ cluster_template_id: uuid(1), name: 'k1', node_count: 2 });
    assert.equal(created, uuid(9));
    const req = server.requests[0];
    assert.equal(req?.method, 'POST');
    assert.equal(req?.path, '/v1/clusters');
    assert.equal(req?.headers['content-type'], 'application/json');
    assert.deepEqual(req?.body, { cluster_template_id: uuid(1), name: 'k1', node_count: 2 });
  });

  void it('signs a CSR with a body of cluster_uuid and csr', async () => {
    handler = (req) => ({ status: 201, body: { ...(req.body as object), pem: 'CERT', bay_uuid: uuid(1) } });
    server.requests.length = 0;
    const cert = await client().signCertificate(uuid(1), 'CSR');
    assert.equal(cert.pem, 'CERT');
    assert.deepEqual(server.requests[0]?.body, { cluster_uuid: uuid(1), csr: 'CSR' });
  });

  void it('reports the detail of a Magnum error body with its status', async () => {
    handler = () => ({
      ...magnumError(404, 'Cluster nope could not be found.'),
      headers: { 'X-Openstack-Request-Id': 'req-1' },
    });
    await assert.rejects(client().getCluster('nope'), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 404);
      assert.equal(err.message, 'Cluster nope could not be found.');
      assert.equal(err.requestId, 'req-1');
      return true;
    });
  });

  void it('falls back to the title when the detail is null, and to error.message for keystone errors', async () => {
    handler = () => ({
      status: 405,
      body: {
        errors: [{ request_id: '', code: '', status: 405, title: 'Method Not Allowed', detail: null, links: [] }],
      },
    });
    await assert.rejects(client().deleteCluster('x'), { name: 'ApiError', status: 405, message: 'Method Not Allowed' });
    handler = () => ({
      status: 401,
      body: {
        error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
      },
    });
    await assert.rejects(client().getClusterTemplate('x'), {
      status: 401,
      message: 'The request you have made requires authentication.',
    });
    handler = () => ({ status: 502, text: 'Bad Gateway' });
    await assert.rejects(client().getClusterTemplate('x'), { status: 502, message: 'HTTP 502: Bad Gateway' });
  });

  void it('returns null for cluster events when the server has no events route', async () => {
    handler = (req) =>
      req.path.endsWith('/events')
        ? { status: 404, body: { errors: [{ status: 404, title: 'Not Found', detail: null }] } }
        : { status: 500 };
    assert.equal(await client().listClusterEvents(uuid(1)), null);
    handler = () => ({ status: 200, body: { events: [{ time: 't', phase: 'p', level: 'info', message: 'm' }] } });
    assert.deepEqual(await client().listClusterEvents(uuid(1)), [
      { time: 't', phase: 'p', level: 'info', message: 'm' },
    ]);
  });

  void it('encodes identifiers in paths', async () => {
    handler = () => ({ status: 204 });
    server.requests.length = 0;
    await client().deleteClusterTemplate('my template/1');
    assert.equal(server.requests[0]?.path, '/v1/clustertemplates/my%20template%2F1');
  });

  void it('raises a connection error when nothing listens on the endpoint', async () => {
    const closed = await startFakeMagnum(() => ({ status: 200 }));
    await closed.close();
    await assert.rejects(new ApiClient({ endpoint: closed.url }).listClusters(), (err: unknown) => {
      assert.ok(err instanceof ApiConnectionError);
      assert.match(err.message, /cannot reach http:\/\/127\.0\.0\.1:\d+ \(GET \/v1\/clusters\): .*ECONNREFUSED/);
      return true;
    });
  });
  void it('with a token source: finds the endpoint on first use, reuses the token, and retries once after a 401', async () => {
    const tokens = ['t1', 't2', 't3'];
    const dropped: string[] = [];
    let asked = 0;
    const source = {
      token: (): Promise<string> => Promise.resolve(tokens[0] as string),
      invalidate: (t: string): void => {
        dropped.push(t);
        if (tokens[0] === t) tokens.shift();
      },
    };
    const c = new ApiClient({
      endpoint: () => {
        asked++;
        return Promise.resolve(`${server.url}/v1`);
      },
      tokens: source,
    });
    assert.equal(c.endpoint, '');
    handler = (req) =>
      req.headers['x-auth-token'] === 't1' || req.headers['x-auth-token'] === 't3'
        ? { status: 401, body: { error: { code: 401, title: 'Unauthorized', message: 'revoked' } } }
        : { status: 200, body: { clusters: [] } };
    server.requests.length = 0;
    assert.deepEqual(await c.listClusters(), []);
    assert.deepEqual(
      server.requests.map((r) => r.headers['x-auth-token']),
      ['t1', 't2'],
    );
    assert.equal(c.endpoint, server.url);
    await c.listClusters();
    assert.equal(server.requests.length, 3, 'the new token is kept: one request');
    assert.equal(asked, 1, 'the endpoint is looked up once');
    // A second 401 in a row is the answer: one retry, not a loop.
    dropped.length = 0;
    tokens.shift(); // the session now hands out t3, which the service refuses too
    handler = () => ({ status: 401, body: { error: { code: 401, title: 'Unauthorized', message: 'no' } } });
    await assert.rejects(c.listClusters(), (err: unknown) => err instanceof ApiError && err.status === 401);
    assert.deepEqual(dropped, ['t3']);
  });
});
