/**
 * @module Starting a `cluster_update` operation from the API: the conductor's state check (done here, synchronously,
 * so the caller learns of it), the driver capability check, then ONE transaction that writes the new desired state,
 * queues the operation and marks the cluster UPDATE_IN_PROGRESS; the in-process conductor is woken afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { MagnumError, operationInProgress } from '../../core/errors.ts';
import { COMPLETE_STATUSES } from '../../core/status.ts';
import type { Cluster, OperationPayload } from '../../core/types.ts';
import type { Capability, Driver } from '../../drivers/contract.ts';
import { identityOf } from '../../notify/outbox.ts';
import type { ClusterRepository } from '../../store/clusters.ts';
import type { ApiDeps } from '../deps.ts';

/** The `change` callback of `startUpdate`: writes the new desired state inside its transaction. */
export type DesiredStateChange = Parameters<ClusterRepository['startUpdate']>[4];

/** One update to start. */
export interface UpdateRequest {
  cluster: Cluster;
  /** Magnum's wording of the operation in the state error, e.g. `Resizing a cluster` → `Resizing a cluster when status is "…" is not supported.` */
  verb: string;
  capability: Capability;
  /** The 400 message when the cluster's driver does not declare `capability`. */
  unsupported: (driver: Driver | undefined) => string;
  payload: OperationPayload;
  /** The timeline event, e.g. `resize accepted (default-worker to 3 nodes)`. */
  message: string;
  change?: DesiredStateChange;
}

/** The driver of a cluster (through its template), or undefined when none serves it any more. */
export async function clusterDriver(deps: ApiDeps, c: Cluster): Promise<Driver | undefined> {
  const t = await deps.store.templates.getByUuid(c.cluster_template_id);
  return t ? deps.drivers.find(t.server_type, t.cluster_distro, t.coe) : undefined;
}

/** 400 unless the cluster is in a state Magnum's conductor accepts updates from. */
export function checkUpdatable(c: Cluster, verb: string): void {
  if (!COMPLETE_STATUSES.has(c.status))
    throw new MagnumError('NotSupported', `${verb} when status is "${c.status}" is not supported.`);
}

/** Checks state and capability, then starts the update (400 OperationInProgress when another operation is active). */
export async function queueUpdate(deps: ApiDeps, req: FastifyRequest, u: UpdateRequest): Promise<void> {
  const c = u.cluster;
  checkUpdatable(c, u.verb);
  const driver = await clusterDriver(deps, c);
  if (!driver?.capabilities.has(u.capability)) throw new MagnumError('NotSupported', u.unsupported(driver));
  const now = new Date().toISOString();
  const started = await deps.store.clusters.startUpdate(
    c.uuid,
    {
      uuid: randomUUID(),
      cluster_id: c.uuid,
      kind: 'cluster_update',
      deadline: Date.parse(now) + c.create_timeout * 60_000,
      created_at: now,
      payload: u.payload,
    },
    { cluster_id: c.uuid, phase: 'accepted', level: 'info', message: u.message, at: now },
    now,
    u.change,
    deps.notifier?.cluster('update', 'pending', identityOf(req.caller, req.id)),
  );
  if (!started) throw operationInProgress(c.name);
  deps.wake();
}
