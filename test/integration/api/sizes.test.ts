/**
 * @module test/integration/api/sizes — every map, list and string a request can grow is bounded (core/limits.ts):
 * labels (count, key, value; also after merging), health_status_reason, JSON PATCH documents, nodes_to_remove, a CSR,
 * query strings; each refusal is a 400 in Magnum's error body naming the field, short, and writes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  MAX_CSR,
  MAX_HEALTH_REASONS,
  MAX_LABEL_KEY,
  MAX_LABEL_VALUE,
  MAX_LABELS,
  MAX_LABELS_BYTES,
  MAX_NODES_TO_REMOVE,
  MAX_PATCH_OPS,
} from '../../../src/core/limits.ts';
import { assertHandlerError, IMAGE, startApiHarness, V110, type ApiHarness } from '../../helpers/api-harness.ts';

/** `n` labels whose keys and values have the given lengths (distinct keys). */
const labels = (n: number, keyLen = 8, valueLen = 8, prefix = 'k'): Record<string, string> =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`${prefix}${i}`.padEnd(keyLen, 'x'), 'v'.repeat(valueLen)] as const),
  );

/** The largest labels map accepted: 100 labels, 255-character keys, values filling 65535 bytes of JSON. */
const maxLabels = (prefix = 'k'): Record<string, string> => {
  let v = MAX_LABEL_VALUE;
  while (Buffer.byteLength(JSON.stringify(labels(MAX_LABELS, MAX_LABEL_KEY, v, prefix))) > MAX_LABELS_BYTES) v -= 1;
  return labels(MAX_LABELS, MAX_LABEL_KEY, v, prefix);
};

void describe('size limits', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let cluster: string;
  before(async () => {
    h = await startApiHarness();
    const t = await h.createTemplate({ name: 'base', labels: labels(MAX_LABELS, 8, 8, 't') });
    cluster = await h.createCluster({ name: 'c1', cluster_template_id: t.uuid, node_count: 1 }, V110);
    await h.completeCluster(cluster);
  });
  after(async () => h?.close());

  test('a template at every limit is accepted and read back whole', async () => {
    // 100 labels of 255-character keys, values as long as 64 KiB of JSON allows; and one value of 4096 characters.
    for (const big of [maxLabels(), { one: 'v'.repeat(MAX_LABEL_VALUE) }]) {
      const t = await h.createTemplate({ name: 'n'.repeat(255), labels: big, tags: 't'.repeat(255) });
      const res = await h.send('GET', `/v1/clustertemplates/${String(t.uuid)}`);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json<{ labels: unknown }>().labels, big);
      assert.equal((await h.send('DELETE', `/v1/clustertemplates/${String(t.uuid)}`)).statusCode, 204);
    }
  });

  const tpl = (extra: Record<string, unknown>): Record<string, unknown> => ({
    coe: 'swarm-mode',
    image_id: IMAGE,
    server_type: 'container',
    ...extra,
  });

  const refused: { name: string; method?: 'POST' | 'PATCH'; url: () => string; body: () => unknown; detail: RegExp }[] =
    [
      {
        name: 'template: one label too many',
        url: () => '/v1/clustertemplates',
        body: () => tpl({ labels: labels(MAX_LABELS + 1) }),
        detail: /^Invalid input for field\/attribute labels\. .*at most 100 entries/,
      },
      {
        name: 'template: a label key too long',
        url: () => '/v1/clustertemplates',
        body: () => tpl({ labels: { ['k'.repeat(MAX_LABEL_KEY + 1)]: 'v' } }),
        detail: /^Invalid input for field\/attribute labels\. .*Key 'k+… \(256 characters\)' should be 1 to 255/,
      },
      {
        name: 'template: a label value too long',
        url: () => '/v1/clustertemplates',
        body: () => tpl({ labels: { a: 'v'.repeat(MAX_LABEL_VALUE + 1) } }),
        detail: /^Invalid input for field\/attribute labels\. .*maximum character requirement of 4096/,
      },
      {
        name: 'template: labels beyond 65535 bytes of JSON',
        url: () => '/v1/clustertemplates',
        body: () => tpl({ labels: labels(20, 8, MAX_LABEL_VALUE) }),
        detail:
          /^Invalid input for field\/attribute labels\. Value: '<82\d{3} bytes>'\. Value should have at most 65535 bytes as JSON; got 82\d{3}\.$/,
      },
      {
        name: 'template: a name too long',
        url: () => '/v1/clustertemplates',
        body: () => tpl({ name: 'n'.repeat(256) }),
        detail: /^Invalid input for field\/attribute name\. .*maximum character requirement of 255/,
      },
      ...(
        [
          'tags',
          'fixed_network',
          'dns_nameserver',
          'http_proxy',
          'https_proxy',
          'no_proxy',
          'keypair_id',
          'insecure_registry',
          'external_network_id',
        ] as const
      ).map((field) => ({
        name: `template: ${field} too long`,
        url: () => '/v1/clustertemplates',
        body: () => tpl({ [field]: 'x'.repeat(256) }),
        detail: new RegExp(`^Invalid input for field/attribute ${field}\\. .*maximum character requirement of 255`),
      })),
      {
        name: 'template PATCH: a label value added beyond the limit',
        method: 'PATCH',
        url: () => '/v1/clustertemplates/base',
        body: () => [{ op: 'replace', path: '/labels/t0xxxxxx', value: 'v'.repeat(MAX_LABEL_VALUE + 1) }],
        detail: /^Invalid input for field\/attribute labels\. .*4096/,
      },
      {
        name: 'template PATCH: the 101st label',
        method: 'PATCH',
        url: () => '/v1/clustertemplates/base',
        body: () => [{ op: 'add', path: '/labels/one_more', value: 'x' }],
        detail: /^Invalid input for field\/attribute labels\. .*at most 100 entries/,
      },
      {
        name: 'template PATCH: too many operations',
        method: 'PATCH',
        url: () => '/v1/clustertemplates/base',
        body: () => Array.from({ length: MAX_PATCH_OPS + 1 }, () => ({ op: 'replace', path: '/name', value: 'x' })),
        detail: /^Invalid input for field\/attribute patch\. .*at most 256 items/,
      },
      {
        name: 'cluster: one label too many',
        url: () => '/v1/clusters',
        body: () => ({ cluster_template_id: 'base', labels: labels(MAX_LABELS + 1) }),
        detail: /^Invalid input for field\/attribute labels\. .*at most 100 entries/,
      },
      {
        name: 'cluster: merged labels beyond the limit',
        url: () => '/v1/clusters',
        body: () => ({ cluster_template_id: 'base', merge_labels: true, labels: labels(1, 8, 8, 'own') }),
        detail:
          /^Invalid input for field\/attribute labels\. .*after merging with the cluster template's labels; got 101/,
      },
      {
        name: 'cluster: fixed_network too long',
        url: () => '/v1/clusters',
        body: () => ({ cluster_template_id: 'base', fixed_network: 'x'.repeat(256) }),
        detail: /^Invalid input for field\/attribute fixed_network\. .*255/,
      },
      {
        name: 'cluster PATCH: health_status_reason with too many entries',
        method: 'PATCH',
        url: () => `/v1/clusters/${cluster}`,
        body: () => [
          {
            op: 'replace',
            path: '/health_status_reason',
            value: JSON.stringify(labels(MAX_HEALTH_REASONS + 1)),
          },
        ],
        detail: /^Invalid input for field\/attribute health_status_reason\. .*at most 512 entries/,
      },
      {
        name: 'node group: a label value too long',
        url: () => `/v1/clusters/${cluster}/nodegroups`,
        body: () => ({ name: 'ng', labels: { a: 'v'.repeat(MAX_LABEL_VALUE + 1) } }),
        detail: /^Invalid input for field\/attribute labels\. .*4096/,
      },
      {
        name: "node group: merged with the cluster's labels beyond the limit",
        url: () => `/v1/clusters/${cluster}/nodegroups`,
        body: () => ({ name: 'ng', merge_labels: true, labels: labels(1, 8, 8, 'own') }),
        detail: /^Invalid input for field\/attribute labels\. .*after merging with the cluster's labels; got 101/,
      },
      {
        name: 'resize: nodes_to_remove too long a list',
        url: () => `/v1/clusters/${cluster}/actions/resize`,
        body: () => ({ node_count: 1, nodes_to_remove: Array.from({ length: MAX_NODES_TO_REMOVE + 1 }, String) }),
        detail: /^Invalid input for field\/attribute nodes_to_remove\. .*at most 256 items/,
      },
      {
        name: 'ca-sign: a CSR beyond 64 KiB',
        url: () => '/v1/certificates',
        body: () => ({ cluster_uuid: cluster, csr: 'x'.repeat(MAX_CSR + 1) }),
        detail: /^Invalid input for field\/attribute csr\. .*maximum character requirement of 65536/,
      },
    ];

  for (const c of refused) {
    test(`400 naming the field, nothing written: ${c.name}`, async () => {
      await h.expectRefused({
        name: c.name,
        method: c.method ?? 'POST',
        url: c.url(),
        body: c.body(),
        headers: V110,
        status: 400,
        detail: c.detail,
      });
      const res = await h.send(c.method ?? 'POST', c.url(), c.body(), V110);
      assert.ok(res.body.length < 2048, `the error body stays small (${res.body.length} bytes)`);
    });
  }

  test('long query values are echoed cut in the error, which stays small', async () => {
    for (const q of [`sort_key=${'s'.repeat(8000)}`, `sort_dir=${'d'.repeat(8000)}`]) {
      const res = await h.send('GET', `/v1/clusters?${q}`, undefined, V110);
      assertHandlerError(res, 400, /… \(8000 characters\)/);
      assert.ok(res.body.length < 2048, `${res.body.length} bytes`);
    }
    const res = await h.send('PATCH', `/v1/clusters/${cluster}?rollback=${'r'.repeat(8000)}`, [], V110);
    assertHandlerError(res, 400, /^Invalid input for field\/attribute rollback\. .*… \(8000 characters\)/);
    assert.ok(res.body.length < 2048, `${res.body.length} bytes`);
  });

  test('a query string value beyond 255 characters is a 400 naming it', async () => {
    const res = await h.send('GET', `/v1/clusters/${cluster}/nodegroups?role=${'r'.repeat(256)}`, undefined, V110);
    assertHandlerError(res, 400, /^Invalid input for field\/attribute role\. .*255/);
  });
});

void describe('list pages bounded by bytes', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  const P = { 'x-project-id': 'heavy', 'x-user-id': 'u', 'x-roles': 'member' };
  before(async () => {
    // Two maximum-size templates (64 KiB of labels and 1 KiB counted for the rest, each) fit a page of 150,000 bytes.
    h = await startApiHarness({ config: { 'api.max_page_bytes': 150_000 } });
    for (let i = 0; i < 5; i++) await h.createTemplate({ name: `big${i}`, labels: maxLabels(`p${i}`) }, P);
    for (let i = 0; i < 3; i++) await h.createTemplate({ name: `small${i}` }, P);
  });
  after(async () => h?.close());

  for (const path of ['/v1/clustertemplates', '/v1/clustertemplates/detail']) {
    test(`${path}: a page of maximum-size templates ends at its byte budget with a next link that reaches the rest`, async () => {
      const seen: string[] = [];
      let url: string | undefined = `${path}?limit=1000`;
      let pages = 0;
      while (url) {
        const res = await h.send('GET', url, undefined, P);
        assert.equal(res.statusCode, 200, res.body);
        assert.ok(res.body.length <= 150_000 + 16 * 1024, `page of ${res.body.length} bytes`);
        const body = res.json<{ clustertemplates: { name: string }[]; next?: string }>();
        seen.push(...body.clustertemplates.map((t) => t.name));
        pages += 1;
        url = body.next?.replace(/^http:\/\/[^/]+/, '');
        assert.ok(pages < 20);
      }
      assert.equal(pages, 3, 'two, two, and one big with the small ones');
      assert.deepEqual(seen.sort(), ['big0', 'big1', 'big2', 'big3', 'big4', 'small0', 'small1', 'small2']);
    });
  }

  test('a listed template is exactly the template shown (labels with characters JSON escapes)', async () => {
    const odd = { 'q"uote': 'back\\slash "quoted"\n\u0000\u2028 é 🙂', 'x-1': '{"json": [1, 2]}' };
    const t = await h.createTemplate({ name: 'odd', labels: odd }, P);
    const one = await h.send('GET', `/v1/clustertemplates/${String(t.uuid)}`, undefined, P);
    const list = await h.send('GET', '/v1/clustertemplates/detail?limit=4&sort_key=name&sort_dir=desc', undefined, P);
    const listed = list
      .json<{ clustertemplates: { uuid: string }[] }>()
      .clustertemplates.find((x) => x.uuid === t.uuid);
    assert.deepEqual(listed, one.json());
    assert.deepEqual(one.json<{ labels: unknown }>().labels, odd);
    assert.equal((await h.send('DELETE', `/v1/clustertemplates/${String(t.uuid)}`, undefined, P)).statusCode, 204);
  });

  test('a page of small objects is not cut (no next link before the limit)', async () => {
    const res = await h.send('GET', '/v1/clusters?limit=1000', undefined, P);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ next?: string }>().next, undefined);
  });
});
