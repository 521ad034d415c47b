/**
 * The event timeline as server-sent events, against a real `magnetar api` and a `magnetar conductor` in another
 * process (the stream polls the store, so it sees what the other process writes), and the CLI on top of it:
 * `cluster-events [--follow]`, `cluster-create --wait` and `cluster-delete --wait`; a failure carries its cause.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import {
  cli,
  getJson,
  REPO,
  startApi,
  startConductor,
  type MagnetarProcess,
  type ServeProcess,
} from '../../helpers/service-process.ts';

const HEADERS = { 'OpenStack-API-Version': 'container-infra latest' };

interface SseBlock {
  id: string | undefined;
  event: string;
  data: Record<string, unknown> | undefined;
}

/** Reads a stream to its end; returns the response headers and the blocks (comments and retry lines dropped). */
async function readStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | null; blocks: SseBlock[] }> {
  const res = await fetch(url, {
    headers: { ...HEADERS, Accept: 'text/event-stream', ...headers },
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  const blocks: SseBlock[] = [];
  for (const raw of text.split('\n\n')) {
    const lines = raw.split('\n').filter((l) => l && !l.startsWith(':') && !l.startsWith('retry:'));
    if (lines.length === 0) continue;
    const field = (name: string): string | undefined =>
      lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
    const data = field('data');
    blocks.push({
      id: field('id'),
      event: field('event') ?? 'message',
      data: data ? (JSON.parse(data) as Record<string, unknown>) : undefined,
    });
  }
  return { status: res.status, type: res.headers.get('content-type'), blocks };
}

describe('the cluster event stream', () => {
  const host = new Engine({ socketPath: '/var/run/docker.sock' });
  let dir: string;
  let state: string;
  let api: ServeProcess;
  let conductor: MagnetarProcess | undefined;

  before(async () => {
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: join(REPO, 'scripts'),
      ifMissing: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'magnetar-stream-'));
    state = join(dir, 'state');
    api = await startApi(state);
    // No health pass here: its status events would land after the create and change the counts compared below.
    conductor = await startConductor(state, { env: { MAGNETAR_SYNC_SECONDS: '0' } });
    const t = await cli(api.url, [
      'cluster-template-create',
      '--name',
      'stream-t',
      '--coe',
      'swarm',
      '--image',
      'magnetar/node:bookworm',
      '--server-type',
      'container',
    ]);
    assert.equal(t.code, 0, t.stderr);
  });

  after(async () => {
    await conductor?.stop();
    await api?.stop();
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams a create as it happens, resumes after Last-Event-ID, and the CLI deletes with --wait on it', async () => {
    const tmpl = await getJson(`${api.url}/v1/clustertemplates/stream-t`);
    const created = await fetch(`${api.url}/v1/clusters`, {
      method: 'POST',
      headers: { ...HEADERS, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'stream-a', cluster_template_id: tmpl.body.uuid, master_count: 1, node_count: 1 }),
    });
    assert.equal(created.status, 202);
    const { uuid } = (await created.json()) as { uuid: string };
    const stream = `${api.url}/v1/clusters/${uuid}/events/stream`;

    const live = await readStream(stream);
    assert.equal(live.status, 200);
    assert.match(live.type ?? '', /^text\/event-stream/);
    const events = live.blocks.filter((b) => b.event === 'message');
    const end = live.blocks.at(-1);
    assert.equal(end?.event, 'end');
    assert.deepEqual(end?.data, { uuid, status: 'CREATE_COMPLETE', status_reason: null, gone: false });
    assert.ok(events.length >= 4, JSON.stringify(live.blocks));
    assert.equal(events[0]?.data?.phase, 'accepted');
    assert.equal(events.at(-1)?.data?.phase, 'complete');
    const ids = events.map((b) => Number(b.id));
    assert.deepEqual(
      ids,
      events.map((b) => b.data?.id),
      'the SSE id is the event id',
    );
    assert.ok(
      ids.every((id, i) => i === 0 || id > (ids[i - 1] as number)),
      `ids increase: ${ids.join(',')}`,
    );
    assert.ok(
      events.some((b) => /joined as worker/.test(String(b.data?.message))),
      'events written by the other process arrive',
    );

    const resumed = await readStream(stream, { 'Last-Event-ID': String(ids[1]) });
    assert.deepEqual(
      resumed.blocks.filter((b) => b.event === 'message').map((b) => Number(b.id)),
      ids.slice(2),
    );
    assert.equal(resumed.blocks.at(-1)?.event, 'end');

    const listed = await cli(api.url, ['cluster-events', 'stream-a']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout.trim().split('\n').length, events.length);
    assert.match(listed.stdout, /INFO \[complete\] cluster created/);

    const deleted = await cli(api.url, ['cluster-delete', 'stream-a', '--wait']);
    assert.equal(deleted.code, 0, `${deleted.stdout}\n${deleted.stderr}`);
    assert.match(deleted.stdout, /\[accepted\] delete accepted/);
    assert.doesNotMatch(deleted.stdout, /cluster created/, 'only the events of the deletion are printed');
    assert.match(deleted.stdout, new RegExp(`Cluster ${uuid} has been deleted\\.\\n$`));
    assert.equal((await host.listContainers([`${CLUSTER_LABEL}=${uuid}`])).length, 0);

    const gone = await fetch(stream, { headers: HEADERS });
    assert.equal(gone.status, 404);
    assert.match(await gone.text(), /could not be found/);
  });

  it('shows a failure with its classified cause; cluster-create --wait exits 1', async () => {
    // A conductor whose provider is unreachable: the create fails after its attempts, as provider-unreachable.
    await conductor?.stop();
    conductor = await startConductor(state, {
      env: { MAGNETAR_DOCKER_SOCKET: join(dir, 'no-docker.sock'), MAGNETAR_MAX_ATTEMPTS: '2' },
    });
    const run = await cli(api.url, [
      'cluster-create',
      'stream-b',
      '--cluster-template',
      'stream-t',
      '--node-count',
      '1',
      '--wait',
    ]);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /WARNING \[\w+\] \[provider-unreachable\] attempt 1 failed/);
    assert.match(run.stdout, /ERROR \[failed\] \[provider-unreachable\] /);
    assert.match(run.stdout, /status: CREATE_FAILED\nstatus_reason: .*ENOENT/);

    const { body } = await getJson(`${api.url}/v1/clusters/stream-b/events`);
    const failed = (body.events as Record<string, unknown>[]).find((e) => e.level === 'error');
    assert.equal(failed?.cause, 'provider-unreachable');

    const follow = await cli(api.url, ['cluster-events', 'stream-b', '--follow']);
    assert.equal(follow.code, 1, 'following a failed cluster ends at once, non-zero');
    assert.match(follow.stdout, /status: CREATE_FAILED/);
  });

  it('keeps a stream open while the cluster is in progress and ends it when the API stops', async () => {
    // An API with no conductor anywhere: the create stays CREATE_IN_PROGRESS.
    const alone = await startApi(join(dir, 'alone'));
    try {
      const t = await cli(alone.url, [
        'cluster-template-create',
        '--name',
        'alone-t',
        '--coe',
        'swarm',
        '--image',
        'magnetar/node:bookworm',
        '--server-type',
        'container',
      ]);
      assert.equal(t.code, 0, t.stderr);
      const c = await cli(alone.url, ['cluster-create', 'alone-c', '--cluster-template', 'alone-t']);
      assert.equal(c.code, 0, c.stderr);
      const { body } = await getJson(`${alone.url}/v1/clusters/alone-c`);
      const res = await fetch(`${alone.url}/v1/clusters/${String(body.uuid)}/events/stream`, {
        headers: { ...HEADERS, Accept: 'text/event-stream' },
      });
      assert.equal(res.status, 200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      assert.match(first, /retry: 2000/);
      const started = Date.now();
      assert.equal(await alone.stop(), 0);
      assert.ok(Date.now() - started < 10_000, 'the open stream does not hold the shutdown');
      let rest = '';
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      assert.doesNotMatch(rest, /event: end/, 'a stream cut by shutdown has no end event: the client reconnects');
    } finally {
      await alone.stop();
    }
  });
});
