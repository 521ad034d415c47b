/**
 * @module The notification outbox: rows written in the same transaction as the state change they report, claimed by
 * a publisher with a short lease, deleted once the broker confirmed them, backed off when it did not.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Cluster, Nodegroup } from '../core/types.ts';
import type { Database } from './schema.ts';

/** A notification ready to be stored; `payload` is the serialized message the publisher sends. */
export interface NewOutboxRow {
  event_type: string;
  payload: string;
  created_at: string;
}

/**
 * Builds the outbox row of a cluster state change from the cluster and its node groups as the transaction wrote them.
 * Callers pass one to the store's state-changing methods; the store calls it inside the transaction.
 */
export type OutboxBuilder = (cluster: Cluster, nodegroups: Nodegroup[]) => NewOutboxRow;

/** One stored notification. */
export interface OutboxRow extends NewOutboxRow {
  id: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
}

/** Inserts a notification using the given transaction (or database). */
export async function insertOutbox(db: Kysely<Database> | Transaction<Database>, row: NewOutboxRow): Promise<void> {
  await db
    .insertInto('outbox')
    .values({ ...row, attempts: 0, next_attempt_at: 0, last_error: null })
    .execute();
}

export class OutboxRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Claims up to `limit` due rows, oldest first, by moving their `next_attempt_at` to `now + leaseMs` with a
   * compare-and-set: of several publishers on one database only one gets a row; a publisher that dies leaves a lease
   * that expires, and the row is published again (at-least-once).
   */
  async claim(limit: number, leaseMs: number, now = Date.now()): Promise<OutboxRow[]> {
    const due = await this.#db
      .selectFrom('outbox')
      .selectAll()
      .where('next_attempt_at', '<=', now)
      .orderBy('id')
      .limit(limit)
      .execute();
    const out: OutboxRow[] = [];
    for (const r of due) {
      const res = await this.#db
        .updateTable('outbox')
        .set({ next_attempt_at: now + leaseMs })
        .where('id', '=', r.id)
        .where('next_attempt_at', '=', r.next_attempt_at)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 1) out.push({ ...r, id: Number(r.id), next_attempt_at: now + leaseMs });
    }
    return out;
  }

  /** Removes a published row. */
  async remove(id: number): Promise<void> {
    await this.#db.deleteFrom('outbox').where('id', '=', id).execute();
  }

  /** Records a failed attempt; the row is due again at `nextAttemptAt` (epoch ms). */
  async retryLater(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.#db
      .updateTable('outbox')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        next_attempt_at: nextAttemptAt,
        last_error: error.slice(0, 2000),
      }))
      .where('id', '=', id)
      .execute();
  }

  /** Gives claimed rows back, due again at `at` (epoch ms; 0 = at once), without counting an attempt. */
  async release(ids: readonly number[], at = 0): Promise<void> {
    if (ids.length > 0)
      await this.#db.updateTable('outbox').set({ next_attempt_at: at }).where('id', 'in', ids).execute();
  }

  /** Every stored row, oldest first (tests and diagnostics). */
  async list(): Promise<OutboxRow[]> {
    const rows = await this.#db.selectFrom('outbox').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), next_attempt_at: Number(r.next_attempt_at) }));
  }
}
