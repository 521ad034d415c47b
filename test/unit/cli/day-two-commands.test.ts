/**
 * @module test/unit/cli/day-two-commands — the day-two commands (cluster-update/resize/upgrade, nodegroup-*, ca-*,
 * quotas-*, stats-list, service-list, cluster-template-update) against a canned Magnum server: what they send and
 * what they print.
 */

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parse } from 'yaml';
import { magnumError, runCli, startFakeMagnum } from './fake-magnum.ts';
import type { FakeMagnum, Handler, RecordedRequest, Reply } from './fake-magnum.ts';

const CL_UUID = '5d12f6fd-a196-4bf0-ae4c-1f639a523a52';
const NG_UUID = '9b7e5c1a-3f0d-4c2b-8e6a-1d2c3b4a5f60';
const CLUSTER = { uuid: CL_UUID, name: 'c1', cluster_template_id: 'ct', status: 'CREATE_COMPLETE' };
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const NODEGROUP = {
  uuid: NG_UUID,
  name: 'extra',
  cluster_id: CL_UUID,
  project_id: 'p',
  docker_volume_size: null,
  labels: { a: '1' },
  flavor_id: 'm1.small',
  image_id: 'magnetar/node:bookworm',
  node_addresses: ['10.0.0.21'],
  node_count: 2,
  role: 'worker',
  max_node_count: 5,
  min_node_count: 1,
  is_default: false,
  status: 'CREATE_COMPLETE',
  status_reason: null,
  links: [],
};

function ev(id: number, phase: string, message: string): Record<string, unknown> {
  return { id, time: `2024-03-01T10:00:0${id}+00:00`, phase, level: 'info', message };
}

/** Splits one `| a | b |` line into cells. */
function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split('|')
    .map((c) => c.trim());
}

/** A prettytable as rows keyed by header. */
function parseTable(out: string): Record<string, string>[] {
  const lines = out.trim().split('\n');
  const header = cells(lines[1] ?? '');
  return lines.slice(3, -1).map((line) => Object.fromEntries(header.map((h, i) => [h, cells(line)[i] ?? ''])));
}

void describe('day-two commands', () => {
  let server: FakeMagnum;
  let handler: Handler;

  before(async () => {
    server = await startFakeMagnum((req) => handler(req));
  });
  beforeEach(() => {
    server.requests.length = 0;
    handler = () => magnumError(404, 'Not found.');
  });
  after(() => server.close());

  /** Answers cluster lookups (by name or uuid) and an empty timeline, then defers to `rest`. */
  const withCluster =
    (rest: (req: RecordedRequest) => Reply | undefined): Handler =>
    (req) => {
      if (req.method === 'GET' && (req.path === '/v1/clusters/c1' || req.path === `/v1/clusters/${CL_UUID}`))
        return { status: 200, body: CLUSTER };
      if (req.method === 'GET' && req.path === `/v1/clusters/${CL_UUID}/events`)
        return { status: 200, body: { events: [] } };
      return rest(req) ?? magnumError(404, 'Not found.');
    };
  const sent = (method: string, path: string): unknown[] =>
    server.requests.filter((r) => r.method === method && r.path === path).map((r) => r.body);

  void describe('cluster-update', () => {
    void it('sends the JSON PATCH (with ?rollback=True) and prints magnum’s message', async () => {
      handler = withCluster((req) => (req.method === 'PATCH' ? { status: 202, body: { uuid: CL_UUID } } : undefined));
      const run = await runCli(server.url, [
        'cluster-update',
        'c1',
        'replace',
        'node_count=3',
        'labels=a=1,b=2',
        '--rollback',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'Request to update cluster c1 has been accepted.\n');
      assert.deepEqual(sent('PATCH', '/v1/clusters/c1?rollback=True'), [
        [
          { op: 'replace', path: '/node_count', value: 3 },
          { op: 'replace', path: '/labels', value: "{'a': '1', 'b': '2'}" },
        ],
      ]);
    });

    void it('refuses an unknown op before calling the server', async () => {
      const run = await runCli(server.url, ['cluster-update', 'c1', 'move', 'a=b']);
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /value 'move' is invalid for argument 'op'\. Allowed choices are add, replace, remove\./,
      );
      assert.equal(server.requests.length, 0);
    });

    void it('prints the server’s refusal and exits 1', async () => {
      handler = withCluster(() =>
        magnumError(400, 'Updating a cluster when status is "CREATE_IN_PROGRESS" is not supported.'),
      );
      const run = await runCli(server.url, ['cluster-update', 'c1', 'replace', 'node_count=2']);
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /^ERROR: Updating a cluster when status is "CREATE_IN_PROGRESS" is not supported\. \(HTTP 400\)/,
      );
    });

    void it('--wait follows the change to UPDATE_COMPLETE, printing only the new events', async () => {
      let patched = false;
      handler = (req) => {
        if (req.method === 'PATCH') {
          patched = true;
          return { status: 202, body: { uuid: CL_UUID } };
        }
        if (req.path === '/v1/clusters/c1' || req.path === `/v1/clusters/${CL_UUID}`)
          return { status: 200, body: { ...CLUSTER, status: patched ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE' } };
        if (req.path === `/v1/clusters/${CL_UUID}/events`) {
          const events = [ev(1, 'complete', 'cluster created')];
          if (patched) events.push(ev(2, 'accepted', 'update accepted'), ev(3, 'complete', 'cluster updated'));
          return { status: 200, body: { events } };
        }
        return magnumError(404, 'Not found.');
      };
      const run = await runCli(server.url, ['cluster-update', 'c1', 'replace', 'node_count=2', '--wait']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stdout,
        [
          'Request to update cluster c1 has been accepted.',
          '2024-03-01T10:00:02+00:00 INFO [accepted] update accepted',
          '2024-03-01T10:00:03+00:00 INFO [complete] cluster updated',
          `Cluster ${CL_UUID} status: UPDATE_COMPLETE`,
          '',
        ].join('\n'),
      );
    });
  });

  void describe('cluster-resize and cluster-upgrade', () => {
    void it('resize posts node_count, nodes_to_remove and nodegroup to the cluster’s uuid', async () => {
      handler = withCluster((req) => (req.method === 'POST' ? { status: 202, body: { uuid: CL_UUID } } : undefined));
      const run = await runCli(server.url, [
        'cluster-resize',
        'c1',
        '1',
        '--nodes-to-remove',
        'c1-node-1',
        '--nodes-to-remove',
        'c1-node-2',
        '--nodegroup',
        'extra',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'Request to resize cluster c1 has been accepted.\n');
      assert.deepEqual(sent('POST', `/v1/clusters/${CL_UUID}/actions/resize`), [
        { node_count: 1, nodes_to_remove: ['c1-node-1', 'c1-node-2'], nodegroup: 'extra' },
      ]);
    });

    void it('resize sends only node_count when nothing else is given, and refuses a non-integer count', async () => {
      handler = withCluster((req) => (req.method === 'POST' ? { status: 202, body: { uuid: CL_UUID } } : undefined));
      assert.equal((await runCli(server.url, ['cluster-resize', 'c1', '3'])).code, 0);
      assert.deepEqual(sent('POST', `/v1/clusters/${CL_UUID}/actions/resize`), [{ node_count: 3 }]);
      const bad = await runCli(server.url, ['cluster-resize', 'c1', 'three']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /value 'three' is invalid for argument 'node_count'\. not an integer\./);
    });

    void it('upgrade posts the template with max_batch_size 1 by default', async () => {
      handler = withCluster((req) => (req.method === 'POST' ? { status: 202, body: { uuid: CL_UUID } } : undefined));
      const run = await runCli(server.url, ['cluster-upgrade', 'c1', 'next-template']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'Request to upgrade cluster c1 has been accepted.\n');
      await runCli(server.url, ['cluster-upgrade', 'c1', 'next', '--max-batch-size', '3', '--nodegroup', 'extra']);
      assert.deepEqual(sent('POST', `/v1/clusters/${CL_UUID}/actions/upgrade`), [
        { cluster_template: 'next-template', max_batch_size: 1 },
        { cluster_template: 'next', max_batch_size: 3, nodegroup: 'extra' },
      ]);
    });
  });

  void describe('nodegroups', () => {
    void it('create sends openstackclient’s fields and prints the new uuid', async () => {
      handler = withCluster((req) => (req.method === 'POST' ? { status: 202, body: NODEGROUP } : undefined));
      const run = await runCli(server.url, [
        'nodegroup-create',
        'c1',
        'extra',
        '--node-count',
        '2',
        '--max-nodes',
        '5',
        '--labels',
        'a=1',
        '--flavor',
        'm1.small',
        '--merge-labels',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `Request to create nodegroup ${NG_UUID} accepted\n`);
      assert.deepEqual(sent('POST', '/v1/clusters/c1/nodegroups'), [
        {
          name: 'extra',
          node_count: 2,
          max_node_count: 5,
          min_node_count: 0,
          role: 'worker',
          labels: { a: '1' },
          flavor_id: 'm1.small',
          merge_labels: true,
        },
      ]);
    });

    void it('list passes --role and prints openstackclient’s columns; value and json formats', async () => {
      handler = (req) =>
        req.path.startsWith('/v1/clusters/c1/nodegroups')
          ? { status: 200, body: { nodegroups: [NODEGROUP] } }
          : magnumError(404, 'Not found.');
      const run = await runCli(server.url, ['nodegroup-list', 'c1', '--role', 'worker']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(server.requests[0]?.path, '/v1/clusters/c1/nodegroups?role=worker');
      assert.deepEqual(parseTable(run.stdout), [
        {
          uuid: NG_UUID,
          name: 'extra',
          flavor_id: 'm1.small',
          image_id: 'magnetar/node:bookworm',
          node_count: '2',
          status: 'CREATE_COMPLETE',
          role: 'worker',
        },
      ]);
      const value = await runCli(server.url, ['nodegroup-list', 'c1', '--format', 'value']);
      assert.equal(value.stdout, `${NG_UUID} extra m1.small magnetar/node:bookworm 2 CREATE_COMPLETE worker\n`);
      const json = await runCli(server.url, ['nodegroup-list', 'c1', '-f', 'json']);
      assert.deepEqual(JSON.parse(json.stdout), [
        {
          uuid: NG_UUID,
          name: 'extra',
          flavor_id: 'm1.small',
          image_id: 'magnetar/node:bookworm',
          node_count: 2,
          status: 'CREATE_COMPLETE',
          role: 'worker',
        },
      ]);
    });

    void it('show prints the Field | Value table in openstackclient’s order, and yaml', async () => {
      handler = (req) =>
        req.path === '/v1/clusters/c1/nodegroups/extra'
          ? { status: 200, body: NODEGROUP }
          : magnumError(404, 'Not found.');
      const run = await runCli(server.url, ['nodegroup-show', 'c1', 'extra']);
      assert.equal(run.code, 0, run.stderr);
      const rows = parseTable(run.stdout);
      assert.deepEqual(
        rows.slice(0, 6).map((r) => [r.Field, r.Value]),
        [
          ['uuid', NG_UUID],
          ['name', 'extra'],
          ['cluster_id', CL_UUID],
          ['project_id', 'p'],
          ['docker_volume_size', 'None'],
          ['labels', "{'a': '1'}"],
        ],
      );
      assert.equal(rows.find((r) => r.Field === 'node_addresses')?.Value, "['10.0.0.21']");
      assert.equal(rows.find((r) => r.Field === 'stack_id')?.Value, 'None');
      assert.equal(rows.length, 20);
      const yaml = parse((await runCli(server.url, ['nodegroup-show', 'c1', 'extra', '-f', 'yaml'])).stdout) as Record<
        string,
        unknown
      >;
      assert.equal(yaml['max_node_count'], 5);
      assert.equal(yaml['is_default'], false);
      assert.equal(Object.hasOwn(yaml, 'links'), false);
    });

    void it('update sends the patch; delete reports each group and fails when one fails', async () => {
      handler = (req) => {
        if (req.method === 'PATCH') return { status: 202, body: NODEGROUP };
        if (req.method === 'DELETE' && req.path.endsWith('/extra')) return { status: 204 };
        return magnumError(404, 'Nodegroup gone could not be found.');
      };
      const update = await runCli(server.url, ['nodegroup-update', 'c1', 'extra', 'replace', 'max_node_count=7']);
      assert.equal(update.stdout, 'Request to update nodegroup extra has been accepted.\n');
      assert.deepEqual(sent('PATCH', '/v1/clusters/c1/nodegroups/extra'), [
        [{ op: 'replace', path: '/max_node_count', value: 7 }],
      ]);
      const del = await runCli(server.url, ['nodegroup-delete', 'c1', 'extra', 'gone']);
      assert.equal(del.code, 1);
      assert.equal(del.stdout, 'Request to delete nodegroup extra has been accepted.\n');
      assert.match(del.stderr, /^Delete for nodegroup gone failed: Nodegroup gone could not be found\. \(HTTP 404\)/);
    });
  });

  void describe('certificates', () => {
    void it('ca-show prints the PEM of the cluster named positionally or with --cluster; json gives the object', async () => {
      handler = withCluster((req) =>
        req.path === `/v1/certificates/${CL_UUID}`
          ? { status: 200, body: { cluster_uuid: CL_UUID, pem: PEM, links: [] } }
          : undefined,
      );
      assert.equal((await runCli(server.url, ['ca-show', 'c1'])).stdout, PEM);
      assert.equal((await runCli(server.url, ['ca-show', '--cluster', 'c1'])).stdout, PEM);
      assert.deepEqual(JSON.parse((await runCli(server.url, ['ca-show', 'c1', '-f', 'json'])).stdout), {
        cluster_uuid: CL_UUID,
        pem: PEM,
      });
      const both = await runCli(server.url, ['ca-show', 'c1', '--cluster', 'c2']);
      assert.equal(both.code, 1);
      assert.match(both.stderr, /Duplicate "<cluster>" arguments: c1, c2/);
    });

    void it('ca-sign sends the CSR file (positional or --csr) and prints the certificate', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'magnetar-ca-sign-'));
      try {
        await writeFile(join(dir, 'my.csr'), 'CSR-PEM');
        handler = withCluster((req) =>
          req.method === 'POST' && req.path === '/v1/certificates'
            ? { status: 201, body: { cluster_uuid: CL_UUID, csr: 'CSR-PEM', pem: PEM } }
            : undefined,
        );
        const positional = await runCli(server.url, ['ca-sign', 'c1', 'my.csr'], {}, { cwd: dir });
        assert.equal(positional.stdout, PEM, positional.stderr);
        const flags = await runCli(server.url, ['ca-sign', '--cluster', 'c1', '--csr', join(dir, 'my.csr')]);
        assert.equal(flags.stdout, PEM, flags.stderr);
        assert.deepEqual(sent('POST', '/v1/certificates'), [
          { cluster_uuid: CL_UUID, csr: 'CSR-PEM' },
          { cluster_uuid: CL_UUID, csr: 'CSR-PEM' },
        ]);
        const missing = await runCli(server.url, ['ca-sign', '--cluster', 'c1']);
        assert.equal(missing.code, 1);
        assert.equal(missing.stderr, 'ERROR: A CSR must be provided.\n');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    void it('ca-rotate PATCHes the cluster’s certificate', async () => {
      handler = withCluster((req) => (req.method === 'PATCH' ? { status: 202 } : undefined));
      const run = await runCli(server.url, ['ca-rotate', '--cluster', 'c1']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'Request to rotate the CA certificate for cluster c1 has been accepted.\n');
      assert.deepEqual(sent('PATCH', `/v1/certificates/${CL_UUID}`), [undefined]);
    });
  });

  void describe('quotas, stats, services', () => {
    const QUOTA = { id: 4, project_id: 'p1', resource: 'Cluster', hard_limit: 3, created_at: 't', updated_at: null };

    void it('quotas-create and -update send the quota object and print it; --hard-limit defaults to 1', async () => {
      handler = (req) => ({ status: req.method === 'POST' ? 201 : 202, body: { ...QUOTA, ...(req.body as object) } });
      const created = await runCli(server.url, ['quotas-create', '--project-id', 'p1', '--resource', 'Cluster']);
      assert.equal(created.code, 0, created.stderr);
      const rows = Object.fromEntries(parseTable(created.stdout).map((r) => [r.Property, r.Value]));
      assert.equal(rows['hard_limit'], '1');
      assert.equal(rows['updated_at'], '-');
      await runCli(server.url, ['quotas-update', '--project-id', 'p1', '--resource', 'Cluster', '--hard-limit', '9']);
      assert.deepEqual(sent('POST', '/v1/quotas'), [{ project_id: 'p1', resource: 'Cluster', hard_limit: 1 }]);
      assert.deepEqual(sent('PATCH', '/v1/quotas/p1/Cluster'), [
        { project_id: 'p1', resource: 'Cluster', hard_limit: 9 },
      ]);
    });

    void it('quotas-create requires --project-id and --resource', async () => {
      const run = await runCli(server.url, ['quotas-create', '--resource', 'Cluster']);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /required option '--project-id <project-id>' not specified/);
      assert.equal(server.requests.length, 0);
    });

    void it('quotas-list passes --all-tenants and prints three columns; quotas-delete prints magnum’s message', async () => {
      handler = (req) =>
        req.method === 'DELETE' ? { status: 204 } : { status: 200, body: { quotas: [QUOTA, { ...QUOTA, id: 5 }] } };
      const list = await runCli(server.url, ['quotas-list', '--all-tenants', '--sort-dir', 'desc']);
      assert.equal(server.requests[0]?.path, '/v1/quotas?sort_dir=desc&all_tenants=True');
      assert.deepEqual(parseTable(list.stdout)[0], { project_id: 'p1', resource: 'Cluster', hard_limit: '3' });
      assert.equal((await runCli(server.url, ['quotas-list', '-f', 'value'])).stdout, 'p1 Cluster 3\np1 Cluster 3\n');
      const del = await runCli(server.url, ['quotas-delete', '--project-id', 'p1', '--resource', 'Cluster']);
      assert.equal(del.stdout, 'Request to delete quota for project id p1 and resource Cluster has been accepted.\n');
    });

    void it('stats-list asks for the project and prints a property table', async () => {
      handler = () => ({ status: 200, body: { clusters: 2, nodes: 5 } });
      const run = await runCli(server.url, ['stats-list', '--project-id', 'p1']);
      assert.equal(server.requests[0]?.path, '/v1/stats?project_id=p1');
      assert.deepEqual(parseTable(run.stdout), [
        { Property: 'clusters', Value: '2' },
        { Property: 'nodes', Value: '5' },
      ]);
      await runCli(server.url, ['stats-list']);
      assert.equal(server.requests[1]?.path, '/v1/stats');
    });

    void it('service-list sorts by id like magnumclient and supports json', async () => {
      const svc = (id: number, binary: string): Record<string, unknown> => ({
        id,
        host: 'h',
        binary,
        state: 'up',
        disabled: false,
        disabled_reason: null,
        created_at: 't',
        updated_at: null,
      });
      handler = () => ({ status: 200, body: { mservices: [svc(10, 'magnum-conductor'), svc(2, 'magnum-conductor')] } });
      const run = await runCli(server.url, ['service-list']);
      assert.equal(server.requests.at(-1)?.path, '/v1/mservices');
      assert.deepEqual(
        parseTable(run.stdout).map((r) => [r.id, r.binary, r.disabled, r.disabled_reason]),
        [
          ['2', 'magnum-conductor', 'False', '-'],
          ['10', 'magnum-conductor', 'False', '-'],
        ],
      );
      const json = JSON.parse((await runCli(server.url, ['service-list', '-f', 'json'])).stdout) as { id: number }[];
      assert.deepEqual(
        json.map((s) => s.id),
        [2, 10],
      );
    });

    void it('process-list prints every process from GET /v1/processes, sorted by id', async () => {
      const svc = (id: number, binary: string): Record<string, unknown> => ({
        id,
        host: 'h',
        binary,
        state: 'down',
        disabled: false,
        disabled_reason: null,
        created_at: 't',
        updated_at: null,
      });
      handler = () => ({ status: 200, body: { processes: [svc(3, 'magnetar-api'), svc(1, 'magnetar-conductor')] } });
      const run = await runCli(server.url, ['process-list']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(server.requests.at(-1)?.path, '/v1/processes');
      assert.deepEqual(
        parseTable(run.stdout).map((r) => [r.id, r.binary, r.state]),
        [
          ['1', 'magnetar-conductor', 'down'],
          ['3', 'magnetar-api', 'down'],
        ],
      );
    });

    void it('refuses an unknown --format', async () => {
      const run = await runCli(server.url, ['service-list', '--format', 'csv']);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /argument 'csv' is invalid\. Allowed choices are table, json, yaml, value\./);
    });
  });

  void describe('openstackclient’s extra create flags', () => {
    void it('cluster-template-create --tags joins the repeated tags once each; --hidden and --visible conflict', async () => {
      handler = (req) => ({ status: 201, body: { ...(req.body as object), uuid: 'ct', links: [] } });
      const run = await runCli(server.url, [
        'cluster-template-create',
        't',
        '--coe',
        'swarm',
        '--image',
        'i',
        '--tags',
        'a',
        '--tags',
        'b,a',
        '--visible',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const body = sent('POST', '/v1/clustertemplates')[0] as Record<string, unknown>;
      assert.equal(body['tags'], 'a,b');
      assert.equal(body['hidden'], false);
      const both = await runCli(server.url, [
        'cluster-template-create',
        '--coe',
        'swarm',
        '--image',
        'i',
        '--hidden',
        '--visible',
      ]);
      assert.equal(both.code, 1);
      assert.match(both.stderr, /--hidden and --visible are mutually exclusive/);
    });

    void it('cluster-create --master-lb-disabled sends master_lb_enabled false', async () => {
      handler = (req) => {
        if (req.path === '/v1/clustertemplates/t')
          return { status: 200, body: { uuid: 'ct', name: 't', coe: 'swarm', tls_disabled: false } };
        if (req.method === 'POST') return { status: 202, body: { uuid: CL_UUID } };
        return magnumError(404, 'Not found.');
      };
      const run = await runCli(server.url, ['cluster-create', 'c', '--cluster-template', 't', '--master-lb-disabled']);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(sent('POST', '/v1/clusters'), [
        { cluster_template_id: 'ct', name: 'c', master_lb_enabled: false },
      ]);
      const both = await runCli(server.url, [
        'cluster-create',
        '--cluster-template',
        't',
        '--master-lb-enabled',
        '--master-lb-disabled',
      ]);
      assert.equal(both.code, 1);
      assert.match(both.stderr, /--master-lb-enabled and --master-lb-disabled are mutually exclusive/);
    });
  });

  void describe('cluster-template-update', () => {
    void it('sends the patch and prints the updated template', async () => {
      handler = (req) =>
        req.method === 'PATCH'
          ? { status: 200, body: { uuid: 'ct', name: 'renamed', labels: { a: '1' }, links: [] } }
          : magnumError(404, 'Not found.');
      const run = await runCli(server.url, ['cluster-template-update', 'ct', 'replace', 'name=renamed', 'public=true']);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(sent('PATCH', '/v1/clustertemplates/ct'), [
        [
          { op: 'replace', path: '/name', value: 'renamed' },
          { op: 'replace', path: '/public', value: true },
        ],
      ]);
      assert.deepEqual(parseTable(run.stdout), [
        { Property: 'uuid', Value: 'ct' },
        { Property: 'name', Value: 'renamed' },
        { Property: 'labels', Value: "{'a': '1'}" },
      ]);
    });
  });
});
