/** @module test/unit/cli/cluster-events — `cluster-events` and the stream-based `--wait` against a canned server. */

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseSseBlock } from '../../../src/cli/api-client.ts';
import { magnumError, runCli, startFakeMagnum } from './fake-magnum.ts';
import type { FakeMagnum, Handler, Reply } from './fake-magnum.ts';

const CT_UUID = '0a3c8b6e-5f1d-4f8e-9a55-1d6c2f0b7e11';
const CL_UUID = '5d12f6fd-a196-4bf0-ae4c-1f639a523a52';
const TEMPLATE = {
  uuid: CT_UUID,
  name: 'swarm-ct',
  coe: 'swarm',
  image_id: 'coe-node',
  tls_disabled: false,
  labels: {},
};
const CLUSTER = { uuid: CL_UUID, name: 'c1', cluster_template_id: CT_UUID, status: 'CREATE_IN_PROGRESS' };
const STREAM = `/v1/clusters/${CL_UUID}/events/stream`;

function ev(id: number, phase: string, message: string, level = 'info'): Record<string, unknown> {
  return { id, time: `2024-03-01T10:00:0${id}+00:00`, phase, level, message };
}

/** An SSE body: events with ids, heartbeats, then (when given) the end. */
function sse(events: Record<string, unknown>[], end?: Record<string, unknown>): Reply {
  let text = 'retry: 2000\n\n: keep-alive\n\n';
  for (const e of events) text += `id: ${String(e.id)}\ndata: ${JSON.stringify(e)}\n\n`;
  if (end) text += `event: end\ndata: ${JSON.stringify(end)}\n\n`;
  return { status: 200, text, headers: { 'Content-Type': 'text/event-stream; charset=utf-8' } };
}

void describe('cluster-events', () => {
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

  const paths = (): string[] => server.requests.map((r) => `${r.method} ${r.path}`);

  void it('lists the timeline, failures with their cause', async () => {
    handler = (req) => {
      if (req.path === '/v1/clusters/c1') return { status: 200, body: CLUSTER };
      if (req.path === `/v1/clusters/${CL_UUID}/events`) {
        return {
          status: 200,
          body: {
            events: [
              ev(1, 'accepted', 'create accepted'),
              { ...ev(2, 'failed', '[timeout] nodes not Ready after 60s', 'error'), cause: 'timeout' },
            ],
          },
        };
      }
      return magnumError(404, 'Not found.');
    };
    const run = await runCli(server.url, ['cluster-events', 'c1']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        '2024-03-01T10:00:01+00:00 INFO [accepted] create accepted',
        '2024-03-01T10:00:02+00:00 ERROR [failed] [timeout] nodes not Ready after 60s',
        '',
      ].join('\n'),
    );
  });

  void it('--format json and value give the events’ fields; --format conflicts with --follow', async () => {
    handler = (req) => {
      if (req.path === '/v1/clusters/c1') return { status: 200, body: CLUSTER };
      if (req.path === `/v1/clusters/${CL_UUID}/events`) {
        const failed = { ...ev(2, 'failed', 'nodes not Ready', 'error'), cause: 'timeout' };
        return { status: 200, body: { events: [ev(1, 'accepted', 'create accepted'), failed] } };
      }
      return magnumError(404, 'Not found.');
    };
    const json = await runCli(server.url, ['cluster-events', 'c1', '--format', 'json', '--after', '1']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), [
      {
        id: 2,
        time: '2024-03-01T10:00:02+00:00',
        level: 'error',
        phase: 'failed',
        message: 'nodes not Ready',
        cause: 'timeout',
      },
    ]);
    const value = await runCli(server.url, ['cluster-events', 'c1', '-f', 'value']);
    assert.equal(
      value.stdout,
      '1 2024-03-01T10:00:01+00:00 info accepted create accepted None\n' +
        '2 2024-03-01T10:00:02+00:00 error failed nodes not Ready timeout\n',
    );
    const both = await runCli(server.url, ['cluster-events', 'c1', '-f', 'json', '--follow']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /cannot be used with option '--follow'/);
  });

  void it('with --follow streams events until the end event and exits 1 on a *_FAILED status', async () => {
    handler = (req) => {
      if (req.path === '/v1/clusters/c1') return { status: 200, body: CLUSTER };
      if (req.path === STREAM) {
        return sse([ev(1, 'accepted', 'create accepted'), ev(2, 'failed', '[capacity] no free subnet', 'error')], {
          uuid: CL_UUID,
          status: 'CREATE_FAILED',
          status_reason: 'network: no free subnet',
          gone: false,
        });
      }
      return magnumError(404, 'Not found.');
    };
    const run = await runCli(server.url, ['cluster-events', 'c1', '--follow']);
    assert.equal(run.code, 1);
    assert.equal(
      run.stdout,
      [
        '2024-03-01T10:00:01+00:00 INFO [accepted] create accepted',
        '2024-03-01T10:00:02+00:00 ERROR [failed] [capacity] no free subnet',
        `Cluster ${CL_UUID} status: CREATE_FAILED`,
        'status_reason: network: no free subnet',
        '',
      ].join('\n'),
    );
    const streamReq = server.requests.find((r) => r.path === STREAM);
    assert.equal(streamReq?.headers.accept, 'text/event-stream');
    assert.ok(!paths().includes(`GET /v1/clusters/${CL_UUID}/events`), 'the stream is used instead of polling');
  });

  void it('resumes a dropped stream with Last-Event-ID, printing no event twice', async () => {
    let opened = 0;
    handler = (req) => {
      if (req.path === '/v1/clusters/c1') return { status: 200, body: CLUSTER };
      if (req.path === STREAM) {
        opened++;
        // The first connection drops after two events; the server resumes after Last-Event-ID.
        if (opened === 1) return sse([ev(1, 'accepted', 'create accepted'), ev(2, 'network', 'network created')]);
        const after = Number(req.headers['last-event-id']);
        const all = [
          ev(1, 'accepted', 'create accepted'),
          ev(2, 'network', 'network created'),
          ev(3, 'complete', 'cluster created'),
        ];
        return sse(
          all.filter((e) => (e.id as number) > after),
          { uuid: CL_UUID, status: 'CREATE_COMPLETE', status_reason: null, gone: false },
        );
      }
      return magnumError(404, 'Not found.');
    };
    const run = await runCli(server.url, ['cluster-events', 'c1', '--follow']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        '2024-03-01T10:00:01+00:00 INFO [accepted] create accepted',
        '2024-03-01T10:00:02+00:00 INFO [network] network created',
        '2024-03-01T10:00:03+00:00 INFO [complete] cluster created',
        `Cluster ${CL_UUID} status: CREATE_COMPLETE`,
        '',
      ].join('\n'),
    );
    assert.equal(server.requests.filter((r) => r.path === STREAM)[1]?.headers['last-event-id'], '2');
  });

  void it('cluster-create --wait follows the stream and exits 0 on CREATE_COMPLETE', async () => {
    handler = (req) => {
      if (req.path === '/v1/clustertemplates/swarm-ct') return { status: 200, body: TEMPLATE };
      if (req.method === 'POST' && req.path === '/v1/clusters') return { status: 202, body: { uuid: CL_UUID } };
      if (req.path === STREAM)
        return sse([ev(1, 'accepted', 'create accepted'), ev(2, 'complete', 'cluster created')], {
          uuid: CL_UUID,
          status: 'CREATE_COMPLETE',
          status_reason: null,
          gone: false,
        });
      return magnumError(404, 'Not found.');
    };
    const run = await runCli(server.url, ['cluster-create', 'c1', '--cluster-template', 'swarm-ct', '--wait']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        `Request to create cluster ${CL_UUID} has been accepted.`,
        '2024-03-01T10:00:01+00:00 INFO [accepted] create accepted',
        '2024-03-01T10:00:02+00:00 INFO [complete] cluster created',
        `Cluster ${CL_UUID} status: CREATE_COMPLETE`,
        '',
      ].join('\n'),
    );
  });

  void it('cluster-delete --wait streams only the events after the delete and ends when the cluster is gone', async () => {
    let deleted = false;
    handler = (req) => {
      if (req.path === '/v1/clusters/c1') return { status: 200, body: { ...CLUSTER, status: 'CREATE_COMPLETE' } };
      if (req.path === `/v1/clusters/${CL_UUID}/events`)
        return { status: 200, body: { events: [ev(1, 'complete', 'cluster created')] } };
      if (req.method === 'DELETE' && req.path === `/v1/clusters/${CL_UUID}`) {
        deleted = true;
        return { status: 204 };
      }
      if (req.path === STREAM && deleted) {
        const after = Number(req.headers['last-event-id'] ?? 0);
        const all = [
          ev(1, 'complete', 'cluster created'),
          ev(2, 'accepted', 'delete accepted'),
          ev(3, 'teardown', 'containers removed'),
        ];
        return sse(
          all.filter((e) => (e.id as number) > after),
          { uuid: CL_UUID, status: 'DELETE_COMPLETE', status_reason: null, gone: true },
        );
      }
      return magnumError(404, 'Not found.');
    };
    const run = await runCli(server.url, ['cluster-delete', 'c1', '--wait']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        'Request to delete cluster c1 has been accepted.',
        '2024-03-01T10:00:02+00:00 INFO [accepted] delete accepted',
        '2024-03-01T10:00:03+00:00 INFO [teardown] containers removed',
        `Cluster ${CL_UUID} has been deleted.`,
        '',
      ].join('\n'),
    );
  });

  void it('cluster-delete --wait ends with DELETE_FAILED and its reason from the stream (exit 1)', async () => {
    let deleted = false;
    handler = (req) => {
      if (req.path === '/v1/clusters/c1') return { status: 200, body: { ...CLUSTER, status: 'CREATE_COMPLETE' } };
      if (req.path === `/v1/clusters/${CL_UUID}/events`) return { status: 200, body: { events: [] } };
      if (req.method === 'DELETE') {
        deleted = true;
        return { status: 204 };
      }
      if (req.path === STREAM && deleted) {
        return sse([ev(1, 'accepted', 'delete accepted'), ev(2, 'failed', 'teardown: network in use', 'error')], {
          uuid: CL_UUID,
          status: 'DELETE_FAILED',
          status_reason: 'teardown: network in use',
          gone: false,
        });
      }
      return magnumError(404, 'Not found.');
    };
    const run = await runCli(server.url, ['cluster-delete', 'c1', '--wait']);
    assert.equal(run.code, 1);
    assert.equal(
      run.stdout,
      [
        'Request to delete cluster c1 has been accepted.',
        '2024-03-01T10:00:01+00:00 INFO [accepted] delete accepted',
        '2024-03-01T10:00:02+00:00 ERROR [failed] teardown: network in use',
        `Cluster ${CL_UUID} status: DELETE_FAILED`,
        'status_reason: teardown: network in use',
        '',
      ].join('\n'),
    );
  });

  void it('cluster-delete --wait of several clusters follows them together, each line prefixed', async () => {
    const OTHER = '7e0d2c4b-1a2b-4c3d-8e9f-0a1b2c3d4e5f';
    const deleted = new Set<string>();
    const streamsOpen = new Set<string>();
    let release: () => void = () => undefined;
    const bothOpen = new Promise<void>((resolve) => (release = resolve));
    handler = async (req) => {
      const byName: Record<string, string> = { c1: CL_UUID, c2: OTHER };
      const name = /^\/v1\/clusters\/(c1|c2)$/.exec(req.path)?.[1];
      if (name) return { status: 200, body: { ...CLUSTER, uuid: byName[name], name, status: 'CREATE_COMPLETE' } };
      if (req.path.endsWith('/events')) return { status: 200, body: { events: [] } };
      if (req.method === 'DELETE') {
        deleted.add(req.path.split('/')[3] ?? '');
        return { status: 204 };
      }
      const streamOf = /^\/v1\/clusters\/([^/]+)\/events\/stream$/.exec(req.path)?.[1];
      if (streamOf && deleted.has(streamOf)) {
        // each stream answers only once both are open: following one after the other would hang here
        streamsOpen.add(streamOf);
        if (streamsOpen.size === 2) release();
        await bothOpen;
        return sse([ev(1, 'teardown', `removed ${streamOf.slice(0, 4)}`)], {
          uuid: streamOf,
          status: 'DELETE_COMPLETE',
          status_reason: null,
          gone: true,
        });
      }
      return magnumError(404, 'Not found.');
    };
    const run = await runCli(server.url, ['cluster-delete', 'c1', 'c2', '--wait']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 2), [
      'Request to delete cluster c1 has been accepted.',
      'Request to delete cluster c2 has been accepted.',
    ]);
    assert.deepEqual(
      lines.slice(2).sort(),
      [
        `c1: 2024-03-01T10:00:01+00:00 INFO [teardown] removed ${CL_UUID.slice(0, 4)}`,
        `c1: Cluster ${CL_UUID} has been deleted.`,
        `c2: 2024-03-01T10:00:01+00:00 INFO [teardown] removed ${OTHER.slice(0, 4)}`,
        `c2: Cluster ${OTHER} has been deleted.`,
      ].sort(),
    );
  });
});

void describe('server-sent event blocks', () => {
  void it('parse into events, the end, and nothing for comments and retry lines', () => {
    assert.deepEqual(parseSseBlock('id: 7\ndata: {"id":7,"phase":"p","level":"info","message":"m","time":"t"}'), {
      type: 'event',
      event: { id: 7, phase: 'p', level: 'info', message: 'm', time: 't' },
    });
    assert.deepEqual(parseSseBlock('event: end\ndata: {"status":"DELETE_COMPLETE","status_reason":null,"gone":true}'), {
      type: 'end',
      status: 'DELETE_COMPLETE',
      statusReason: null,
      gone: true,
    });
    assert.equal(parseSseBlock(': keep-alive'), null);
    assert.equal(parseSseBlock('retry: 2000'), null);
  });
});
