/** @module Node group reads (list with paging and role filter, lookups by id / uuid / name) and the min/max update. */
import type { Kysely } from 'kysely';
import type { Nodegroup } from '../core/types.ts';
import { listPage, type OnUnreadable, type Page, type PageRequest } from './page.ts';
import { toNodegroup } from './rows.ts';
import type { Database } from './schema.ts';

/** How a node group is looked up inside its cluster (Magnum: int-like → id, uuid-like → uuid, else name). */
export type NodegroupKey = { id: number } | { uuid: string } | { name: string };

export class NodegroupRepository {
  readonly #db: Kysely<Database>;
  /** Where list pages are read (Db.reader: on SQLite, off the event loop). */
  readonly #reader: Kysely<Database>;
  constructor(db: Kysely<Database>, reader: Kysely<Database> = db) {
    this.#db = db;
    this.#reader = reader;
  }

  /** A page of the cluster's node groups, optionally only those of one role. */
  async list(
    clusterUuid: string,
    page: PageRequest,
    role?: string,
    onUnreadable?: OnUnreadable,
  ): Promise<Page<Nodegroup>> {
    let q = this.#reader.selectFrom('nodegroups').selectAll().where('cluster_id', '=', clusterUuid);
    if (role !== undefined) q = q.where('role', '=', role);
    return listPage(q, 'nodegroups', page, ['labels', 'node_addresses', 'status_reason'], toNodegroup, onUnreadable);
  }

  /** Matching node groups of the cluster (at most two, enough to tell "ambiguous"). */
  async find(clusterUuid: string, by: NodegroupKey): Promise<Nodegroup[]> {
    let q = this.#db.selectFrom('nodegroups').selectAll().where('cluster_id', '=', clusterUuid);
    q =
      'id' in by
        ? q.where('id', '=', by.id)
        : 'uuid' in by
          ? q.where('uuid', '=', by.uuid)
          : q.where('name', '=', by.name);
    return (await q.orderBy('id').limit(2).execute()).map(toNodegroup);
  }

  async markerOf(
    clusterUuid: string,
    uuid: string,
    sortKey: string,
  ): Promise<{ id: number; value: unknown } | undefined> {
    const row = await this.#db
      .selectFrom('nodegroups')
      .selectAll()
      .where('cluster_id', '=', clusterUuid)
      .where('uuid', '=', uuid)
      .executeTakeFirst();
    return row && { id: Number(row.id), value: (row as Record<string, unknown>)[sortKey] };
  }

  /** Sets min/max (a synchronous change in Magnetar: they only bound later resizes). */
  async updateBounds(id: number, min: number, max: number | null, now: string): Promise<Nodegroup> {
    const row = await this.#db
      .updateTable('nodegroups')
      .set({ min_node_count: min, max_node_count: max, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toNodegroup(row);
  }
}
