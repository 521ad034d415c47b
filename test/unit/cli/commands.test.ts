/** @module test/unit/cli/commands — the `magnetar` commands end to end against a canned Magnum server. */

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { magnumError, runCli, startFakeMagnum } from './fake-magnum.ts';
import type { FakeMagnum, Handler } from './fake-magnum.ts';

const CT_UUID = '0a3c8b6e-5f1d-4f8e-9a55-1d6c2f0b7e11';
const CL_UUID = '5d12f6fd-a196-4bf0-ae4c-1f639a523a52';
const TEMPLATE = {
  uuid: CT_UUID,
  name: 'swarm-ct',
  coe: 'swarm-mode',
  image_id: 'coe-node',
  tls_disabled: false,
  labels: {},
  links: [{ href: `http://h/v1/clustertemplates/${CT_UUID}`, rel: 'self' }],
};

function event(n: number, phase: string, message: string): Record<string, string> {
  return { time: `2024-03-01T10:00:0${n}+00:00`, phase, level: 'info', message };
}

void describe('magnetar commands', () => {
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

  const posts = (path: string): unknown[] =>
    server.requests.filter((r) => r.method === 'POST' && r.path === path).map((r) => r.body);

  void describe('cluster-template-create', () => {
    void it('sends magnum-style fields and prints the template without links', async () => {
      handler = (req) => ({ status: 201, body: { ...(req.body as object), uuid: CT_UUID, links: [] } });
      const run = await runCli(server.url, [
        'cluster-template-create',
        'swarm-ct',
        '--coe',
        'swarm-mode',
        '--image-id',
        'coe-node',
        '--external-network',
        'public',
        '--flavor',
        'small',
        '--docker-volume-size',
        '5',
        '--no-proxy',
        'localhost,10.0.0.0/8',
        '--labels',
        'a=1,b=2',
        '--tls-disabled',
        '--floating-ip-disabled',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(posts('/v1/clustertemplates'), [
        {
          image_id: 'coe-node',
          coe: 'swarm-mode',
          name: 'swarm-ct',
          external_network_id: 'public',
          flavor_id: 'small',
          docker_volume_size: 5,
          no_proxy: 'localhost,10.0.0.0/8',
          labels: { a: '1', b: '2' },
          tls_disabled: true,
          public: false,
          registry_enabled: false,
          master_lb_enabled: false,
          hidden: false,
          floating_ip_enabled: false,
        },
      ]);
      assert.match(run.stdout, /^\+-+\+-+\+\n\| Property +\| Value +\|\n/);
      assert.match(run.stdout, /\| labels +\| \{'a': '1', 'b': '2'\} +\|/);
      assert.match(run.stdout, /\| tls_disabled +\| True +\|/);
      assert.doesNotMatch(run.stdout, /links/);
    });

    void it('refuses malformed labels without calling the server', async () => {
      const run = await runCli(server.url, [
        'cluster-template-create',
        '--coe',
        'swarm',
        '--image',
        'i',
        '--labels',
        'a=1,broken,c=3',
      ]);
      assert.equal(run.code, 1);
      assert.equal(run.stderr, 'ERROR: labels must be a list of KEY=VALUE not "broken"\n');
      assert.equal(server.requests.length, 0);
    });

    void it('refuses --floating-ip-enabled together with --floating-ip-disabled', async () => {
      const run = await runCli(server.url, [
        'cluster-template-create',
        '--coe',
        'swarm',
        '--image',
        'i',
        '--floating-ip-enabled',
        '--floating-ip-disabled',
      ]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /mutually exclusive/);
    });

    void it('requires --image and --coe', async () => {
      const run = await runCli(server.url, ['cluster-template-create', '--coe', 'swarm']);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /required: --image/);
    });
  });

  void it('lists cluster templates with magnum columns across pages', async () => {
    handler = (req) =>
      req.path === '/v1/clustertemplates'
        ? {
            status: 200,
            body: { clustertemplates: [TEMPLATE], next: `${server.url}/v1/clustertemplates?limit=1&marker=${CT_UUID}` },
          }
        : { status: 200, body: { clustertemplates: [] } };
    const run = await runCli(server.url, ['cluster-template-list']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        '+--------------------------------------+----------+',
        '| uuid                                 | name     |',
        '+--------------------------------------+----------+',
        `| ${CT_UUID} | swarm-ct |`,
        '+--------------------------------------+----------+',
        '',
      ].join('\n'),
    );
  });

  void it('deletes several cluster templates, reporting each one, and fails when one fails', async () => {
    handler = (req) =>
      req.path.endsWith('/busy')
        ? magnumError(400, `ClusterTemplate busy is referenced by one or multiple clusters.`)
        : { status: 204 };
    const run = await runCli(server.url, ['cluster-template-delete', 'swarm-ct', 'busy']);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, 'Request to delete cluster template swarm-ct has been accepted.\n');
    assert.equal(
      run.stderr,
      'Delete for cluster template busy failed: ClusterTemplate busy is referenced by one or multiple clusters. (HTTP 400)\n',
    );
  });

  void it('lists clusters with uuid, name, keypair, counts, status and health', async () => {
    handler = () => ({
      status: 200,
      body: {
        clusters: [
          {
            uuid: CL_UUID,
            name: 'c1',
            keypair: null,
            node_count: 2,
            master_count: 1,
            status: 'CREATE_COMPLETE',
            health_status: 'HEALTHY',
            links: [],
          },
        ],
      },
    });
    const run = await runCli(server.url, ['cluster-list']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /\| uuid +\| name \| keypair \| node_count \| master_count \| status +\| health_status \|/,
    );
    assert.match(
      run.stdout,
      new RegExp(
        `\\| ${CL_UUID} \\| c1   \\| -       \\| 2          \\| 1            \\| CREATE_COMPLETE \\| HEALTHY       \\|`,
      ),
    );
  });

  void it('prints ERROR with the server message and exits 1 when a cluster is missing', async () => {
    const run = await runCli(server.url, ['cluster-show', 'ghost']);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'ERROR: Not found. (HTTP 404)\n');
  });

  void it('passes identity from the environment and flags as noauth headers', async () => {
    handler = () => ({ status: 200, body: { clusters: [] } });
    const run = await runCli(server.url, ['--roles', 'admin', 'cluster-list', '--token', 'abc'], {
      MAGNETAR_PROJECT: 'proj',
      MAGNETAR_USER: 'alice',
    });
    assert.equal(run.code, 0, run.stderr);
    const headers = server.requests[0]?.headers ?? {};
    assert.equal(headers['x-project-id'], 'proj');
    assert.equal(headers['x-user-id'], 'alice');
    assert.equal(headers['x-roles'], 'admin');
    assert.equal(headers['x-auth-token'], 'abc');
  });

  void describe('cluster-create', () => {
    /** A cluster that moves through `statuses` (one per GET) and gains one event per GET. */
    function lifecycle(statuses: string[], finalReason: string, eventsRoute = true): Handler {
      let gets = 0;
      const events = [
        event(1, 'certificates', 'cluster CA created'),
        event(2, 'network', 'network magnetar-c1 created'),
        event(3, 'nodes', 'manager and 2 workers started'),
        event(4, 'swarm', 'swarm formed'),
      ];
      return (req) => {
        if (req.method === 'GET' && req.path === '/v1/clustertemplates/swarm-ct')
          return { status: 200, body: TEMPLATE };
        if (req.method === 'POST' && req.path === '/v1/clusters') return { status: 202, body: { uuid: CL_UUID } };
        if (req.method === 'GET' && req.path === `/v1/clusters/${CL_UUID}`) {
          const status = statuses[Math.min(gets, statuses.length - 1)] ?? 'CREATE_IN_PROGRESS';
          gets++;
          const done = gets >= statuses.length;
          return { status: 200, body: { uuid: CL_UUID, name: 'c1', status, status_reason: done ? finalReason : null } };
        }
        if (req.method === 'GET' && req.path === `/v1/clusters/${CL_UUID}/events`) {
          if (!eventsRoute)
            return { status: 404, body: { errors: [{ status: 404, title: 'Not Found', detail: null }] } };
          return { status: 200, body: { events: events.slice(0, gets) } };
        }
        return magnumError(404, 'Not found.');
      };
    }

    void it('resolves the template and prints the accepted line', async () => {
      handler = lifecycle(['CREATE_IN_PROGRESS'], '');
      const run = await runCli(server.url, [
        'cluster-create',
        'c1',
        '--cluster-template',
        'swarm-ct',
        '--node-count',
        '2',
        '--labels',
        'x=y',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `Request to create cluster ${CL_UUID} has been accepted.\n`);
      assert.deepEqual(posts('/v1/clusters'), [
        { cluster_template_id: CT_UUID, name: 'c1', node_count: 2, labels: { x: 'y' } },
      ]);
    });

    void it('with --wait prints each new event once and exits 0 on CREATE_COMPLETE', async () => {
      handler = lifecycle(
        ['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
        'Cluster created in 4.2 s',
      );
      const run = await runCli(server.url, ['cluster-create', 'c1', '--cluster-template', 'swarm-ct', '--wait']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stdout,
        [
          `Request to create cluster ${CL_UUID} has been accepted.`,
          '2024-03-01T10:00:01+00:00 INFO [certificates] cluster CA created',
          '2024-03-01T10:00:02+00:00 INFO [network] network magnetar-c1 created',
          '2024-03-01T10:00:03+00:00 INFO [nodes] manager and 2 workers started',
          '2024-03-01T10:00:04+00:00 INFO [swarm] swarm formed',
          `Cluster ${CL_UUID} status: CREATE_COMPLETE`,
          'status_reason: Cluster created in 4.2 s',
          '',
        ].join('\n'),
      );
    });

    void it('with --wait exits 1 on CREATE_FAILED and shows the reason', async () => {
      handler = lifecycle(['CREATE_IN_PROGRESS', 'CREATE_FAILED'], 'phase nodes: engine unreachable');
      const run = await runCli(server.url, ['cluster-create', 'c1', '--cluster-template', 'swarm-ct', '--wait']);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /status: CREATE_FAILED\nstatus_reason: phase nodes: engine unreachable\n$/);
    });

    void it('with --wait prints status changes when the server has no events route', async () => {
      handler = lifecycle(['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE'], 'done', false);
      const run = await runCli(server.url, ['cluster-create', 'c1', '--cluster-template', 'swarm-ct', '--wait']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stdout,
        [
          `Request to create cluster ${CL_UUID} has been accepted.`,
          `Cluster ${CL_UUID} status: CREATE_IN_PROGRESS`,
          `Cluster ${CL_UUID} status: CREATE_COMPLETE`,
          'status_reason: done',
          '',
        ].join('\n'),
      );
    });
  });

  void describe('cluster-delete --wait', () => {
    function deleting(final: 'gone' | 'DELETE_FAILED'): Handler {
      let gets = 0;
      let deleted = false;
      return (req) => {
        if (req.method === 'DELETE' && req.path === '/v1/clusters/' + CL_UUID) {
          deleted = true;
          return { status: 204 };
        }
        if (req.path === '/v1/clusters/c1' || req.path === `/v1/clusters/${CL_UUID}`) {
          if (!deleted) return { status: 200, body: { uuid: CL_UUID, name: 'c1', status: 'CREATE_COMPLETE' } };
          gets++;
          if (gets < 3) return { status: 200, body: { uuid: CL_UUID, name: 'c1', status: 'DELETE_IN_PROGRESS' } };
          if (final === 'gone') return magnumError(404, `Cluster ${CL_UUID} could not be found.`);
          return {
            status: 200,
            body: { uuid: CL_UUID, name: 'c1', status: 'DELETE_FAILED', status_reason: 'network in use' },
          };
        }
        if (req.path.endsWith('/events')) {
          const events = [event(1, 'create', 'old event')];
          if (deleted) events.push(event(5, 'delete', 'containers removed'));
          return { status: 200, body: { events } };
        }
        return magnumError(404, 'Not found.');
      };
    }

    void it('waits until the cluster is gone, printing only events of the deletion', async () => {
      handler = deleting('gone');
      const run = await runCli(server.url, ['cluster-delete', 'c1', '--wait']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stdout,
        [
          'Request to delete cluster c1 has been accepted.',
          '2024-03-01T10:00:05+00:00 INFO [delete] containers removed',
          `Cluster ${CL_UUID} has been deleted.`,
          '',
        ].join('\n'),
      );
    });

    void it('exits 1 on DELETE_FAILED', async () => {
      handler = deleting('DELETE_FAILED');
      const run = await runCli(server.url, ['cluster-delete', 'c1', '--wait']);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /status: DELETE_FAILED\nstatus_reason: network in use\n$/);
    });
  });
});
