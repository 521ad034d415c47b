import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Engine, EngineError, EngineUnreachableError } from '../../../src/providers/docker/engine.ts';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

/** A stand-in for dockerd that records requests and answers from a route table. */
void describe('Engine over HTTP (stand-in server)', () => {
  let server: http.Server;
  let engine: Engine;
  const seen: Seen[] = [];
  const routes: Record<string, (res: http.ServerResponse) => void> = {
    'GET /v1.41/_ping': (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('OK'),
    'GET /v1.41/containers/json': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'),
    'POST /v1.41/containers/abc/start': (res) => res.writeHead(304).end(),
    'POST /v1.41/networks/create': (res) =>
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end('{"message":"Pool overlaps with other one on this address space"}'),
    'DELETE /v1.41/containers/gone': (res) =>
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such container: gone"}'),
    'GET /v1.41/containers/gone/json': (res) =>
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such container: gone"}'),
    'GET /v1.41/plain-error': (res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('boom\n'),
    'POST /v1.41/images/create': (res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"status":"Importing"}\r\n{"errorDetail":{"message":"bad tar"},"error":"bad tar"}\r\n'),
    'GET /v1.41/slow': () => {
      /* never answers */
    },
  };

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString(),
        });
        const route = routes[`${req.method} ${(req.url ?? '').split('?')[0]}`];
        if (route) route(res);
        else res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"page not found"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    engine = new Engine({ host: '127.0.0.1', port: (server.address() as AddressInfo).port }, { timeoutMs: 2_000 });
  });

  after(async () => {
    engine.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  void it('prefixes the API version and encodes label filters and the all flag', async () => {
    assert.deepEqual(await engine.listContainers(['magnetar.cluster=c1', 'magnetar.role']), []);
    const url = new URL(seen.at(-1)?.url ?? '', 'http://x');
    assert.equal(url.pathname, '/v1.41/containers/json');
    assert.equal(url.searchParams.get('all'), '1');
    assert.deepEqual(JSON.parse(url.searchParams.get('filters') ?? ''), {
      label: ['magnetar.cluster=c1', 'magnetar.role'],
    });
  });

  void it('sends JSON bodies and maps an error status to EngineError with the engine message', async () => {
    await assert.rejects(engine.createNetwork({ Name: 'n1', Labels: { a: 'b' } }), (err: unknown) => {
      assert.ok(err instanceof EngineError);
      assert.equal(err.status, 403);
      assert.equal(err.message, 'Pool overlaps with other one on this address space');
      assert.equal(err.method, 'POST');
      assert.equal(err.path, '/networks/create');
      return true;
    });
    const last = seen.at(-1);
    assert.equal(last?.contentType, 'application/json');
    assert.deepEqual(JSON.parse(last?.body ?? ''), { CheckDuplicate: true, Name: 'n1', Labels: { a: 'b' } });
  });

  void it('uses the body text as the message when the error is not JSON', async () => {
    await assert.rejects(engine.request('GET', '/plain-error'), { name: 'EngineError', message: 'boom', status: 500 });
  });

  void it('treats 304 on start and 404 on removal as success, and 404 on inspect as null', async () => {
    await engine.startContainer('abc');
    await engine.removeContainer('gone');
    assert.equal(await engine.inspectContainer('gone'), null);
    assert.equal(await engine.ping(), true);
    assert.equal(await engine.request('GET', '/_ping'), 'OK');
  });

  void it('repeats array query values and streams raw bodies, then reports an error found in the progress stream', async () => {
    await assert.rejects(
      engine.importImage(Readable.from([Buffer.from('abc')]), 'r/x', 't', ['LABEL a=b', 'ENV c=d']),
      (err: unknown) => err instanceof EngineError && err.message === 'bad tar',
    );
    const last = seen.at(-1);
    const url = new URL(last?.url ?? '', 'http://x');
    assert.deepEqual(url.searchParams.getAll('changes'), ['LABEL a=b', 'ENV c=d']);
    assert.equal(url.searchParams.get('fromSrc'), '-');
    assert.equal(last?.contentType, 'application/x-tar');
    assert.equal(last?.body, 'abc');
  });

  void it('times out with EngineUnreachableError code ETIMEDOUT', async () => {
    await assert.rejects(engine.request('GET', '/slow', { timeoutMs: 100 }), (err: unknown) => {
      assert.ok(err instanceof EngineUnreachableError);
      assert.equal(err.code, 'ETIMEDOUT');
      return true;
    });
  });

  void it('rejects with the abort reason when the signal fires mid-request', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop now')), 50);
    await assert.rejects(engine.request('GET', '/slow', { signal: controller.signal }), { message: 'stop now' });
  });

  void it('reports a refused connection as EngineUnreachableError with the cause kept', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const closed = new Engine({ host: '127.0.0.1', port });
    try {
      await assert.rejects(closed.info(), (err: unknown) => {
        assert.ok(err instanceof EngineUnreachableError);
        assert.equal(err.code, 'ECONNREFUSED');
        assert.equal((err.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
        return true;
      });
      assert.equal(await closed.ping(), false);
      await assert.rejects(closed.waitUntilUp(600, 100), EngineUnreachableError);
    } finally {
      closed.close();
    }
  });
});
