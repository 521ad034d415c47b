/** @module Service rows (Magnum's mservices): one per (host, binary), refreshed by each process's heartbeat. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ServiceRecord } from '../core/types.ts';
import type { Database, ServiceTable } from './schema.ts';

const toService = (r: Selectable<ServiceTable>): ServiceRecord => ({
  ...r,
  id: Number(r.id),
  disabled: r.disabled === 1,
  forced_down: r.forced_down === 1,
});

export class ServiceRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Records a heartbeat: creates the row on the first one, then counts reports and moves `last_seen_up`. */
  async heartbeat(host: string, binary: string, now: string): Promise<void> {
    await this.#db
      .insertInto('services')
      .values({
        host,
        binary,
        report_count: 1,
        disabled: 0,
        disabled_reason: null,
        forced_down: 0,
        last_seen_up: now,
        created_at: now,
        updated_at: null,
      })
      .onConflict((oc) =>
        oc
          .columns(['host', 'binary'])
          .doUpdateSet({ report_count: sql`services.report_count + 1`, last_seen_up: now, updated_at: now }),
      )
      .execute();
  }

  /** Every service row, by id. */
  async list(): Promise<ServiceRecord[]> {
    return (await this.#db.selectFrom('services').selectAll().orderBy('id').execute()).map(toService);
  }
}
