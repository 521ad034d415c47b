/**
 * @module test/integration/api/id-range — integer identifiers in paths, queries and headers beyond what the store holds
 * (PostgreSQL bigint; exactly representable in JS) are answered like any unknown or invalid value, never with a 500:
 * quota markers are held to the id column (400), node group ids outside it name nothing (404), event ids after which
 * to list are bounded (400), and a Last-Event-ID out of range is ignored. Found by schemathesis on PostgreSQL;
 * checked on both stores.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IMAGE } from '../../helpers/api-harness.ts';
import { freshDatabase, type FreshDatabase } from '../../helpers/postgres.ts';
import { startServe, type ServeProcess } from '../../helpers/service-process.ts';

const HUGE = '99999999999999999999';
const HEADERS = { 'Content-Type': 'application/json', 'OpenStack-API-Version': 'container-infra latest' };

async function call(
  url: string,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; detail: string; body: string }> {
  const res = await fetch(url, { method, headers: HEADERS, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  const detail =
    res.status >= 400 ? String((JSON.parse(text) as { errors: { detail: string }[] }).errors[0]?.detail) : '';
  return { status: res.status, detail, body: text };
}

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  void describe(`identifiers beyond the store's range (${backend})`, { timeout: 120_000 }, () => {
    let dir: string;
    let db: FreshDatabase | undefined;
    let serve: ServeProcess;
    let cluster: string;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'magnetar-id-range-'));
      if (backend === 'PostgreSQL') db = await freshDatabase('idrange');
      serve = await startServe(join(dir, 'state'), {
        env: { MAGNETAR_CONDUCTOR: 'false' },
        ...(db ? { databaseUrl: db.url } : {}),
      });
      const t = await call(`${serve.url}/v1/clustertemplates`, 'POST', {
        image_id: IMAGE,
        coe: 'swarm',
        server_type: 'container',
      });
      assert.equal(t.status, 201, t.body);
      const c = await call(`${serve.url}/v1/clusters`, 'POST', {
        name: 'idrange',
        cluster_template_id: (JSON.parse(t.body) as { uuid: string }).uuid,
      });
      assert.equal(c.status, 202, c.body);
      cluster = (JSON.parse(c.body) as { uuid: string }).uuid;
    });

    after(async () => {
      await serve?.stop();
      await db?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('a quota marker outside the id column is a 400 naming it; inside it, an unknown one is a 404', async () => {
      for (const m of [HUGE, '2147483648']) {
        const r = await call(`${serve.url}/v1/quotas?marker=${m}`);
        assert.equal(r.status, 400, r.body);
        assert.match(
          r.detail,
          /^Invalid input for field\/attribute marker\. .*Value should be lower or equal to 2147483647$/,
        );
      }
      const r = await call(`${serve.url}/v1/quotas?marker=2147483647`);
      assert.equal(r.status, 404, r.body);
      assert.equal(r.detail, 'Quota could not be found: id 2147483647.');
    });

    test('a node group id names no group: 404 for show, update and delete', async () => {
      for (const id of [HUGE, `-${HUGE}`]) {
        const url = `${serve.url}/v1/clusters/${cluster}/nodegroups/${id}`;
        for (const [method, body] of [
          ['GET', undefined],
          ['PATCH', [{ op: 'replace', path: '/max_node_count', value: 3 }]],
          ['DELETE', undefined],
        ] as const) {
          const r = await call(url, method, body);
          assert.equal(r.status, 404, `${method} ${r.body}`);
          assert.equal(r.detail, `Nodegroup ${id} could not be found.`);
        }
      }
    });

    test('events after an id beyond the largest is a 400 naming `after`', async () => {
      for (const path of ['events', 'events/stream']) {
        const r = await call(`${serve.url}/v1/clusters/${cluster}/${path}?after=${HUGE}`);
        assert.equal(r.status, 400, r.body);
        assert.match(
          r.detail,
          /^Invalid input for field\/attribute after\. .*Value should be lower or equal to 9007199254740991$/,
        );
      }
      const ok = await call(`${serve.url}/v1/clusters/${cluster}/events?after=0`);
      assert.equal(ok.status, 200, ok.body);
    });

    test('a Last-Event-ID out of range is ignored: the stream starts at the first event', async () => {
      const abort = new AbortController();
      const guard = setTimeout(() => abort.abort(), 15_000);
      const res = await fetch(`${serve.url}/v1/clusters/${cluster}/events/stream`, {
        headers: { 'Last-Event-ID': HUGE },
        signal: abort.signal,
      });
      assert.equal(res.status, 200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      while (!/\nid: \d+\n/.test(text) && !text.includes('event: error')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      clearTimeout(guard);
      abort.abort();
      assert.doesNotMatch(text, /event: error/);
      assert.match(text, /id: 1\ndata: .*create accepted/);
    });
  });
}
