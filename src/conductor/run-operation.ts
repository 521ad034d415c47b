/**
 * @module Runs one claimed operation to an outcome: success writes outputs and the final status; a retryable failure
 * is given back with a back-off; anything else — or running out of attempts or time — ends in *_FAILED with a reason.
 * No path leaves a cluster IN_PROGRESS without a live lease or a queued retry.
 */
import type { ClusterCa } from '../certs/cluster-ca.ts';
import type { FlavorTable } from '../core/flavors.ts';
import type { Operation } from '../core/types.ts';
import { DriverError, type DriverContext, type DriverLogger } from '../drivers/contract.ts';
import type { DriverRegistry } from '../drivers/registry.ts';
import type { ClusterNotifier } from '../notify/outbox.ts';
import { UnreadableRowError } from '../store/row-decode.ts';
import type { Store } from '../store/store.ts';
import { clusterSpec } from './cluster-spec.ts';
import { withLocalImages } from './cloud-images.ts';
import type { ClusterTrusts } from './cluster-trust.ts';
import { classifyFailure, withCause, type FailureCause } from '../core/failure-cause.ts';

export interface RunDeps {
  store: Store;
  drivers: DriverRegistry;
  ca: ClusterCa;
  log: DriverLogger;
  maxAttempts: number;
  /** Builds the success/failure notifications written with the final state (absent: none). */
  notifier?: ClusterNotifier | undefined;
  /** Flavor table (config `flavors`) the node groups' flavors resolve against; default: the built-in m1.* table. */
  flavors?: FlavorTable;
  /** Keystone mode with `trust.*` configured: each cluster's trustee and trust (absent: the cloud is not used). */
  trusts?: ClusterTrusts | undefined;
}

/** How the run ended, for the worker's bookkeeping and tests. */
export type RunOutcome = 'done' | 'failed' | 'retry' | 'cancelled' | 'lost';

const FAILED: Record<string, string> = {
  cluster_create: 'CREATE_FAILED',
  cluster_update: 'UPDATE_FAILED',
  cluster_delete: 'DELETE_FAILED',
};
const COMPLETE: Record<string, string> = { cluster_create: 'CREATE_COMPLETE', cluster_update: 'UPDATE_COMPLETE' };
const VERB = { cluster_create: 'create', cluster_update: 'update', cluster_delete: 'delete' } as const;

export async function runOperation(
  op: Operation,
  owner: string,
  signal: AbortSignal,
  deps: RunDeps,
): Promise<RunOutcome> {
  try {
    return await run(op, owner, signal, deps);
  } catch (e) {
    if (!(e instanceof UnreadableRowError)) throw e;
    // The cluster, its template or a node group cannot be read: nothing can be done for this cluster until the row is
    // repaired, so it fails with the reason now instead of being retried (and every other cluster goes on).
    deps.log.warn({ cluster: op.cluster_id, op: op.uuid, err: e.message }, 'operation failed: unreadable row');
    await deps.store.operations.failUnreadable(op, e.message);
    return 'failed';
  }
}

async function run(op: Operation, owner: string, signal: AbortSignal, deps: RunDeps): Promise<RunOutcome> {
  const { store } = deps;
  const now = (): string => new Date().toISOString();
  const cluster = await store.clusters.get(op.cluster_id);
  if (!cluster) {
    await store.operations.release(op, owner, { state: 'done', error: 'cluster no longer exists' });
    return 'done';
  }
  const fail = async (reason: string, cause: FailureCause = classifyFailure(reason)): Promise<RunOutcome> => {
    const event = {
      cluster_id: cluster.uuid,
      phase: 'failed',
      level: 'error' as const,
      message: withCause(cause, reason),
    };
    await store.clusters.fail(
      cluster.uuid,
      FAILED[op.kind] ?? 'UPDATE_FAILED',
      reason,
      op,
      event,
      now(),
      deps.notifier?.cluster(VERB[op.kind], 'failure'),
    );
    return 'failed';
  };
  if (Date.now() > op.deadline)
    return fail(`${VERB[op.kind]} did not finish before its deadline (attempt ${op.attempt})`, 'timeout');
  if (op.attempt > deps.maxAttempts)
    return fail(
      `gave up after ${deps.maxAttempts} attempts; last error: ${op.error ?? 'the conductor running it stopped'}`,
    );

  const template = await store.templates.getByUuid(cluster.cluster_template_id);
  if (!template) return fail(`cluster template ${cluster.cluster_template_id} no longer exists`);
  const driver = deps.drivers.find(template.server_type, template.cluster_distro, template.coe);
  if (!driver)
    return fail(
      `Cluster type (${template.server_type}, ${template.cluster_distro ?? 'None'}, ${template.coe}) not supported.`,
    );
  const ngs = await store.clusters.nodegroups([cluster.uuid]);
  let state = { ...cluster.driver_state };
  const p = op.payload;
  const ctx: DriverContext = {
    cluster: clusterSpec(cluster, template, ngs, deps.flavors),
    intent: {
      action:
        op.kind === 'cluster_create' ? 'create' : op.kind === 'cluster_delete' ? 'delete' : (p.action ?? 'update'),
      ...(p.nodegroup ? { nodegroup: p.nodegroup } : {}),
      ...(p.nodes_to_remove ? { nodesToRemove: p.nodes_to_remove } : {}),
      ...(p.max_batch_size ? { maxBatchSize: p.max_batch_size } : {}),
    },
    signal,
    log: deps.log,
    pki: {
      caPem: (await deps.ca.caPem(cluster.uuid)) ?? '',
      issueServer: (cn, dns, ips) => deps.ca.issueServer(cluster.uuid, cn, dns, ips),
      conductorClient: () => deps.ca.conductorClient(cluster.uuid),
      issueClient: (cn, org) => deps.ca.issueClient(cluster.uuid, cn, org),
      secret: (kind, make) => deps.ca.secret(cluster.uuid, kind, make),
      previousCaPem: () => deps.ca.previousCaPem(cluster.uuid),
      forgetPreviousCa: () => deps.ca.forgetPreviousCa(cluster.uuid),
    },
    state: {
      get: () => state,
      merge: async (patch) => {
        state = { ...state, ...patch };
        await store.clusters.saveDriverState(cluster.uuid, state);
      },
    },
    event: (phase, message, level = 'info') => store.events.append({ cluster_id: cluster.uuid, phase, level, message }),
  };
  if (op.attempt > 1) await ctx.event('conductor', `attempt ${op.attempt} of ${op.kind} (resuming)`, 'warning');

  try {
    if (op.kind !== 'cluster_delete') {
      if (!ctx.pki.caPem) return await fail('the cluster has no CA certificate');
      // The conductor acts for the cluster in the cloud through its trust, never with a user's (expiring) token.
      if (deps.trusts) {
        if (op.kind === 'cluster_create') {
          const before = await store.trusts.get(cluster.uuid);
          await deps.trusts.ensure(cluster.uuid);
          if (before && !before.trustId) await ctx.event('trust', `trustee ${before.trusteeName} and its trust ready`);
        }
        const cloud = await deps.trusts.session(cluster.uuid);
        const given = ctx.cluster.imageId;
        ctx.cluster = await withLocalImages(ctx.cluster, cloud);
        if (ctx.cluster.imageId !== given)
          await ctx.event('image', `Glance image ${given} is ${ctx.cluster.imageId} (looked up through the trust)`);
      }
      const out = await driver.ensureCluster(ctx);
      signal.throwIfAborted();
      await store.clusters.complete(
        cluster.uuid,
        COMPLETE[op.kind] ?? 'UPDATE_COMPLETE',
        {
          api_address: out.apiAddress,
          coe_version: out.coeVersion,
          container_version: out.containerVersion,
          addresses: out.addresses,
        },
        op,
        {
          cluster_id: cluster.uuid,
          phase: 'complete',
          level: 'info',
          message: op.kind === 'cluster_create' ? 'cluster created' : `cluster updated (${ctx.intent.action})`,
        },
        now(),
        deps.notifier?.cluster(op.kind === 'cluster_create' ? 'create' : 'update', 'success'),
      );
      return 'done';
    }
    await driver.removeCluster(ctx);
    signal.throwIfAborted();
    // Only once every resource of the cluster is gone: its trustee and trust, whatever of them is left. One already
    // deleted never stops the delete (the local provider removes the cluster's resources without the cloud).
    if (deps.trusts) {
      const removed = await deps.trusts.remove(cluster.uuid);
      const what = [removed.trust ? 'trust' : '', removed.trustee ? 'trustee' : ''].filter(Boolean).join(' and ');
      if (what) await ctx.event('trust', `${what} removed`);
    }
    await store.clusters.purge(cluster.uuid, deps.notifier?.cluster('delete', 'success', undefined, 'DELETE_COMPLETE'));
    return 'done';
  } catch (e) {
    if (signal.aborted) {
      const current = await store.operations.get(op.id);
      if (current?.state === 'cancelled') {
        await store.operations.release(op, owner, { state: 'cancelled', error: 'superseded by a newer operation' });
        return 'cancelled';
      }
      // Stopping or lease lost: hand it back at once (a no-op if another conductor already owns it).
      await store.operations.release(op, owner, {
        state: 'retry',
        notBefore: Date.now(),
        error: String(signal.reason ?? 'aborted'),
        phase: null,
      });
      return 'lost';
    }
    const err =
      e instanceof DriverError ? e : new DriverError('conductor', (e as Error).message ?? String(e), { cause: e });
    const reason = `${err.phase}: ${err.message}`;
    deps.log.warn(
      { cluster: cluster.uuid, op: op.uuid, attempt: op.attempt, err: reason, retryable: err.retryable },
      'operation step failed',
    );
    if (err.retryable && op.attempt < deps.maxAttempts) {
      const delay = Math.min(30_000, 1000 * 2 ** (op.attempt - 1));
      if (Date.now() + delay < op.deadline) {
        await ctx.event(
          err.phase,
          withCause(
            classifyFailure(reason),
            `attempt ${op.attempt} failed: ${err.message}; retrying in ${delay / 1000}s`,
          ),
          'warning',
        );
        await store.operations.release(op, owner, {
          state: 'retry',
          notBefore: Date.now() + delay,
          error: reason,
          phase: err.phase,
        });
        return 'retry';
      }
    }
    return fail(reason);
  }
}
