/**
 * @module test/integration/api/isolation — what one project can learn about another: a pagination marker naming an
 * object the caller cannot see answers exactly like an unknown one (every listed resource, every sort key); an empty
 * X-Roles means no roles; X-Forwarded-* headers move links only when they come from a configured trusted proxy.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { MEMBER_A, MEMBER_B, startApiHarness, V110, type ApiHarness } from '../../helpers/api-harness.ts';

/** Status and body with the marker text replaced, so two answers about different markers can be compared. */
const shape = (res: LightMyRequestResponse, marker: string): [number, string] => [
  res.statusCode,
  res.body.split(marker).join('<marker>'),
];

void describe('project isolation', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let privateB: string;
  let publicB: string;
  let clusterA: string;
  let clusterB: string;
  let ngB: string;
  let quotaB: number;
  const A = { ...MEMBER_A, ...V110 };
  const B = { ...MEMBER_B, ...V110 };

  before(async () => {
    h = await startApiHarness();
    await h.createTemplate({ name: 'a-tpl' }, MEMBER_A);
    privateB = String((await h.createTemplate({ name: 'b-private' }, MEMBER_B)).uuid);
    publicB = String((await h.createTemplate({ name: 'b-public', public: true })).uuid);
    clusterA = await h.createCluster({ name: 'ca', cluster_template_id: 'a-tpl', node_count: 1 }, A);
    clusterB = await h.createCluster({ name: 'cb', cluster_template_id: 'b-private', node_count: 1 }, B);
    const ngs = await h.send('GET', `/v1/clusters/${clusterB}/nodegroups`, undefined, B);
    ngB = String(ngs.json<{ nodegroups: { uuid: string }[] }>().nodegroups[0]?.uuid);
    const q = await h.send('POST', '/v1/quotas', { project_id: 'proj-b', resource: 'Cluster', hard_limit: 5 });
    assert.equal(q.statusCode, 201, q.body);
    quotaB = q.json<{ id: number }>().id;
  });
  after(async () => h?.close());

  const lists: {
    name: string;
    url: () => string;
    hidden: () => string;
    unknown: () => string;
    as?: Record<string, string>;
  }[] = [
    {
      name: 'templates',
      url: () => '/v1/clustertemplates',
      hidden: () => privateB,
      unknown: () => randomUUID(),
    },
    {
      name: 'templates (detail)',
      url: () => '/v1/clustertemplates/detail',
      hidden: () => privateB,
      unknown: () => randomUUID(),
    },
    { name: 'clusters', url: () => '/v1/clusters', hidden: () => clusterB, unknown: () => randomUUID() },
    {
      name: 'clusters (detail)',
      url: () => '/v1/clusters/detail',
      hidden: () => clusterB,
      unknown: () => randomUUID(),
    },
    {
      name: 'node groups',
      url: () => `/v1/clusters/${clusterA}/nodegroups`,
      hidden: () => ngB,
      unknown: () => randomUUID(),
    },
    // Quota lists are for admins; without all_tenants they list the admin's own project only, and so do their markers.
    {
      name: 'quotas',
      url: () => '/v1/quotas',
      hidden: () => String(quotaB),
      unknown: () => String(quotaB + 1000),
      as: V110,
    },
  ];

  for (const l of lists) {
    for (const sort of ['', '&sort_key=name', '&sort_key=created_at&sort_dir=desc', '&sort_key=project_id']) {
      test(`${l.name}${sort}: another project's object as marker answers like an unknown one`, async () => {
        if (l.name === 'quotas' && sort.includes('name')) return; // quotas have no name
        const hidden = l.hidden();
        const unknown = l.unknown();
        const a = await h.send('GET', `${l.url()}?marker=${hidden}${sort}`, undefined, l.as ?? A);
        const b = await h.send('GET', `${l.url()}?marker=${unknown}${sort}`, undefined, l.as ?? A);
        assert.deepEqual(shape(a, hidden), shape(b, unknown));
        assert.equal(a.statusCode, 404, a.body);
      });
    }
  }

  test('a public template is a marker for everyone (it is listed and shown to all)', async () => {
    const res = await h.send('GET', `/v1/clustertemplates?marker=${publicB}`, undefined, A);
    assert.equal(res.statusCode, 200, res.body);
  });

  test('the owner and an admin still page from their own objects', async () => {
    for (const [url, headers] of [
      [`/v1/clustertemplates?marker=${privateB}`, B],
      [`/v1/clusters?marker=${clusterB}`, B],
      [`/v1/clusters?marker=${clusterB}`, V110],
      [`/v1/clustertemplates?marker=${privateB}`, V110],
      [`/v1/quotas?all_tenants=true&marker=${quotaB}`, V110],
    ] as const) {
      const res = await h.send('GET', url, undefined, headers);
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    }
  });

  for (const roles of ['', ' ', ',', ' , ']) {
    test(`X-Roles ${JSON.stringify(roles)} means no roles, not the admin default`, async () => {
      const headers = { 'x-project-id': 'proj-a', 'x-user-id': 'user-a', 'x-roles': roles, ...V110 };
      const quota = await h.send('POST', '/v1/quotas', { project_id: 'proj-a', hard_limit: 1 }, headers);
      assert.equal(quota.statusCode, 403, quota.body);
      const all = await h.send('GET', '/v1/clusters', undefined, headers);
      assert.equal(all.statusCode, 200, all.body);
      const seen = all.json<{ clusters: { uuid: string }[] }>().clusters.map((c) => c.uuid);
      assert.deepEqual(seen, [clusterA], "only the caller's project, not every project as an admin");
    });
  }

  test('no X-Roles header at all still takes the configured default roles', async () => {
    const res = await h.send('GET', '/v1/clusters', undefined, { 'x-project-id': 'proj-a', ...V110 });
    assert.equal(res.json<{ clusters: unknown[] }>().clusters.length, 2, 'admin by default (auth.default_roles)');
  });
});

void describe('forwarded headers', { timeout: 600_000 }, () => {
  const forwarded = {
    'x-forwarded-host': 'evil.example:8443',
    'x-forwarded-proto': 'https',
    'x-forwarded-for': '203.0.113.7',
    host: 'api.local:9511',
  };
  const links = async (h: ApiHarness): Promise<{ next: string; self: string; location: string }> => {
    const created = await h.send(
      'POST',
      '/v1/clustertemplates',
      { name: 'fw', coe: 'swarm', image_id: 'magnetar/node:bookworm' },
      forwarded,
    );
    assert.equal(created.statusCode, 201, created.body);
    await h.createTemplate({ name: 'fw2' });
    const res = await h.send('GET', '/v1/clustertemplates?limit=1', undefined, forwarded);
    const body = res.json<{ next: string; clustertemplates: { links: { href: string }[] }[] }>();
    return {
      next: body.next,
      self: String(body.clustertemplates[0]?.links[0]?.href),
      location: String(created.headers.location),
    };
  };

  test('are ignored by default: links use the Host the client connected to', async () => {
    const h = await startApiHarness();
    try {
      const l = await links(h);
      for (const href of Object.values(l)) assert.match(href, /^http:\/\/api\.local:9511\/v1\//);
    } finally {
      await h.close();
    }
  });

  test('are ignored from a peer outside api.trusted_proxies', async () => {
    const h = await startApiHarness({ config: { 'api.trusted_proxies': ['10.0.0.0/8', '::2'] } });
    try {
      const l = await links(h);
      for (const href of Object.values(l)) assert.match(href, /^http:\/\/api\.local:9511\/v1\//);
    } finally {
      await h.close();
    }
  });

  test('are believed from a configured trusted proxy', async () => {
    // light-my-request's peer is 127.0.0.1.
    const h = await startApiHarness({ config: { 'api.trusted_proxies': ['127.0.0.0/8'] } });
    try {
      const l = await links(h);
      for (const href of Object.values(l)) assert.match(href, /^https:\/\/evil\.example:8443\/v1\//);
    } finally {
      await h.close();
    }
  });
});
