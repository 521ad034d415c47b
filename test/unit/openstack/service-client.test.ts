/**
 * The service client of the OpenStack clients (src/openstack/service-client.ts) against a fake HTTP server in this
 * module: retries on 409/5xx/no answer with bounded backoff, POST not repeated after a reset, one new token after a
 * 401, pagination by `<key>_links` (absolute hrefs, a looping link refused), the microversion header, the project in
 * the endpoint, and errors naming the service, method, path, status and the cloud's message.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { OpenStackError } from '../../../src/openstack/http.ts';
import { Neutron } from '../../../src/openstack/neutron.ts';
import { Nova } from '../../../src/openstack/nova.ts';
import { ServiceClient, type TokenSource } from '../../../src/openstack/service-client.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('OpenStack service client (fake HTTP server)', () => {
  let server: Server;
  let base: string;
  let handler: Handler;
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let tokens: string[];
  let invalidated: string[];
  let delays: number[];

  const session = (): TokenSource => ({
    auth: async () => ({ token: tokens[0] as string, info: { project: { id: 'p1' } } }),
    endpoint: async () => `${base}/v3/%(project_id)s`,
    invalidate: (t?: string) => {
      invalidated.push(t ?? '');
      tokens.shift();
    },
  });
  const client = (o: Partial<ConstructorParameters<typeof ServiceClient>[1]> = {}): ServiceClient =>
    new ServiceClient(session(), {
      service: 'cinder',
      serviceType: 'volumev3',
      microversion: { header: 'volume', value: '3.60' },
      sleep: async (ms) => void delays.push(ms),
      ...o,
    });
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
    tokens = ['t1', 't2'];
    invalidated = [];
    delays = [];
  });

  it('sends the token and the microversion to the catalog URL with the project filled in', async () => {
    handler = (_q, res) => json(res, 200, { volume: { id: 'v1' } });
    const body = await client().get<{ volume: { id: string } }>('/volumes/v1');
    assert.equal(body.volume.id, 'v1');
    assert.equal(seen[0]?.url, '/v3/p1/volumes/v1');
    assert.equal(seen[0]?.headers['x-auth-token'], 't1');
    assert.equal(seen[0]?.headers['openstack-api-version'], 'volume 3.60');
  });

  it('retries 503 and 409 with doubling pauses, bounded, then succeeds', async () => {
    let n = 0;
    handler = (_q, res) => {
      n++;
      if (n === 1) json(res, 503, { message: 'busy' });
      else if (n === 2) json(res, 409, { conflictingRequest: { message: 'in transition' } });
      else json(res, 200, { ok: true });
    };
    assert.deepEqual(await client().get('/x'), { ok: true });
    assert.equal(n, 3);
    assert.deepEqual(delays, [500, 1000]);
  });

  it('gives up after the last attempt with an error naming the call, status and cloud message', async () => {
    handler = (_q, res) => json(res, 500, { computeFault: { message: 'Unexpected API Error.', code: 500 } });
    const c = client({ service: 'nova', retry: { attempts: 6, baseDelayMs: 500, maxDelayMs: 2000 } });
    await assert.rejects(c.get('/servers/abc?x=1'), (e: unknown) => {
      assert.ok(e instanceof OpenStackError);
      assert.equal(e.call, 'nova GET /v3/p1/servers/abc');
      assert.equal(e.status, 500);
      assert.equal(e.message, 'nova GET /v3/p1/servers/abc: 500 Unexpected API Error.');
      return true;
    });
    assert.equal(seen.length, 6);
    assert.deepEqual(delays, [500, 1000, 2000, 2000, 2000]);
  });

  it('does not retry a 4xx, nor a 409 the caller says is final', async () => {
    handler = (_q, res) => json(res, 400, { NeutronError: { type: 'HTTPBadRequest', message: 'Invalid input cidr' } });
    await assert.rejects(
      client({ service: 'neutron' }).post('/subnets', {}),
      /neutron POST \/v3\/p1\/subnets: 400 Invalid input cidr/,
    );
    assert.equal(seen.length, 1);
    seen.length = 0;
    handler = (_q, res) => json(res, 409, { conflictingRequest: { message: 'Quota exceeded' } });
    await assert.rejects(client().post('/volumes', {}, { retryConflict: false }), /409 Quota exceeded/);
    assert.equal(seen.length, 1);
  });

  it('takes a new token once after a 401', async () => {
    handler = (req, res) =>
      req.headers['x-auth-token'] === 't1' ? json(res, 401, { error: { message: 'expired' } }) : json(res, 200, {});
    await client().get('/x');
    assert.deepEqual(invalidated, ['t1']);
    assert.deepEqual(
      seen.map((s) => s.headers['x-auth-token']),
      ['t1', 't2'],
    );
    assert.deepEqual(delays, []);
  });

  it('retries a GET when nothing answers, and a POST only when the connection was refused', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const c = client({ baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 3 } });
    await assert.rejects(c.get('/x'), (e: unknown) => {
      assert.ok(e instanceof OpenStackError);
      assert.equal(e.noAnswer, 'ECONNREFUSED');
      assert.match(e.message, /^cinder GET \/x: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      return true;
    });
    assert.equal(delays.length, 2);
    delays = [];
    // A connection reset after the request was sent: the POST may have been acted on, so it is not sent again.
    handler = (req) => req.socket.destroy();
    await assert.rejects(client().post('/volumes', { volume: {} }), /ECONNRESET|socket|other side closed/i);
    assert.equal(seen.length, 1);
    assert.deepEqual(delays, []);
  });

  it('follows <key>_links next hrefs (absolute) until a page has none, and refuses a looping link', async () => {
    handler = (req, res) => {
      const u = new URL(req.url ?? '', base);
      const marker = u.searchParams.get('marker');
      const page = marker === null ? ['a', 'b'] : marker === 'b' ? ['c', 'd'] : ['e'];
      const links = page.length === 2 ? [{ rel: 'next', href: `${base}/v3/p1/things?limit=2&marker=${page[1]}` }] : [];
      json(res, 200, { things: page.map((id) => ({ id })), things_links: links });
    };
    const items = await client().list<{ id: string }>('/things', 'things', { pageSize: 2 });
    assert.deepEqual(
      items.map((i) => i.id),
      ['a', 'b', 'c', 'd', 'e'],
    );
    assert.deepEqual(
      seen.map((s) => s.url),
      ['/v3/p1/things?limit=2', '/v3/p1/things?limit=2&marker=b', '/v3/p1/things?limit=2&marker=d'],
    );
    handler = (_q, res) =>
      json(res, 200, { things: [{ id: 'a' }], things_links: [{ rel: 'next', href: `${base}/loop` }] });
    await assert.rejects(client().list('/loop', 'things'), /pagination did not end/);
  });

  it('Nova sends user-data base64, tags and the group hint; Neutron sets tags after a create', async () => {
    handler = (req, res) => {
      if (req.url?.startsWith('/v2.1/servers')) json(res, 202, { server: { id: 's1' } });
      else if (req.method === 'POST') json(res, 201, { network: { id: 'n1', tags: [] } });
      else json(res, 200, { tags: ['owner'] });
    };
    const fixed = (path: string): TokenSource => ({ ...session(), endpoint: async () => `${base}${path}` });
    const nova = new Nova(fixed('/v2.1'), { sleep: async () => undefined });
    await nova.createServer({
      name: 'n',
      imageRef: 'i',
      flavorRef: 'f',
      networks: [{ uuid: 'net' }],
      userData: '#!/bin/sh\necho hi\n',
      tags: ['owner'],
      group: 'g1',
    });
    const sent = JSON.parse(seen[0]?.body ?? '{}');
    assert.equal(Buffer.from(sent.server.user_data, 'base64').toString(), '#!/bin/sh\necho hi\n');
    assert.deepEqual(sent.server.tags, ['owner']);
    assert.deepEqual(sent['os:scheduler_hints'], { group: 'g1' });
    assert.equal(seen[0]?.headers['openstack-api-version'], 'compute 2.79');
    seen.length = 0;
    const net = await new Neutron(fixed('')).createNetwork({ name: 'x', tags: ['owner'] });
    assert.deepEqual(net.tags, ['owner']);
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url} ${s.body}`),
      ['POST /v2.0/networks {"network":{"name":"x"}}', 'PUT /v2.0/networks/n1/tags {"tags":["owner"]}'],
    );
  });
});
