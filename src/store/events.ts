/** @module The cluster event timeline: what the conductor did, in order. */
import type { Kysely, Transaction } from 'kysely';
import type { ClusterEvent, EventLevel } from '../core/types.ts';
import { toEvent } from './rows.ts';
import type { Database } from './schema.ts';

export interface NewEvent {
  cluster_id: string;
  phase: string;
  level: EventLevel;
  message: string;
  at?: string;
}

export async function insertEvent(db: Kysely<Database> | Transaction<Database>, e: NewEvent): Promise<void> {
  await db
    .insertInto('cluster_events')
    .values({ ...e, at: e.at ?? new Date().toISOString() })
    .execute();
}

export class EventRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  append(e: NewEvent): Promise<void> {
    return insertEvent(this.#db, e);
  }

  /** Events of a cluster after event id `afterId`, oldest first. */
  async list(clusterId: string, afterId = 0, limit = 1000): Promise<ClusterEvent[]> {
    const rows = await this.#db
      .selectFrom('cluster_events')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toEvent);
  }
}
