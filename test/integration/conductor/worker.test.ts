/**
 * The conductor's worker against a real SQLite store and real CA, with a scripted driver (the one fake: this tests the
 * conductor module alone). Every path ends in a final status with a reason, or a queued retry — never stuck.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClusterCa } from '../../../src/certs/cluster-ca.ts';
import { KeySealer } from '../../../src/certs/key-sealing.ts';
import { Worker } from '../../../src/conductor/worker.ts';
import { newCluster } from '../../../src/core/cluster-rules.ts';
import type { Caller, ClusterTemplate } from '../../../src/core/types.ts';
import { DriverError, type ClusterOutputs, type Driver, type DriverContext } from '../../../src/drivers/contract.ts';
import { DriverRegistry } from '../../../src/drivers/registry.ts';
import { openDb } from '../../../src/store/database.ts';
import { Store } from '../../../src/store/store.ts';
import { templateRecord } from '../../helpers/builders.ts';

const caller: Caller = { userId: 'u', projectId: 'p', roles: ['admin'], isAdmin: true };
const silent = { info: () => {}, warn: () => {}, debug: () => {} };

type Script = (ctx: DriverContext, call: number) => Promise<ClusterOutputs>;

/** A driver whose ensureCluster follows a script; removeCluster records calls. */
class ScriptedDriver implements Driver {
  readonly name = 'scripted';
  readonly provides = [{ serverType: 'container', os: 'debian', coe: 'swarm' }];
  readonly capabilities = new Set<never>();
  readonly defaultNetworkDriver = 'docker';
  script: Script = async () => outputs;
  calls = 0;
  removed: string[] = [];
  validateTemplate(): void {}
  ensureCluster(ctx: DriverContext): Promise<ClusterOutputs> {
    return this.script(ctx, ++this.calls);
  }
  async removeCluster(ctx: DriverContext): Promise<void> {
    this.removed.push(ctx.cluster.uuid);
  }
}

const outputs: ClusterOutputs = {
  apiAddress: 'tcp://127.0.0.1:1234',
  coeVersion: '20.10',
  containerVersion: '20.10',
  addresses: { 'default-master': ['10.1.1.10'], 'default-worker': ['10.1.1.20'] },
};

describe('conductor worker', () => {
  let dir: string;
  let store: Store;
  let ca: ClusterCa;
  let template: ClusterTemplate;
  const driver = new ScriptedDriver();
  const drivers = new DriverRegistry();
  drivers.register(driver);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-worker-'));
    store = new Store(await openDb({ url: join(dir, 'db.sqlite') }));
    ca = new ClusterCa(store.certificates, new KeySealer(randomBytes(32)));
    const now = new Date().toISOString();
    template = await store.templates.insert(
      templateRecord({ name: 't', project_id: 'p', user_id: 'u', image_id: 'img', created_at: now }),
    );
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function queueCreate(deadlineMs = 60_000): Promise<string> {
    const now = new Date().toISOString();
    const { cluster, nodegroups } = newCluster(
      template,
      { cluster_template_id: template.uuid, node_count: 1 },
      caller,
      { zeroNodesAllowed: false, now },
    );
    await store.clusters.createWithOperation(
      cluster,
      nodegroups,
      {
        uuid: randomUUID(),
        cluster_id: cluster.uuid,
        kind: 'cluster_create',
        deadline: Date.now() + deadlineMs,
        created_at: now,
      },
      { cluster_id: cluster.uuid, phase: 'accepted', level: 'info', message: 'accepted' },
      await ca.newCa(cluster.name),
    );
    return cluster.uuid;
  }

  function worker(maxAttempts = 3, leaseMs = 2_000): Worker {
    return new Worker({ store, drivers, ca, log: silent, maxAttempts }, { concurrency: 2, leaseMs, pollMs: 20 });
  }

  async function until(
    uuid: string,
    pred: (status: string | undefined) => boolean,
    ms = 15_000,
  ): Promise<string | undefined> {
    const end = Date.now() + ms;
    for (;;) {
      const c = await store.clusters.get(uuid);
      if (pred(c?.status)) return c?.status;
      if (Date.now() > end) throw new Error(`cluster ${uuid} stuck at ${c?.status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('writes outputs and CREATE_COMPLETE, and closes the operation, when the driver succeeds', async () => {
    driver.script = async () => outputs;
    const uuid = await queueCreate();
    const w = worker();
    w.start();
    try {
      await until(uuid, (s) => s === 'CREATE_COMPLETE');
      const c = await store.clusters.get(uuid);
      assert.equal(c?.api_address, 'tcp://127.0.0.1:1234');
      const ngs = await store.clusters.nodegroups([uuid]);
      assert.deepEqual(
        ngs.map((n) => [n.name, n.status, n.node_addresses]),
        [
          ['default-master', 'CREATE_COMPLETE', ['10.1.1.10']],
          ['default-worker', 'CREATE_COMPLETE', ['10.1.1.20']],
        ],
      );
      assert.deepEqual(await store.operations.active(uuid), []);
    } finally {
      await w.stop();
    }
  });

  it('ends in CREATE_FAILED naming the phase and cause when the driver fails for good', async () => {
    driver.script = async () => {
      throw new DriverError('network', 'fixed_subnet 10.0.0.0/24 overlaps a network in use on this host');
    };
    const uuid = await queueCreate();
    const w = worker();
    w.start();
    try {
      await until(uuid, (s) => s === 'CREATE_FAILED');
      const c = await store.clusters.get(uuid);
      assert.equal(c?.status_reason, 'network: fixed_subnet 10.0.0.0/24 overlaps a network in use on this host');
      const events = await store.events.list(uuid);
      assert.equal(events.at(-1)?.level, 'error');
    } finally {
      await w.stop();
    }
  });

  it('retries a retryable failure with back-off and then completes', async () => {
    driver.script = async (_ctx, call) => {
      if (call % 2 === 1) throw new DriverError('engines', 'node engine not answering yet', { retryable: true });
      return outputs;
    };
    driver.calls = 0;
    const uuid = await queueCreate();
    const w = worker();
    w.start();
    try {
      await until(uuid, (s) => s === 'CREATE_COMPLETE');
      const messages = (await store.events.list(uuid)).map((e) => e.message);
      assert.ok(
        messages.some((m) => /attempt 1 failed: node engine not answering yet; retrying in 1s/.test(m)),
        messages.join('\n'),
      );
      assert.ok(messages.some((m) => /attempt 2 of cluster_create/.test(m)));
    } finally {
      await w.stop();
    }
  });

  it('gives up after the attempt limit with the last cause as the reason', async () => {
    driver.script = async () => {
      throw new DriverError('ready', 'nodes not Ready', { retryable: true });
    };
    const uuid = await queueCreate();
    const w = worker(2);
    w.start();
    try {
      await until(uuid, (s) => s === 'CREATE_FAILED', 20_000);
      assert.equal((await store.clusters.get(uuid))?.status_reason, 'ready: nodes not Ready');
    } finally {
      await w.stop();
    }
  });

  it('fails an operation whose deadline has passed instead of running it', async () => {
    driver.script = async () => outputs;
    const uuid = await queueCreate(-1);
    const w = worker();
    w.start();
    try {
      await until(uuid, (s) => s === 'CREATE_FAILED');
      assert.match((await store.clusters.get(uuid))?.status_reason ?? '', /deadline/);
    } finally {
      await w.stop();
    }
  });

  it('lets a delete cancel a running create, then removes the cluster and its rows', async () => {
    let sawAbort = false;
    driver.script = (ctx) =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          sawAbort = true;
          reject(ctx.signal.reason as Error);
        });
      });
    const uuid = await queueCreate();
    const w = worker(3, 600);
    w.start();
    try {
      await until(uuid, () => driver.calls > 0);
      const now = new Date().toISOString();
      await store.clusters.requestDelete(
        uuid,
        {
          uuid: randomUUID(),
          cluster_id: uuid,
          kind: 'cluster_delete',
          deadline: Date.now() + 60_000,
          created_at: now,
        },
        { cluster_id: uuid, phase: 'accepted', level: 'info', message: 'delete accepted' },
        now,
      );
      w.wake();
      await until(uuid, (s) => s === undefined);
      assert.ok(sawAbort, 'the create saw its abort signal');
      assert.ok(driver.removed.includes(uuid));
      assert.deepEqual(await store.clusters.nodegroups([uuid]), []);
      assert.equal(await ca.caPem(uuid), undefined);
    } finally {
      await w.stop();
    }
  });

  it('takes over an operation whose owner died once its lease expires', async () => {
    driver.script = async () => outputs;
    const uuid = await queueCreate();
    // A conductor claims the operation and dies without releasing it.
    const dead = await store.operations.claim('dead-conductor', 300);
    assert.equal(dead?.cluster_id, uuid);
    const w = worker();
    w.start();
    try {
      assert.equal((await store.clusters.get(uuid))?.status, 'CREATE_IN_PROGRESS');
      await until(uuid, (s) => s === 'CREATE_COMPLETE');
      const events = await store.events.list(uuid);
      assert.ok(events.some((e) => /attempt 2/.test(e.message)));
    } finally {
      await w.stop();
    }
  });
});
