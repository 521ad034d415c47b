/**
 * @module test/integration/api/schemathesis — schemathesis (PyPI, pinned in scripts/ensure-system.sh) over every
 * operation of the OpenAPI document with all its checks, against a real `magnetar serve` (temporary state dir, free
 * port), once on SQLite and once on a fresh PostgreSQL database. The conductor is disabled, so accepted cluster creates
 * stay rows and nothing reaches the Docker engine; the test asserts that no container, network or volume carries any
 * of those clusters' uuids afterwards.
 *
 * A template (the real node image) and a cluster are created first so that generated requests reach more than 404s:
 * cluster paths and body references are pinned to them half of the time. The run is bounded (examples per operation,
 * seed fixed) and fails on any failure schemathesis reports.
 *
 * Configuration beyond schemathesis' defaults (schemathesis.toml written next to the state dir), each for a reason:
 * - positive_data_acceptance also expects 400 on the operations whose schema-valid input can still be refused because
 *   of what the request refers to or the microversion it asks for, as Magnum refuses it: an image, template or
 *   cluster that does not exist or is in the wrong state (template, cluster, node group and certificate writes), the
 *   COE a template names, `node_count: 0` below 1.10, `rollback` below 1.3, and JSON PATCH paths and values (whose
 *   types depend on the path); the legacy bays and baymodels likewise. Everywhere else a schema-valid request must
 *   succeed or be 401/403/404/409.
 * - The event stream is read up to its first event (it stays open while the cluster is in progress).
 * - Cluster, bay and node group deletes are asynchronous (204, then DELETE_IN_PROGRESS until the conductor is done), so
 *   they are left out of the stateful phase, where use_after_free would pair them with later reads.
 * - One worker: with two threads, Debian's Python 3.11.2 fails in hypothesis' source parsing ("AST constructor
 *   recursion depth mismatch", a CPython bug fixed in later 3.11 releases).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { removeLeftovers } from '../../helpers/lifecycle.ts';
import { IMAGE, SOCKET } from '../../helpers/api-harness.ts';
import { freshDatabase, type FreshDatabase } from '../../helpers/postgres.ts';
import { REPO, startServe, type ServeProcess } from '../../helpers/service-process.ts';

const VENV =
  process.env.MAGNETAR_SCHEMATHESIS_VENV ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'magnetar', 'schemathesis-venv');
/** Examples per operation and phase: enough to reach every keyword of every schema, small enough for 2 cores. */
const MAX_EXAMPLES = 20;
const SEED = 20261201;
const HEADERS = { 'Content-Type': 'application/json', 'OpenStack-API-Version': 'container-infra latest' };

/** Operations whose schema-valid input may be refused with 400 for what it refers to (see the module comment). */
const REFERENCE_CHECKED = [
  ['POST', '^/v1/(clustertemplates|baymodels)$'],
  ['PATCH', '^/v1/(clustertemplates|baymodels)/\\{ident\\}$'],
  ['POST', '^/v1/(clusters|bays)$'],
  ['PATCH', '^/v1/(clusters|bays)/\\{ident\\}$'],
  ['POST', '^/v1/clusters/\\{ident\\}/actions/(resize|upgrade)$'],
  ['POST', '^/v1/clusters/\\{ident\\}/nodegroups$'],
  ['PATCH', '^/v1/clusters/\\{ident\\}/nodegroups/\\{nodegroup\\}$'],
  ['DELETE', '^/v1/clusters/\\{ident\\}/nodegroups/\\{nodegroup\\}$'],
  ['DELETE', '^/v1/(clustertemplates|baymodels)/\\{ident\\}$'],
  ['POST', '^/v1/certificates$'],
  ['PATCH', '^/v1/certificates/\\{cluster\\}$'],
] as const;

function config(clusterUuid: string, templateUuid: string): string {
  const toml = (s: string): string => JSON.stringify(s);
  const lines = [
    `seed = ${SEED}`,
    'workers = 1',
    '[generation]',
    `max-examples = ${MAX_EXAMPLES}`,
    'database = "none"',
    // Half of the cluster identifiers are the seeded cluster, so generated requests get past the lookup.
    '[parameters]',
    '"path.ident" = { dictionary = "clusters", probability = 0.5 }',
    '"path.cluster" = { dictionary = "clusters", probability = 0.5 }',
    // …and so are half of the references in bodies, so creates and actions get past their lookups too.
    '"body.cluster_template_id" = { dictionary = "templates", probability = 0.5 }',
    '"body.baymodel_id" = { dictionary = "templates", probability = 0.5 }',
    '"body.cluster_template" = { dictionary = "templates", probability = 0.5 }',
    '"body.cluster_uuid" = { dictionary = "clusters", probability = 0.5 }',
    '"body.image_id" = { dictionary = "images", probability = 0.5 }',
    '[dictionaries.clusters]',
    `values = [${toml(clusterUuid)}]`,
    '[dictionaries.templates]',
    `values = [${toml(templateUuid)}]`,
    '[dictionaries.images]',
    `values = [${toml(IMAGE)}]`,
  ];
  for (const [method, path] of REFERENCE_CHECKED) {
    lines.push(
      '[[operations]]',
      `include-method = ${toml(method)}`,
      `include-path-regex = ${toml(path)}`,
      '[operations.checks.positive_data_acceptance]',
      'expected-statuses = ["2xx", "400", "401", "403", "404", "409"]',
    );
  }
  // An event stream stays open while the cluster is in progress (here, with no conductor, for ever): every cluster
  // has an event, and schemathesis stops reading after the first.
  lines.push(
    '[[operations]]',
    'include-method = "GET"',
    `include-path = ${toml('/v1/clusters/{ident}/events/stream')}`,
    'max-stream-events = 1',
  );
  // Deleting a cluster or node group is asynchronous: Magnum answers 204 and shows DELETE_IN_PROGRESS until the
  // conductor is done (here, with no conductor, for ever), so a read after it is not a use after free. These two
  // deletes are left out of the stateful phase (where use_after_free pairs a DELETE with later reads); every other
  // phase exercises them, and the synchronous deletes (templates, quotas) stay in it.
  lines.push(
    '[[operations]]',
    'include-method = "DELETE"',
    `include-path-regex = ${toml('^/v1/(clusters|bays)/\\{ident\\}(/nodegroups/\\{nodegroup\\})?$')}`,
    '[operations.phases.stateful]',
    'enabled = false',
  );
  return `${lines.join('\n')}\n`;
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.status === 201 || res.status === 202, `${url}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  void describe(`schemathesis over the OpenAPI document (${backend})`, { timeout: 900_000 }, () => {
    const host = new Engine({ socketPath: SOCKET });
    let dir: string;
    let serve: ServeProcess;
    let db: FreshDatabase | undefined;

    before(async () => {
      await promisify(execFile)('bash', [join(REPO, 'scripts', 'ensure-system.sh'), 'schemathesis'], {
        env: { ...process.env, MAGNETAR_SCHEMATHESIS_VENV: VENV },
      });
      dir = await mkdtemp(join(tmpdir(), 'magnetar-schemathesis-'));
      if (backend === 'PostgreSQL') db = await freshDatabase('schemathesis');
      serve = await startServe(join(dir, 'state'), {
        env: { MAGNETAR_CONDUCTOR: 'false' },
        ...(db ? { databaseUrl: db.url } : {}),
      });
      const template = await post(`${serve.url}/v1/clustertemplates`, {
        name: 'schemathesis',
        image_id: IMAGE,
        coe: 'swarm',
        server_type: 'container',
      });
      const cluster = await post(`${serve.url}/v1/clusters`, {
        name: 'schemathesis',
        cluster_template_id: template.uuid,
        master_count: 1,
        node_count: 1,
      });
      await writeFile(join(dir, 'schemathesis.toml'), config(String(cluster.uuid), String(template.uuid)));
    });

    after(async () => {
      // Every cluster the run made (accepted creates are rows only: the conductor is off).
      const res = await fetch(`${serve.url}/v1/clusters?limit=1000`).catch(() => undefined);
      const clusters = res?.ok ? ((await res.json()) as { clusters: { uuid: string }[] }).clusters : [];
      await serve?.stop();
      await db?.drop();
      const leftovers = await Promise.all(clusters.map((c) => removeLeftovers(host, c.uuid)));
      if (dir) await rm(dir, { recursive: true, force: true });
      assert.deepEqual(
        leftovers.filter((n) => n > 0),
        [],
        'nothing was created on the Docker engine for the clusters of the run',
      );
    });

    test('every operation, every check: no failure', async () => {
      const args = [
        '--config-file',
        join(dir, 'schemathesis.toml'),
        'run',
        `${serve.url}/v1/openapi.json`,
        '--url',
        serve.url,
        '--checks',
        'all',
        '--no-color',
      ];
      const child = spawn(join(VENV, 'bin', 'schemathesis'), args, {
        cwd: dir,
        env: { ...process.env, CI: 'true', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 600_000,
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      const summary = out.slice(out.indexOf('= SUMMARY ='));
      assert.equal(code, 0, `schemathesis reported failures:\n${out.slice(-20_000)}`);
      const doc = (await (await fetch(`${serve.url}/v1/openapi.json`)).json()) as { paths: Record<string, object> };
      const operations = Object.values(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0);
      assert.match(summary, new RegExp(`Selected: ${operations}/${operations}\\s+Tested: ${operations}\\b`), summary);
    });
  });
}
