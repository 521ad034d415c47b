/** @module Quotas: one hard limit per (project, resource). Only the `Cluster` resource is enforced. */
import type { Kysely, Selectable } from 'kysely';
import type { Quota } from '../core/types.ts';
import { applyPage, readPage, type OnUnreadable, type PageRequest } from './page.ts';
import { decodeRow, int } from './row-decode.ts';
import type { Database, QuotaTable } from './schema.ts';

const toQuota = (r: Selectable<QuotaTable>): Quota =>
  decodeRow(`quota ${r.project_id}/${r.resource}`, () => ({
    ...r,
    id: int(r.id, 'id'),
    hard_limit: int(r.hard_limit, 'hard_limit'),
  }));

export class QuotaRepository {
  readonly #db: Kysely<Database>;
  /** Where list pages are read (Db.reader: on SQLite, off the event loop). */
  readonly #reader: Kysely<Database>;
  constructor(db: Kysely<Database>, reader: Kysely<Database> = db) {
    this.#db = db;
    this.#reader = reader;
  }

  /** A page of quotas, of one project or (undefined) of all. */
  async list(projectId: string | undefined, page: PageRequest, onUnreadable?: OnUnreadable): Promise<Quota[]> {
    let q = this.#reader.selectFrom('quotas').selectAll();
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    return readPage((p) => applyPage(q, 'quotas', p).execute(), page, toQuota, onUnreadable);
  }

  /**
   * The marker row of a page (quota markers are integer ids), only among the quotas listed: those of `projectId`, or
   * (undefined) of all. Another project's quota is no marker, exactly like a missing one.
   */
  async markerOf(
    projectId: string | undefined,
    id: number,
    sortKey: string,
  ): Promise<{ id: number; value: unknown } | undefined> {
    let q = this.#db.selectFrom('quotas').selectAll().where('id', '=', id);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    const row = await q.executeTakeFirst();
    return row && { id: Number(row.id), value: (row as Record<string, unknown>)[sortKey] };
  }

  async get(projectId: string, resource: string): Promise<Quota | undefined> {
    const row = await this.#db
      .selectFrom('quotas')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('resource', '=', resource)
      .executeTakeFirst();
    return row && toQuota(row);
  }

  /** Inserts the quota; undefined when (project, resource) already has one. */
  async insert(q: Omit<Quota, 'id'>): Promise<Quota | undefined> {
    const row = await this.#db
      .insertInto('quotas')
      .values(q)
      .onConflict((oc) => oc.columns(['project_id', 'resource']).doNothing())
      .returningAll()
      .executeTakeFirst();
    return row && toQuota(row);
  }

  /** Sets the hard limit; undefined when there is no such quota. */
  async update(projectId: string, resource: string, hardLimit: number, now: string): Promise<Quota | undefined> {
    const row = await this.#db
      .updateTable('quotas')
      .set({ hard_limit: hardLimit, updated_at: now })
      .where('project_id', '=', projectId)
      .where('resource', '=', resource)
      .returningAll()
      .executeTakeFirst();
    return row && toQuota(row);
  }

  /** Deletes the quota; false when there was none. */
  async delete(projectId: string, resource: string): Promise<boolean> {
    const r = await this.#db
      .deleteFrom('quotas')
      .where('project_id', '=', projectId)
      .where('resource', '=', resource)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
