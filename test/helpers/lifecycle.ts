/**
 * @module Test helper for lifecycle tests: writes a new desired state and queues a `cluster_update` through
 * `store.clusters.startUpdate` (as the API does), waits for statuses in the store, and reaches node engines.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { OperationPayload } from '../../src/core/types.ts';
import type { Engine } from '../../src/providers/docker/engine.ts';
import type { ContainerSummary } from '../../src/providers/docker/engine-types.ts';
import { CLUSTER_LABEL } from '../../src/providers/contract.ts';
import { openDb } from '../../src/store/database.ts';
import { Store } from '../../src/store/store.ts';
import { engineFromConfig } from './cluster-engine.ts';

/** The store of a `magnetar serve` state dir (SQLite), opened by the test process alongside the server. */
export async function openStateStore(stateDir: string): Promise<Store> {
  return new Store(await openDb({ url: join(stateDir, 'magnetar.db') }));
}

/** Queues a `cluster_update` with `payload`, writing the desired state in `change` in the same transaction. */
export async function queueUpdate(
  store: Store,
  uuid: string,
  payload: OperationPayload,
  change?: Parameters<Store['clusters']['startUpdate']>[4],
): Promise<void> {
  const now = new Date().toISOString();
  const ok = await store.clusters.startUpdate(
    uuid,
    {
      uuid: randomUUID(),
      cluster_id: uuid,
      kind: 'cluster_update',
      deadline: Date.now() + 10 * 60_000,
      created_at: now,
      payload,
    },
    { cluster_id: uuid, phase: 'accepted', level: 'info', message: `test: ${payload.action ?? 'update'} accepted` },
    now,
    change,
  );
  if (!ok) throw new Error(`cluster ${uuid} has an active operation`);
}

/** Sets a node group's node_count (in a startUpdate change). */
export function setNodeCount(
  uuid: string,
  nodegroup: string,
  count: number,
): Parameters<Store['clusters']['startUpdate']>[4] {
  return async (tx) => {
    await tx
      .updateTable('nodegroups')
      .set({ node_count: count, status: 'UPDATE_IN_PROGRESS' })
      .where('cluster_id', '=', uuid)
      .where('name', '=', nodegroup)
      .execute();
  };
}

/** Polls the cluster row until `done(status)`; returns the status. Throws with the recent timeline on timeout. */
export async function waitStatus(
  store: Store,
  uuid: string,
  done: (s: string | undefined) => boolean,
  timeoutMs = 180_000,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await store.clusters.get(uuid);
    if (done(c?.status)) return c?.status;
    if (Date.now() > deadline) {
      const events = (await store.events.list(uuid)).slice(-15).map((e) => `${e.phase}: ${e.message}`);
      throw new Error(
        `cluster ${uuid} still ${c?.status} (${c?.status_reason}) after ${timeoutMs} ms:\n${events.join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Node containers of a cluster (all states). */
export function nodeContainers(host: Engine, uuid: string): Promise<ContainerSummary[]> {
  return host.listContainers([`${CLUSTER_LABEL}=${uuid}`]);
}

/** Removes every container, volume and network labelled with the cluster (test clean-up); returns how many there were. */
export async function removeLeftovers(host: Engine, uuid: string): Promise<number> {
  const f = [`${CLUSTER_LABEL}=${uuid}`];
  const containers = await host.listContainers(f);
  await Promise.all(containers.map((c) => host.removeContainer(c.Id)));
  const volumes = await host.listVolumes(f);
  await Promise.all(volumes.map((v) => host.removeVolume(v.Name)));
  const networks = await host.listNetworks(f);
  await Promise.all(networks.map((n) => host.removeNetwork(n.Id)));
  return containers.length + volumes.length + networks.length;
}

/** Hostnames of the cluster's node containers (those with a role: not its load balancers), sorted. */
export async function nodeHostnames(host: Engine, uuid: string): Promise<string[]> {
  return (await nodeContainers(host, uuid))
    .filter((c) => c.Labels['magnetar.role'])
    .map((c) => c.Labels['magnetar.hostname'] ?? '')
    .sort();
}

/** A client of one node's engine (its pinned loopback port), with the credentials of `magnetar cluster-config`. */
export function nodeEngine(configExports: string, port: number): Promise<Engine> {
  return engineFromConfig(configExports.replace(/DOCKER_HOST=.*/, `DOCKER_HOST=tcp://127.0.0.1:${port}`));
}

/** The loopback port of a node container's engine. */
export const enginePort = (c: ContainerSummary): number => c.Ports.find((p) => p.PrivatePort === 2376)?.PublicPort ?? 0;

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
