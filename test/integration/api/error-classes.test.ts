/**
 * @module test/integration/api/error-classes — classes of bad input that used to end in a 500 answer a 400 in Magnum's
 * error body naming the field, with nothing written: image references the Docker engine cannot parse (wherever an
 * image is given), JSON nested thousands deep. Every 5xx is logged with its request id; a row the store cannot read
 * is named in the 500 of its own GET and only left out (and logged) by lists.
 */

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pino from 'pino';
import { DB_INT_MAX } from '../../../src/core/int-bounds.ts';
import { startApiHarness, V110, type ApiHarness, type BadCase } from '../../helpers/api-harness.ts';

const lowercase = (v: string): RegExp =>
  new RegExp(
    `^Invalid input for field/attribute image_id\\. Value: '${v}'\\. Value should be a Docker image reference: repository name must be lowercase\\.$`,
  );
const deep = (n: number, open = '[', close = ']'): string => open.repeat(n) + close.repeat(n);
const tooDeep = /^Request is not in valid JSON format: arrays and objects nest deeper than 32 levels\.$/;

void describe('error classes', { timeout: 600_000 }, () => {
  let h: ApiHarness;
  let base: string;
  /** A template whose stored image_id is one the engine cannot parse (written with SQL, as before this check). */
  let glance: string;
  let cluster: string;
  const lines: Record<string, unknown>[] = [];
  const logs = (msg: string): Record<string, unknown>[] => lines.filter((l) => l.msg === msg);

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    h = await startApiHarness({
      logger: pino({ level: 'info' }, sink),
      config: { 'quotas.max_clusters_per_project': 100 },
    });
    base = String((await h.createTemplate({ name: 'ec-base' })).uuid);
    glance = String((await h.createTemplate({ name: 'ec-glance' })).uuid);
    await sql`update cluster_templates set image_id = 'Fedora-CoreOS-38' where uuid = ${glance}`.execute(
      h.store.db.kysely,
    );
    cluster = await h.createCluster({ cluster_template_id: base, name: 'ec' });
    await h.completeCluster(cluster);
  });

  after(async () => {
    await h?.close();
  });

  const cases = (): BadCase[] => [
    ...['Fedora-CoreOS-38', 'Foo/bar', 'registry.example.com:5000/Team/app:1'].map((image): BadCase => ({
      name: `template create: image_id ${image}`,
      url: '/v1/clustertemplates',
      body: { coe: 'swarm-mode', server_type: 'container', image_id: image },
      status: 400,
      detail: lowercase(image.replace(/\./g, '\\.')),
    })),
    {
      name: 'template create: image_id with a malformed digest',
      url: '/v1/clustertemplates',
      body: { coe: 'swarm-mode', server_type: 'container', image_id: 'debian@sha256:abc' },
      status: 400,
      detail:
        /^Invalid input for field\/attribute image_id\. Value: 'debian@sha256:abc'\. Value should be a Docker image reference: invalid digest\.$/,
    },
    {
      name: 'template PATCH: image_id with capitals',
      method: 'PATCH',
      url: '/v1/clustertemplates/ec-glance',
      body: [{ op: 'replace', path: '/image_id', value: 'Ubuntu' }],
      status: 400,
      detail: lowercase('Ubuntu'),
    },
    {
      name: 'cluster create from a template whose stored image_id has capitals',
      url: '/v1/clusters',
      body: { cluster_template_id: 'ec-glance' },
      headers: V110,
      status: 400,
      detail: lowercase('Fedora-CoreOS-38'),
    },
    {
      name: 'node group create: image_id with capitals',
      url: `/v1/clusters/${cluster}/nodegroups`,
      body: { name: 'ng', image_id: 'Debian-12' },
      headers: V110,
      status: 400,
      detail: lowercase('Debian-12'),
    },
    {
      name: 'upgrade to a template whose image_id has capitals',
      url: `/v1/clusters/${cluster}/actions/upgrade`,
      body: { cluster_template: 'ec-glance' },
      headers: V110,
      status: 400,
      detail: lowercase('Fedora-CoreOS-38'),
    },
    {
      name: 'a JSON array nested 10,000 deep',
      url: '/v1/clustertemplates',
      body: deep(10_000),
      status: 400,
      detail: tooDeep,
    },
    {
      name: 'a labels object nested 100,000 deep',
      url: '/v1/clustertemplates',
      body: `{"image_id":"magnetar/node:bookworm","coe":"swarm-mode","labels":${deep(100_000, '{"a":', '}').replace(/\{"a":\}/, '{"a":1}')}}`,
      status: 400,
      detail: tooDeep,
    },
    {
      name: 'a JSON PATCH value nested 10,000 deep',
      method: 'PATCH',
      url: '/v1/clustertemplates/ec-base',
      body: `[{"op":"replace","path":"/labels","value":${deep(10_000)}}]`,
      status: 400,
      detail: tooDeep,
    },
    {
      name: 'deep nesting sent as text/javascript',
      url: '/v1/clusters',
      body: deep(5_000),
      contentType: 'text/javascript',
      status: 400,
      detail: tooDeep,
    },
  ];
  for (const [i, c] of cases().entries()) test(c.name, () => h.expectRefused(cases()[i] as BadCase));

  test('nesting up to the limit is parsed as usual', async () => {
    const res = await h.send('POST', '/v1/clustertemplates', `{"image_id":${deep(31)}}`, {
      'content-type': 'application/json',
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json<{ errors: { detail: string }[] }>().errors[0]?.detail ?? '', /image_id/);
  });

  test('a 5xx is logged with the X-Openstack-Request-Id; its body names the unreadable row', async () => {
    const poisoned = await h.createCluster({ cluster_template_id: base, name: 'ec-poisoned' });
    await sql`update clusters set create_timeout = 9007199254740993 where uuid = ${poisoned}`.execute(
      h.store.db.kysely,
    );
    const res = await h.send('GET', `/v1/clusters/${poisoned}`);
    assert.equal(res.statusCode, 500, res.body);
    const id = String(res.headers['x-openstack-request-id']);
    const body = res.json<{ errors: { code: string; status: number; detail: string }[] }>();
    assert.equal(body.errors[0]?.code, 'server');
    assert.match(
      body.errors[0]?.detail ?? '',
      new RegExp(`^cluster ${poisoned}: unreadable row: create_timeout 9007199254740993 exceeds`),
    );
    const logged = logs('request failed').filter((l) => l.reqId === id);
    assert.equal(logged.length, 1, `one error line for ${id}`);
    assert.equal(logged[0]?.level, 50);
    assert.equal(logged[0]?.status, 500);

    // Lists leave the row out, log it with the request id, and page past it.
    const all = await h.send('GET', '/v1/clusters/detail');
    assert.equal(all.statusCode, 200, all.body);
    const names = all.json<{ clusters: { name: string }[] }>().clusters.map((c) => c.name);
    assert.ok(names.includes('ec') && !names.includes('ec-poisoned'));
    const listId = String(all.headers['x-openstack-request-id']);
    assert.ok(
      logs('unreadable row left out of the answer').some(
        (l) => l.reqId === listId && String(l.err).startsWith(`cluster ${poisoned}: unreadable row`),
      ),
    );
    const seen: string[] = [];
    let url: string | undefined = '/v1/clusters?limit=1&sort_key=id';
    while (url) {
      const page = await h.send('GET', url.replace(/^https?:\/\/[^/]+/, ''));
      assert.equal(page.statusCode, 200, page.body);
      const b = page.json<{ clusters: { name: string }[]; next?: string }>();
      seen.push(...b.clusters.map((c) => c.name));
      url = b.next;
    }
    assert.deepEqual(seen.sort(), names.sort(), 'paging one by one sees every readable cluster');
    await sql`delete from clusters where uuid = ${poisoned}`.execute(h.store.db.kysely);
  });

  test('template, node group and quota lists leave an unreadable row out', async () => {
    const bad = String((await h.createTemplate({ name: 'ec-bad-template' })).uuid);
    await sql`update cluster_templates set docker_volume_size = 9007199254740993 where uuid = ${bad}`.execute(
      h.store.db.kysely,
    );
    const t = await h.send('GET', '/v1/clustertemplates');
    assert.equal(t.statusCode, 200, t.body);
    const tnames = t.json<{ clustertemplates: { name: string }[] }>().clustertemplates.map((x) => x.name);
    assert.ok(tnames.includes('ec-base') && !tnames.includes('ec-bad-template'));

    await sql`update nodegroups set labels = 'nope' where cluster_id = ${cluster} and role = 'master'`.execute(
      h.store.db.kysely,
    );
    const n = await h.send('GET', `/v1/clusters/${cluster}/nodegroups`, undefined, V110);
    assert.equal(n.statusCode, 200, n.body);
    assert.deepEqual(
      n.json<{ nodegroups: { name: string }[] }>().nodegroups.map((x) => x.name),
      ['default-worker'],
    );
    const d = await h.send('GET', '/v1/clusters/detail');
    assert.equal(d.statusCode, 200, 'a cluster list survives an unreadable node group too');

    const q = await h.send('POST', '/v1/quotas', { project_id: 'ec-q', resource: 'Cluster', hard_limit: DB_INT_MAX });
    assert.equal(q.statusCode, 201, q.body);
    await sql`update quotas set hard_limit = 9007199254740993 where project_id = 'ec-q'`.execute(h.store.db.kysely);
    const ql = await h.send('GET', '/v1/quotas?all_tenants=true');
    assert.equal(ql.statusCode, 200, ql.body);
    assert.ok(!ql.json<{ quotas: { project_id: string }[] }>().quotas.some((x) => x.project_id === 'ec-q'));
  });
});
