/**
 * @module test/compat/legacy-routes — differential checks of Magnum 15's legacy and service routes against a real
 * `magnetar serve`, on SQLite and on PostgreSQL, through Debian's real clients where they have commands:
 * - a bay or baymodel made through `/v1/bays` / `/v1/baymodels` is what python-magnumclient's `cluster-show` /
 *   `cluster-template-show` print, and one made by the client reads back through the legacy routes under the old
 *   names; python3-magnumclient 4.0.0 has no bay commands at all (`bay-list` is an invalid choice), which is pinned;
 * - `magnum service-list`, `openstack coe service list` and openstacksdk's `list_magnum_services()` print exactly the
 *   rows of `GET /v1/mservices` (Magnum's conductor-only shape), while `GET /v1/processes` has every process;
 * - an out-of-range microversion reaches the client as Magnum's 406 title.
 * The bay phase runs with the conductor off (accepted creates stay rows; nothing reaches the Docker engine); the
 * service phase runs a full `serve` and creates nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { IMAGE } from '../helpers/api-harness.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/postgres.ts';
import { magnum, openstack, parseProperties, parseTable } from '../helpers/real-clients.ts';
import { startServe } from '../helpers/service-process.ts';

type Json = Record<string, unknown>;

async function call(url: string, method: string, path: string, body?: unknown, minor = 10): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'OpenStack-API-Version': `container-infra 1.${minor}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function json(url: string, path: string): Promise<Json> {
  const res = await call(url, 'GET', path);
  assert.equal(res.status, 200, path);
  return (await res.json()) as Json;
}

/** Runs `magnum …` and fails the test on a non-zero exit. */
async function ok(url: string, args: string[]): Promise<string> {
  const r = await magnum(url, args);
  assert.equal(r.code, 0, `magnum ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** How magnumclient prints a value in a `Property | Value` table. */
function printed(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return JSON.stringify(v).replaceAll('"', "'").replaceAll(',', ', ');
  if (typeof v === 'object') return JSON.stringify(v).replaceAll('"', "'").replaceAll(',', ', ').replaceAll(':', ': ');
  return String(v);
}

/** Every field of a legacy object equals what the client printed for the same object under its current name. */
function assertPrintedAs(legacy: Json, shown: Record<string, string>, renamed: Record<string, string>): void {
  for (const [k, v] of Object.entries(legacy)) {
    if (k === 'links') continue;
    const name = renamed[k] ?? k;
    assert.ok(name in shown, `${name} is printed`);
    assert.equal(shown[name]?.replaceAll('\n', ''), printed(v), name);
  }
}

async function target(database: 'SQLite' | 'PostgreSQL', name: string, env: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  const db: FreshDatabase | undefined = database === 'PostgreSQL' ? await freshDatabase(name) : undefined;
  const serve = await startServe(join(dir, 'state'), { env, ...(db ? { databaseUrl: db.url } : {}) });
  return {
    serve,
    async close() {
      await serve.stop();
      await db?.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

for (const database of ['SQLite', 'PostgreSQL'] as const) {
  describe(`legacy bays and baymodels against the real clients (${database})`, { timeout: 600_000 }, () => {
    let t: Awaited<ReturnType<typeof target>>;
    let url: string;

    before(async () => {
      t = await target(database, 'magnetar_legacy_bays', { MAGNETAR_CONDUCTOR: 'false' });
      url = t.serve.url;
    });
    after(() => t?.close());

    it('python3-magnumclient 4.0.0 has no bay or baymodel commands', async () => {
      for (const command of ['bay-list', 'baymodel-list', 'bay-create']) {
        const r = await magnum(url, [command]);
        assert.equal(r.code, 2, command);
        assert.match(r.stderr, new RegExp(`invalid choice: '${command}'`));
      }
    });

    it('a baymodel is the template cluster-template-show prints, and a client template reads back as a baymodel', async () => {
      const res = await call(url, 'POST', '/v1/baymodels', {
        name: 'legacy-bm',
        coe: 'swarm-mode',
        image_id: IMAGE,
        server_type: 'container',
        keypair_id: 'kp',
        labels: { a: 'b' },
      });
      assert.equal(res.status, 201);
      const bm = (await res.json()) as Json;
      assertPrintedAs(bm, parseProperties(await ok(url, ['cluster-template-show', 'legacy-bm'])), {});

      const created = parseProperties(
        await ok(url, [
          'cluster-template-create',
          'client-tmpl',
          '--coe',
          'swarm-mode',
          '--image',
          IMAGE,
          '--server-type',
          'container',
          '--docker-storage-driver',
          'overlay2',
          '--keypair',
          'kp2',
          '--external-network',
          'public',
        ]),
      );
      const back = await json(url, `/v1/baymodels/${created.uuid ?? ''}`);
      assertPrintedAs(back, created, {});
      assert.equal('project_id' in back, false);
    });

    it('a bay is the cluster cluster-show prints, and a client cluster reads back as a bay', async () => {
      const res = await call(
        url,
        'POST',
        '/v1/bays',
        { name: 'legacy-bay', baymodel_id: 'legacy-bm', node_count: 2, discovery_url: 'https://d.example/1' },
        1,
      );
      assert.equal(res.status, 201, 'synchronous at 1.1');
      const bay = (await res.json()) as Json;
      const renamed = { baymodel_id: 'cluster_template_id', bay_create_timeout: 'create_timeout' };
      assertPrintedAs(bay, parseProperties(await ok(url, ['cluster-show', 'legacy-bay'])), renamed);

      await ok(url, ['cluster-create', 'client-cluster', '--cluster-template', 'client-tmpl', '--node-count', '3']);
      const shown = parseProperties(await ok(url, ['cluster-show', 'client-cluster']));
      const back = await json(url, `/v1/bays/${shown.uuid ?? ''}`);
      assertPrintedAs(back, shown, renamed);
      assert.equal(back.node_count, 3);

      const listed = parseTable(await ok(url, ['cluster-list']))
        .map((r) => r.name)
        .sort();
      const bays = ((await json(url, '/v1/bays')).bays as Json[]).map((b) => String(b.name)).sort();
      assert.deepEqual(bays, listed, 'the same clusters under both names');
      assert.deepEqual(bays, ['client-cluster', 'legacy-bay']);
    });

    it("an out-of-range microversion reaches the client as Magnum's 406", async () => {
      const r = await magnum(url, ['--magnum-api-version', '1.11', 'cluster-list']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Requested microversion is unsupported \(HTTP 406\)/);
    });
  });

  describe(`service lists against the real clients (${database})`, { timeout: 600_000 }, () => {
    let t: Awaited<ReturnType<typeof target>>;
    let url: string;

    before(async () => {
      t = await target(database, 'magnetar_legacy_services', {
        MAGNETAR_HEARTBEAT_SECONDS: '1',
        MAGNETAR_SERVICE_HOST: 'parity-host',
      });
      url = t.serve.url;
    });
    after(() => t?.close());

    it('magnum service-list, openstack coe service list and openstacksdk print the rows of GET /v1/mservices', async () => {
      // The conductor's first heartbeat is written as it starts: wait for its row.
      let rows: Json[] = [];
      for (let i = 0; i < 100 && rows.length === 0; i += 1) {
        rows = (await json(url, '/v1/mservices')).mservices as Json[];
        if (rows.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(
        rows.map((r) => [r.id, r.host, r.binary, r.state]),
        [[1, 'parity-host', 'magnum-conductor', 'up']],
      );
      const processes = ((await json(url, '/v1/processes')).processes as Json[]).map((r) => `${String(r.binary)}`);
      assert.deepEqual(processes.sort(), ['magnetar-api', 'magnetar-conductor']);

      const mc = parseTable(await ok(url, ['service-list']));
      assert.deepEqual(
        mc.map((r) => [r.id, r.host, r.binary, r.state]),
        rows.map((r) => [String(r.id), r.host, r.binary, r.state]),
      );
      const oc = await openstack(url, ['coe', 'service', 'list']);
      assert.equal(oc.code, 0, oc.stderr);
      assert.deepEqual(
        parseTable(oc.stdout).map((r) => [r.id, r.host, r.binary, r.state]),
        rows.map((r) => [String(r.id), r.host, r.binary, r.state]),
      );
      const script = [
        'import json, sys, warnings',
        "warnings.filterwarnings('ignore')",
        'import openstack',
        "c = openstack.connect(auth_type='admin_token', auth={'endpoint': sys.argv[1], 'token': 'T'},",
        '                      container_infra_endpoint_override=sys.argv[1])',
        'print(json.dumps([dict(s) for s in c.list_magnum_services()], default=str))',
      ].join('\n');
      const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, `${url}/v1`], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, PYTHONWARNINGS: 'ignore' },
      });
      const sdk = JSON.parse(stdout) as Json[];
      assert.deepEqual(
        sdk.map((r) => [r.id, r.host, r.binary, r.state]),
        rows.map((r) => [r.id, r.host, r.binary, r.state]),
      );
    });
  });
}
