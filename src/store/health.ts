/**
 * @module What the periodic health sync reads and writes: the clusters to check, their health, and the lease that lets
 * one conductor at a time run the pass. The lease is a row of `operations` (uuid `lease:<name>`, state `lease`): never
 * claimable as work (claims take pending/running rows only), taken with one conditional UPDATE — atomic on SQLite and
 * on PostgreSQL, where a concurrent taker re-reads the row after the first commits and finds the lease held.
 */
import type { Kysely } from 'kysely';
import { COMPLETE_STATUSES } from '../core/status.ts';
import type { Cluster } from '../core/types.ts';
import { decodeEach, type UnreadableRowError } from './row-decode.ts';
import { toCluster } from './rows.ts';
import type { Database } from './schema.ts';

/** The `operations` row {@link HealthRepository.probeWrite} updates. */
const WRITE_PROBE = 'probe:store-write';

/** Statuses whose clusters the health sync checks (Magnum's S_COMPLETE set). */
const CHECKED = [...COMPLETE_STATUSES];
/** Statuses whose clusters the load-balancer sync leaves alone. */
const LB_SKIPPED = ['CREATE_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'DELETE_FAILED'];

export class HealthRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Takes or renews the lease `name` for `ttlMs`; true when `owner` holds it now. One UPDATE when the row exists
   * (steady state); the first call also inserts it.
   */
  async acquireLease(name: string, owner: string, ttlMs: number, now = Date.now()): Promise<boolean> {
    const uuid = `lease:${name}`;
    const take = async (): Promise<number> => {
      const r = await this.#db
        .updateTable('operations')
        .set({ owner, lease_until: now + ttlMs, updated_at: new Date(now).toISOString() })
        .where('uuid', '=', uuid)
        .where('state', '=', 'lease')
        .where((eb) => eb.or([eb('owner', '=', owner), eb('owner', 'is', null), eb('lease_until', '<', now)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    };
    if ((await take()) === 1) return true;
    const exists = await this.#db.selectFrom('operations').select('id').where('uuid', '=', uuid).executeTakeFirst();
    if (exists) return false;
    await this.#db
      .insertInto('operations')
      .values({
        uuid,
        cluster_id: '',
        kind: 'lease',
        state: 'lease',
        owner: null,
        lease_until: 0,
        not_before: 0,
        deadline: 0,
        attempt: 0,
        phase: null,
        error: null,
        payload: '{}',
        created_at: new Date(now).toISOString(),
        updated_at: null,
      })
      .onConflict((oc) => oc.column('uuid').doNothing())
      .execute();
    return (await take()) === 1;
  }

  /**
   * Commits one small write (the `updated_at` of the row `probe:store-write`, state `lease` like the leases, so it
   * is never work): proof for `/healthcheck` that the store accepts writes. Throws what the database throws.
   */
  async probeWrite(now = Date.now()): Promise<void> {
    const at = new Date(now).toISOString();
    const r = await this.#db
      .updateTable('operations')
      .set({ updated_at: at })
      .where('uuid', '=', WRITE_PROBE)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) return;
    await this.#db
      .insertInto('operations')
      .values({
        uuid: WRITE_PROBE,
        cluster_id: '',
        kind: 'probe',
        state: 'lease',
        owner: null,
        lease_until: 0,
        not_before: 0,
        deadline: 0,
        attempt: 0,
        phase: null,
        error: null,
        payload: '{}',
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.column('uuid').doUpdateSet({ updated_at: at }))
      .execute();
  }

  /** Gives the lease up (only its holder can). */
  async releaseLease(name: string, owner: string): Promise<void> {
    await this.#db
      .updateTable('operations')
      .set({ owner: null, lease_until: 0 })
      .where('uuid', '=', `lease:${name}`)
      .where('owner', '=', owner)
      .execute();
  }

  /** Every cluster in a *_COMPLETE state (one query), and an error for each of those whose row cannot be read. */
  async clustersToCheck(): Promise<{ clusters: Cluster[]; unreadable: UnreadableRowError[] }> {
    const rows = await this.#db
      .selectFrom('clusters')
      .selectAll()
      .where('status', 'in', CHECKED)
      .orderBy('id')
      .execute();
    const { items, unreadable } = decodeEach(rows, toCluster);
    return { clusters: items, unreadable };
  }

  /**
   * The clusters whose load balancers the conductor's `lb-sync` keeps in line: every cluster of one of `coes` (those
   * whose drivers have load balancers) except those being created (no apiserver yet) or deleted (their load
   * balancers go with them). Read only: a host without such clusters costs the sync one query, no write.
   */
  async clustersForLoadBalancers(
    coes: readonly string[],
  ): Promise<{ clusters: Cluster[]; unreadable: UnreadableRowError[] }> {
    if (coes.length === 0) return { clusters: [], unreadable: [] };
    const rows = await this.#db
      .selectFrom('clusters')
      .selectAll()
      .where('status', 'not in', LB_SKIPPED)
      .where('cluster_template_id', 'in', (eb) =>
        eb
          .selectFrom('cluster_templates')
          .select('uuid')
          .where('coe', 'in', [...coes]),
      )
      .orderBy('id')
      .execute();
    const { items, unreadable } = decodeEach(rows, toCluster);
    return { clusters: items, unreadable };
  }

  /**
   * Records on a *_COMPLETE cluster that its rows cannot be read: `status_reason` = `reason`, `health_status`
   * UNKNOWN with the reason under `store` — plain column writes. False when it was already recorded (or the cluster
   * left the *_COMPLETE states).
   */
  async markUnreadable(uuid: string, reason: string, now = new Date().toISOString()): Promise<boolean> {
    const r = await this.#db
      .updateTable('clusters')
      .set({
        status_reason: reason,
        health_status: 'UNKNOWN',
        health_status_reason: JSON.stringify({ store: reason }),
        updated_at: now,
      })
      .where('uuid', '=', uuid)
      .where('status', 'in', CHECKED)
      .where((eb) => eb.or([eb('status_reason', 'is', null), eb('status_reason', '<>', reason)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Writes a cluster's health, unless an operation started meanwhile (status no longer *_COMPLETE). */
  async setHealth(
    uuid: string,
    status: string,
    reason: Record<string, string>,
    now = new Date().toISOString(),
  ): Promise<boolean> {
    const r = await this.#db
      .updateTable('clusters')
      .set({ health_status: status, health_status_reason: JSON.stringify(reason), updated_at: now })
      .where('uuid', '=', uuid)
      .where('status', 'in', CHECKED)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
