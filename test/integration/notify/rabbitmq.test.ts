/**
 * Notifications through a real RabbitMQ on 127.0.0.1:5672 (scripts/ensure-system.sh rabbitmq) from a real
 * `magnetar serve` creating, resizing and deleting a real swarm cluster: a test queue bound to the exchange with
 * `notifications.*` sees every create/update/delete notification, in the oslo.messaging v2.0 envelope with its CADF
 * payload; and with RabbitMQ unreachable during an operation, the notifications wait in the outbox and arrive, all
 * of them, once it is reachable again.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { findFreePort } from '../../../src/providers/docker/free-port.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import { openDb } from '../../../src/store/database.ts';
import { Store } from '../../../src/store/store.ts';
import { REPO, startServe, waitCluster, type ServeProcess } from '../../helpers/service-process.ts';

const BROKER = 'amqp://guest:guest@127.0.0.1:5672/';
const USER = { 'X-User-Id': 'u-notify', 'X-Project-Id': 'p-notify', 'X-Roles': 'admin' };

interface Received {
  routingKey: string;
  contentType: string | undefined;
  envelope: Record<string, unknown>;
  message: Record<string, unknown>;
}

/** A queue of its own bound to `exchange` with `notifications.*`, collecting what arrives. */
async function listen(exchange: string): Promise<{ got: Received[]; close(): Promise<void>; channel: Channel }> {
  const model: ChannelModel = await connect(BROKER);
  const channel = await model.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
  const q = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(q.queue, exchange, 'notifications.*');
  const got: Received[] = [];
  await channel.consume(
    q.queue,
    (m) => {
      if (!m) return;
      const envelope = JSON.parse(m.content.toString('utf8')) as Record<string, unknown>;
      got.push({
        routingKey: m.fields.routingKey,
        contentType: m.properties.contentType as string | undefined,
        envelope,
        message: JSON.parse(envelope['oslo.message'] as string) as Record<string, unknown>,
      });
    },
    { noAck: true },
  );
  return {
    got,
    channel,
    close: async () => {
      await channel.deleteExchange(exchange).catch(() => undefined);
      await model.close().catch(() => undefined);
    },
  };
}

/** A TCP relay to the broker that the test can cut (closing every connection) and restore on the same port. */
class Relay {
  readonly port: number;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  constructor(port: number) {
    this.port = port;
  }
  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: 5672 });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.#server = server;
  }
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function api(
  svc: ServeProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${svc.url}${path}`, {
    method,
    headers: {
      ...USER,
      'OpenStack-API-Version': 'container-infra latest',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function until<T>(what: string, fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const kinds = (got: Received[]): string[] =>
  got.map((r) => `${String(r.message.event_type)}:${String((r.message.payload as Record<string, unknown>).outcome)}`);
const content = (r: Received): Record<string, unknown> => {
  const target = (r.message.payload as { target: { attachments: { content: Record<string, unknown> }[] } }).target;
  return target.attachments[0]?.content ?? {};
};

async function createCluster(svc: ServeProcess, name: string): Promise<string> {
  const t = await api(svc, 'POST', '/v1/clustertemplates', {
    name: `${name}-t`,
    coe: 'swarm',
    image_id: 'magnetar/node:bookworm',
    server_type: 'container',
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  const c = await api(svc, 'POST', '/v1/clusters', {
    name,
    cluster_template_id: t.body.uuid,
    master_count: 1,
    node_count: 1,
  });
  assert.equal(c.status, 202, JSON.stringify(c.body));
  return c.body.uuid as string;
}

describe('cluster notifications on RabbitMQ', () => {
  const host = new Engine({ socketPath: '/var/run/docker.sock' });
  let dir: string;

  before(async () => {
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: join(REPO, 'scripts'),
      ifMissing: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'magnetar-notify-'));
  });

  after(async () => {
    host.close();
    // The notifier's queues (named after the routing keys, as oslo declares them) would keep what no one consumed.
    const model = await connect(BROKER);
    const ch = await model.createChannel();
    for (const q of ['notifications.info', 'notifications.error']) await ch.deleteQueue(q).catch(() => undefined);
    await model.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes create, update and delete with pending and success outcomes and CADF payloads', async () => {
    const exchange = `magnetar-test-${randomBytes(4).toString('hex')}`;
    const consumer = await listen(exchange);
    const state = join(dir, 'lifecycle');
    const svc = await startServe(state, {
      env: {
        MAGNETAR_NOTIFY_TRANSPORT_URL: BROKER,
        MAGNETAR_NOTIFY_EXCHANGE: exchange,
        MAGNETAR_NOTIFY_HOST: 'test-host',
        MAGNETAR_NOTIFY_POLL_MS: '100',
      },
    });
    try {
      const uuid = await createCluster(svc, 'notify-a');
      await waitCluster(svc.url, uuid, (s) => s === 'CREATE_COMPLETE' || s === 'CREATE_FAILED');
      const patched = await api(svc, 'PATCH', `/v1/clusters/${uuid}`, [
        { op: 'replace', path: '/node_count', value: 2 },
      ]);
      assert.equal(patched.status, 202, JSON.stringify(patched.body));
      await waitCluster(svc.url, uuid, (s) => s === 'UPDATE_COMPLETE' || s === 'UPDATE_FAILED');
      assert.equal((await api(svc, 'DELETE', `/v1/clusters/${uuid}`)).status, 204);
      await waitCluster(svc.url, uuid, (_s, code) => code === 404);

      const want = [
        'magnum.cluster.create:pending',
        'magnum.cluster.create:success',
        'magnum.cluster.update:pending',
        'magnum.cluster.update:success',
        'magnum.cluster.delete:pending',
        'magnum.cluster.delete:success',
      ];
      const got = await until(
        'six notifications',
        () => consumer.got,
        (g) => g.length >= want.length,
      );
      assert.deepEqual(kinds(got), want, svc.output());

      for (const r of got) {
        assert.equal(r.routingKey, 'notifications.info');
        assert.equal(r.contentType, 'application/json');
        assert.deepEqual(Object.keys(r.envelope), ['oslo.version', 'oslo.message']);
        assert.equal(r.envelope['oslo.version'], '2.0');
        assert.deepEqual(Object.keys(r.message).slice(0, 7), [
          'message_id',
          'publisher_id',
          'event_type',
          'priority',
          'payload',
          'timestamp',
          '_unique_id',
        ]);
        assert.equal(r.message.publisher_id, 'container-infra.test-host');
        assert.equal(r.message.priority, 'INFO');
        assert.match(r.message.timestamp as string, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
        assert.match(r.message._unique_id as string, /^[0-9a-f]{32}$/);
        assert.equal(r.message._context_auth_token, null);
        const p = r.message.payload as Record<string, unknown>;
        assert.equal(p.typeURI, 'http://schemas.dmtf.org/cloud/audit/1.0/event');
        assert.equal(p.eventType, 'activity');
        assert.match(p.eventTime as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000$/);
        assert.equal(p.action, (r.message.event_type as string).split('.')[2]);
        assert.deepEqual((p.observer as Record<string, unknown>).typeURI, 'service/magnum/cluster');
        const target = p.target as Record<string, unknown>;
        assert.equal(target.id, uuid);
        assert.equal(target.name, 'notify-a');
        assert.equal(target.typeURI, 'service/magnum/cluster');
        const initiator = p.initiator as Record<string, unknown>;
        assert.equal(initiator.typeURI, 'service/security/account/user');
        if (p.outcome === 'pending') {
          // Pending comes from the API request: the caller is the initiator and in the context.
          assert.equal(initiator.user_id, 'u-notify');
          assert.equal(initiator.project_id, 'p-notify');
          assert.equal(r.message._context_user_id, 'u-notify');
          assert.match(r.message._context_request_id as string, /^req-/);
        } else {
          // Success comes from the conductor, which (like Magnum's periodic tasks) has no user.
          assert.equal(initiator.user_id, undefined);
          assert.equal(r.message._context_is_admin, true);
        }
      }
      const [cp, cs, up, us, dp, ds] = got.map(content);
      assert.equal(cp?.status, 'CREATE_IN_PROGRESS');
      assert.equal(cp?.project_id, 'p-notify');
      assert.equal(cp?.node_count, 1);
      assert.equal(cp?.master_count, 1);
      assert.ok(cp && 'docker_volume_size:' in cp);
      assert.equal(cs?.status, 'CREATE_COMPLETE');
      assert.match(cs?.api_address as string, /^tcp:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((cs?.node_addresses as string[]).length, 1);
      assert.equal(up?.status, 'UPDATE_IN_PROGRESS');
      assert.equal(up?.node_count, 2);
      assert.equal(us?.status, 'UPDATE_COMPLETE');
      assert.equal((us?.node_addresses as string[]).length, 2);
      assert.equal(dp?.status, 'DELETE_IN_PROGRESS');
      assert.equal(ds?.status, 'DELETE_COMPLETE');

      const store = new Store(await openDb({ url: join(state, 'magnetar.db'), migrate: false }));
      try {
        await until(
          'an empty outbox',
          () => store.outbox.list(),
          (rows) => rows.length === 0,
          10_000,
        );
      } finally {
        await store.close();
      }
    } finally {
      await svc.stop();
      await consumer.close();
    }
  });

  it('keeps notifications in the outbox while RabbitMQ is unreachable and delivers every one once it is back', async () => {
    const exchange = `magnetar-test-${randomBytes(4).toString('hex')}`;
    const consumer = await listen(exchange);
    const relay = new Relay(await findFreePort());
    await relay.open();
    const state = join(dir, 'outage');
    const svc = await startServe(state, {
      env: {
        MAGNETAR_NOTIFY_TRANSPORT_URL: `amqp://guest:guest@127.0.0.1:${relay.port}/`,
        MAGNETAR_NOTIFY_EXCHANGE: exchange,
        MAGNETAR_NOTIFY_POLL_MS: '100',
      },
    });
    const store = new Store(await openDb({ url: join(state, 'magnetar.db'), migrate: false }));
    try {
      const uuid = await createCluster(svc, 'notify-b');
      await waitCluster(svc.url, uuid, (s) => s === 'CREATE_COMPLETE' || s === 'CREATE_FAILED');
      await until(
        'the create notifications',
        () => kinds(consumer.got),
        (k) => k.length >= 2,
      );
      assert.deepEqual(kinds(consumer.got), ['magnum.cluster.create:pending', 'magnum.cluster.create:success']);

      // RabbitMQ becomes unreachable (open connections cut, the port closed) for the whole delete.
      await relay.cut();
      assert.equal((await api(svc, 'DELETE', `/v1/clusters/${uuid}`)).status, 204);
      await waitCluster(svc.url, uuid, (_s, code) => code === 404);
      const waiting = await until(
        'two failed attempts in the outbox',
        () => store.outbox.list(),
        (rows) =>
          rows.length === 2 &&
          rows.every((r) => r.attempts > 0 || r.last_error === null) &&
          rows.some((r) => r.attempts > 0),
      );
      assert.deepEqual(
        waiting.map((r) => r.event_type),
        ['magnum.cluster.delete', 'magnum.cluster.delete'],
      );
      assert.ok(
        waiting.some((r) => (r.last_error ?? '').length > 0),
        JSON.stringify(waiting),
      );
      assert.equal(consumer.got.length, 2);

      await relay.open();
      await until(
        'the delete notifications',
        () => kinds(consumer.got),
        (k) => k.length >= 4,
        60_000,
      );
      assert.deepEqual(kinds(consumer.got), [
        'magnum.cluster.create:pending',
        'magnum.cluster.create:success',
        'magnum.cluster.delete:pending',
        'magnum.cluster.delete:success',
      ]);
      const ids = consumer.got.map((r) => r.message.message_id);
      assert.equal(new Set(ids).size, ids.length);
      await until(
        'an empty outbox',
        () => store.outbox.list(),
        (rows) => rows.length === 0,
        10_000,
      );
    } finally {
      await store.close();
      await svc.stop();
      await relay.cut();
      await consumer.close();
    }
  });
});
