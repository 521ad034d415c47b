/** @module Operation queue with leases: claim, renew, release. Safe with many conductors on PostgreSQL. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Operation, OperationKind, OperationPayload } from '../core/types.ts';
import { failedStatusOf } from '../core/status.ts';
import { withCause } from '../core/failure-cause.ts';
import { insertEvent } from './events.ts';
import { UnreadableRowError } from './row-decode.ts';
import { toOperation } from './rows.ts';
import type { Database } from './schema.ts';
import type { Engine } from './database.ts';

export interface NewOperation {
  uuid: string;
  cluster_id: string;
  kind: OperationKind;
  /** Epoch ms after which the operation must end (FAILED) instead of retrying. */
  deadline: number;
  created_at: string;
  payload?: OperationPayload;
}

export async function insertOperation(db: Kysely<Database> | Transaction<Database>, op: NewOperation): Promise<void> {
  await db
    .insertInto('operations')
    .values({
      ...op,
      payload: JSON.stringify(op.payload ?? {}),
      state: 'pending',
      owner: null,
      lease_until: null,
      not_before: 0,
      attempt: 0,
      phase: null,
      error: null,
      updated_at: null,
    })
    .execute();
}

/** How a worker gives an operation back. */
export type Release =
  | { state: 'retry'; notBefore: number; error: string; phase: string | null }
  | { state: 'done' | 'failed' | 'cancelled'; error: string | null };

export class OperationRepository {
  readonly #db: Kysely<Database>;
  readonly #engine: Engine;
  constructor(db: Kysely<Database>, engine: Engine) {
    this.#db = db;
    this.#engine = engine;
  }

  /**
   * Claims the oldest runnable operation: pending or running with an expired lease, due (not_before), and with no other
   * operation of the same cluster still holding a live lease (a cancelled create finishing its last step).
   * On PostgreSQL the candidate row is locked with SKIP LOCKED so concurrent conductors never claim the same row.
   */
  async claim(
    owner: string,
    leaseMs: number,
    now = Date.now(),
    onUnreadable?: (e: UnreadableRowError) => void,
  ): Promise<Operation | undefined> {
    // An unreadable operation is failed where it was claimed (see claimOne) and the next one is tried, so a bad row
    // can never hold the head of the queue.
    for (let tries = 0; tries < 100; tries++) {
      const got = await this.#claimOne(owner, leaseMs, now);
      if (!(got instanceof UnreadableRowError)) return got;
      onUnreadable?.(got);
    }
    return undefined;
  }

  /** Fails a claimed operation whose cluster, template or node groups cannot be read (see {@link failUnreadable}). */
  async failUnreadable(op: Pick<Operation, 'id' | 'cluster_id' | 'kind'>, reason: string): Promise<void> {
    await this.#db.transaction().execute((tx) => failUnreadable(tx, op.id, op.cluster_id, op.kind, reason));
  }

  /**
   * Claims one operation. When its row cannot be decoded, it is failed in the same transaction — the operation
   * `failed` with the reason, its cluster `<KIND>_FAILED` with the reason as status_reason, in-progress node groups
   * failed, a timeline event — and the error is returned.
   */
  async #claimOne(owner: string, leaseMs: number, now: number): Promise<Operation | UnreadableRowError | undefined> {
    return this.#db.transaction().execute(async (tx) => {
      let candidate = tx
        .selectFrom('operations as o')
        .select('o.id')
        .where('o.state', 'in', ['pending', 'running'])
        .where('o.not_before', '<=', now)
        .where((eb) => eb.or([eb('o.lease_until', 'is', null), eb('o.lease_until', '<', now)]))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('operations as b')
                .select('b.id')
                .whereRef('b.cluster_id', '=', 'o.cluster_id')
                .whereRef('b.id', '<>', 'o.id')
                .where('b.lease_until', '>=', now),
            ),
          ),
        )
        .orderBy('o.id')
        .limit(1);
      if (this.#engine === 'postgres') candidate = candidate.forUpdate().skipLocked();
      const picked = await candidate.executeTakeFirst();
      if (!picked) return undefined;
      const row = await tx
        .updateTable('operations')
        .set({
          state: 'running',
          owner,
          lease_until: now + leaseMs,
          attempt: sql`attempt + 1`,
          updated_at: new Date(now).toISOString(),
        })
        .where('id', '=', picked.id)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      try {
        return toOperation(row);
      } catch (e) {
        if (!(e instanceof UnreadableRowError)) throw e;
        await failUnreadable(tx, row.id, row.cluster_id, row.kind, e.message, now);
        return e;
      }
    });
  }

  /** Extends the lease; false when the lease was lost or the operation was cancelled (the worker must stop). */
  async renew(op: Operation, owner: string, leaseMs: number, phase?: string): Promise<boolean> {
    const r = await this.#db
      .updateTable('operations')
      .set({ lease_until: Date.now() + leaseMs, ...(phase ? { phase } : {}) })
      .where('id', '=', op.id)
      .where('owner', '=', owner)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Gives the operation back: retry later, or a final state. Only the owner can release. */
  async release(op: Operation, owner: string, how: Release): Promise<void> {
    const now = new Date().toISOString();
    const base = { owner: null, lease_until: null, updated_at: now };
    const set =
      how.state === 'retry'
        ? { ...base, state: 'pending', not_before: how.notBefore, error: how.error, phase: how.phase }
        : { ...base, state: how.state, error: how.error };
    await this.#db.updateTable('operations').set(set).where('id', '=', op.id).where('owner', '=', owner).execute();
  }

  async get(id: number): Promise<Operation | undefined> {
    const row = await this.#db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toOperation(row);
  }

  async active(clusterId: string): Promise<Operation[]> {
    const rows = await this.#db
      .selectFrom('operations')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .where('state', 'in', ['pending', 'running'])
      .orderBy('id')
      .execute();
    return rows.map(toOperation);
  }
}

/**
 * Ends an operation whose row (or whose cluster's rows) cannot be read: the operation `failed`, the cluster
 * `<KIND>_FAILED` with `reason` as its status_reason, its in-progress node groups failed, and a timeline event —
 * plain column writes, so they work whatever the unreadable value is. No notification: it would be built from the
 * rows that cannot be read.
 */
export async function failUnreadable(
  tx: Transaction<Database>,
  opId: number | string,
  clusterId: string,
  kind: string,
  reason: string,
  now = Date.now(),
): Promise<void> {
  const at = new Date(now).toISOString();
  await tx
    .updateTable('operations')
    .set({ state: 'failed', owner: null, lease_until: null, error: reason, updated_at: at })
    .where('id', '=', opId as number)
    .execute();
  await tx
    .updateTable('clusters')
    .set({ status: failedStatusOf(kind), status_reason: reason, updated_at: at })
    .where('uuid', '=', clusterId)
    .execute();
  await tx
    .updateTable('nodegroups')
    .set({ status: sql<string>`replace(status, 'IN_PROGRESS', 'FAILED')`, status_reason: reason, updated_at: at })
    .where('cluster_id', '=', clusterId)
    .where('status', 'like', '%_IN_PROGRESS')
    .execute();
  await insertEvent(tx, {
    cluster_id: clusterId,
    phase: 'failed',
    level: 'error',
    message: withCause('internal', reason),
    at,
  });
}
