/** @module Cluster and nodegroup repository, including the one-transaction writes that start an operation. */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Caller, Cluster, Nodegroup, Operation } from '../core/types.ts';
import { CompiledOnce } from './compiled-once.ts';
import { listPage, type OnUnreadable, type Page, type PageRequest } from './page.ts';
import { decodeEach } from './row-decode.ts';
import { fromCluster, fromNodegroup, toCluster, toNodegroup } from './rows.ts';
import type { ClusterTable, Database } from './schema.ts';

type ClusterRow = Selectable<ClusterTable>;
import type { StoredCert } from './certificates.ts';
import { trustRow, type NewClusterTrust } from './trusts.ts';
import { insertEvent, type NewEvent } from './events.ts';
import { insertOperation, type NewOperation } from './operations.ts';
import { insertOutbox, type OutboxBuilder } from './outbox.ts';

/** How long a deleted cluster's event timeline is kept for followers. */
const EVENTS_KEPT_AFTER_DELETE_MS = 3_600_000;

/** Outputs a finished create (or later update) writes onto the cluster and its nodegroups. */
export interface ClusterOutputsRecord {
  api_address: string | null;
  coe_version: string | null;
  container_version: string | null;
  /** Addresses per nodegroup name. */
  addresses: Record<string, string[]>;
}

/** Writes the notification of a state change, built from the cluster as the transaction `tx` left it. */
async function writeNotification(
  tx: Transaction<Database>,
  uuid: string,
  build: OutboxBuilder | undefined,
): Promise<void> {
  if (!build) return;
  const row = await tx.selectFrom('clusters').selectAll().where('uuid', '=', uuid).executeTakeFirst();
  if (!row) return;
  const ngs = await tx.selectFrom('nodegroups').selectAll().where('cluster_id', '=', uuid).orderBy('id').execute();
  await insertOutbox(tx, build(toCluster(row), ngs.map(toNodegroup)));
}

export class ClusterRepository {
  readonly #db: Kysely<Database>;
  /** Where list pages are read (Db.reader: on SQLite, off the event loop). */
  readonly #reader: Kysely<Database>;
  constructor(db: Kysely<Database>, reader: Kysely<Database> = db) {
    this.#db = db;
    this.#reader = reader;
  }

  /**
   * Inserts the cluster, its CA, its nodegroups, its create operation, first event, (when `notification` is given)
   * its create-pending notification and (Keystone mode) its trust row in ONE transaction.
   */
  async createWithOperation(
    cluster: Omit<Cluster, 'id'>,
    nodegroups: Omit<Nodegroup, 'id'>[],
    op: NewOperation,
    event: NewEvent,
    ca: StoredCert,
    notification?: OutboxBuilder,
    trust?: NewClusterTrust,
  ): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.insertInto('clusters').values(fromCluster(cluster)).execute();
      if (trust) await tx.insertInto('cluster_trusts').values(trustRow(trust, cluster.created_at)).execute();
      await tx
        .insertInto('certificates')
        .values({ cluster_id: cluster.uuid, kind: 'ca', ...ca, created_at: cluster.created_at })
        .execute();
      for (const ng of nodegroups) await tx.insertInto('nodegroups').values(fromNodegroup(ng)).execute();
      await insertOperation(tx, op);
      await insertEvent(tx, event);
      await writeNotification(tx, cluster.uuid, notification);
    });
  }

  async findVisible(caller: Caller, by: { uuid: string } | { name: string }): Promise<Cluster[]> {
    const [column, value] = 'uuid' in by ? (['uuid', by.uuid] as const) : (['name', by.name] as const);
    const q = caller.isAdmin
      ? this.#findVisible[column].admin.with(value)
      : this.#findVisible[column].project.with(value, caller.projectId);
    return (await this.#db.executeQuery(q)).rows.map(toCluster);
  }

  /** {@link findVisible}'s queries (compiled once), by column and by whether the caller sees every project. */
  readonly #findVisible = (['uuid', 'name'] as const).reduce(
    (out, column) => {
      const by = (value: string) =>
        this.#db.selectFrom('clusters').selectAll().where(column, '=', value).orderBy('id').limit(2);
      out[column] = {
        admin: new CompiledOnce((value) => by(value)),
        project: new CompiledOnce((value, project) => by(value).where('project_id', '=', project)),
      };
      return out;
    },
    {} as Record<'uuid' | 'name', { admin: CompiledOnce<ClusterRow>; project: CompiledOnce<ClusterRow> }>,
  );

  async get(uuid: string): Promise<Cluster | undefined> {
    const row = await this.#db.selectFrom('clusters').selectAll().where('uuid', '=', uuid).executeTakeFirst();
    return row && toCluster(row);
  }

  async list(caller: Caller, page: PageRequest, onUnreadable?: OnUnreadable): Promise<Page<Cluster>> {
    let q = this.#reader.selectFrom('clusters').selectAll();
    if (!caller.isAdmin) q = q.where('project_id', '=', caller.projectId);
    return listPage(q, 'clusters', page, ['labels', 'health_status_reason', 'status_reason'], toCluster, onUnreadable);
  }

  /** The marker row of a page, only among the clusters `caller` may list (a hidden one is no marker, like a missing one). */
  async markerOf(caller: Caller, uuid: string, sortKey: string): Promise<{ id: number; value: unknown } | undefined> {
    let q = this.#db.selectFrom('clusters').selectAll().where('uuid', '=', uuid);
    if (!caller.isAdmin) q = q.where('project_id', '=', caller.projectId);
    const row = await q.executeTakeFirst();
    return row && { id: Number(row.id), value: (row as Record<string, unknown>)[sortKey] };
  }

  /**
   * The node groups of the clusters; an unreadable row throws, or with `onUnreadable` is skipped and reported. For
   * the clusters of a list page (`ofPage`), read on the reader like the page.
   */
  async nodegroups(clusterUuids: readonly string[], onUnreadable?: OnUnreadable, ofPage = false): Promise<Nodegroup[]> {
    if (clusterUuids.length === 0) return [];
    const rows = await (ofPage ? this.#reader : this.#db)
      .selectFrom('nodegroups')
      .selectAll()
      .where('cluster_id', 'in', clusterUuids)
      .orderBy('id')
      .execute();
    if (!onUnreadable) return rows.map(toNodegroup);
    const { items, unreadable } = decodeEach(rows, toNodegroup);
    unreadable.forEach(onUnreadable);
    return items;
  }

  /**
   * Starts a delete in one transaction: cancels any active operation (its worker notices at its next lease renewal),
   * queues the delete, marks the cluster and its nodegroups DELETE_IN_PROGRESS. Returns false when a delete is already queued.
   */
  async requestDelete(
    uuid: string,
    op: NewOperation,
    event: NewEvent,
    now: string,
    notification?: OutboxBuilder,
  ): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      const active = await tx
        .selectFrom('operations')
        .select(['id', 'kind'])
        .where('cluster_id', '=', uuid)
        .where('state', 'in', ['pending', 'running'])
        .execute();
      if (active.some((o) => o.kind === 'cluster_delete')) return false;
      if (active.length > 0) {
        await tx
          .updateTable('operations')
          .set({ state: 'cancelled', updated_at: now })
          .where(
            'id',
            'in',
            active.map((o) => o.id),
          )
          .execute();
      }
      await insertOperation(tx, op);
      await tx
        .updateTable('clusters')
        .set({ status: 'DELETE_IN_PROGRESS', status_reason: null, updated_at: now })
        .where('uuid', '=', uuid)
        .execute();
      await tx
        .updateTable('nodegroups')
        .set({ status: 'DELETE_IN_PROGRESS', status_reason: null, updated_at: now })
        .where('cluster_id', '=', uuid)
        .execute();
      await insertEvent(tx, event);
      await writeNotification(tx, uuid, notification);
      return true;
    });
  }

  /**
   * Starts an update (resize, node group change, upgrade, heal) in one transaction: refuses when another operation is
   * active (returns false), applies `change` (the new desired state: node counts, node group rows, template),
   * queues the operation and marks the cluster UPDATE_IN_PROGRESS.
   */
  async startUpdate(
    uuid: string,
    op: NewOperation,
    event: NewEvent,
    now: string,
    change?: (tx: Transaction<Database>) => Promise<void>,
    notification?: OutboxBuilder,
  ): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      const active = await tx
        .selectFrom('operations')
        .select('id')
        .where('cluster_id', '=', uuid)
        .where('state', 'in', ['pending', 'running'])
        .executeTakeFirst();
      if (active) return false;
      if (change) await change(tx);
      await insertOperation(tx, op);
      await tx
        .updateTable('clusters')
        .set({ status: 'UPDATE_IN_PROGRESS', status_reason: null, updated_at: now })
        .where('uuid', '=', uuid)
        .execute();
      await insertEvent(tx, event);
      await writeNotification(tx, uuid, notification);
      return true;
    });
  }

  async saveDriverState(uuid: string, state: Record<string, unknown>): Promise<void> {
    await this.#db
      .updateTable('clusters')
      .set({ driver_state: JSON.stringify(state) })
      .where('uuid', '=', uuid)
      .execute();
  }

  /** Sets the health fields (a cluster PATCH that changes only them queues no operation, as in Magnum). */
  async setHealth(
    uuid: string,
    status: string | null,
    reason: Record<string, string> | null,
    now: string,
  ): Promise<void> {
    await this.#db
      .updateTable('clusters')
      .set({
        health_status: status,
        health_status_reason: reason === null ? null : JSON.stringify(reason),
        updated_at: now,
      })
      .where('uuid', '=', uuid)
      .execute();
  }

  /**
   * Writes the outputs and the final status of a successful operation, closing the operation, in one transaction.
   * Node groups finish with it: *_IN_PROGRESS becomes *_COMPLETE, and groups being deleted are removed.
   */
  async complete(
    uuid: string,
    status: string,
    outputs: ClusterOutputsRecord,
    op: Operation,
    event: NewEvent,
    now: string,
    notification?: OutboxBuilder,
  ): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .updateTable('clusters')
        .set({
          status,
          status_reason: null,
          api_address: outputs.api_address,
          coe_version: outputs.coe_version,
          container_version: outputs.container_version,
          updated_at: now,
        })
        .where('uuid', '=', uuid)
        .execute();
      await tx
        .deleteFrom('nodegroups')
        .where('cluster_id', '=', uuid)
        .where('status', '=', 'DELETE_IN_PROGRESS')
        .execute();
      await settleNodegroups(tx, uuid, 'COMPLETE', null, now);
      for (const [name, addresses] of Object.entries(outputs.addresses)) {
        await tx
          .updateTable('nodegroups')
          .set({ node_addresses: JSON.stringify(addresses) })
          .where('cluster_id', '=', uuid)
          .where('name', '=', name)
          .execute();
      }
      await tx
        .updateTable('operations')
        .set({ state: 'done', owner: null, lease_until: null, error: null, updated_at: now })
        .where('id', '=', op.id)
        .execute();
      await insertEvent(tx, event);
      await writeNotification(tx, uuid, notification);
    });
  }

  /** Records a failure: *_FAILED status with the reason on the cluster and its in-progress node groups, operation failed, event — in one transaction. */
  async fail(
    uuid: string,
    status: string,
    reason: string,
    op: Operation,
    event: NewEvent,
    now: string,
    notification?: OutboxBuilder,
  ): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .updateTable('clusters')
        .set({ status, status_reason: reason, updated_at: now })
        .where('uuid', '=', uuid)
        .execute();
      await settleNodegroups(tx, uuid, 'FAILED', reason, now);
      await tx
        .updateTable('operations')
        .set({ state: 'failed', owner: null, lease_until: null, error: reason, updated_at: now })
        .where('id', '=', op.id)
        .execute();
      await insertEvent(tx, event);
      await writeNotification(tx, uuid, notification);
    });
  }

  /**
   * Removes every row of a deleted cluster (cluster, nodegroups, certificates, trust, events, operations) in one transaction,
   * with the delete-success notification built from the rows as they were just before.
   */
  async purge(uuid: string, notification?: OutboxBuilder): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await writeNotification(tx, uuid, notification);
      for (const table of ['nodegroups', 'certificates', 'operations', 'cluster_trusts'] as const) {
        await tx.deleteFrom(table).where('cluster_id', '=', uuid).execute();
      }
      await tx.deleteFrom('clusters').where('uuid', '=', uuid).execute();
      // The timeline outlives its cluster for a while, so that a follower (`cluster-delete --wait`, the SSE stream)
      // still reads the teardown and the final event; timelines of clusters gone for over an hour are dropped here.
      const now = new Date();
      await insertEvent(tx, {
        cluster_id: uuid,
        at: now.toISOString(),
        phase: 'deleted',
        level: 'info',
        message: 'cluster deleted',
      });
      const cutoff = new Date(now.getTime() - EVENTS_KEPT_AFTER_DELETE_MS).toISOString();
      await tx
        .deleteFrom('cluster_events')
        .where('at', '<', cutoff)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(selectFrom('clusters').select('uuid').whereRef('clusters.uuid', '=', 'cluster_events.cluster_id')),
          ),
        )
        .execute();
    });
  }
}

/** Ends every in-progress node group of the cluster with the operation: `X_IN_PROGRESS` becomes `X_COMPLETE` or `X_FAILED`. */
async function settleNodegroups(
  tx: Transaction<Database>,
  uuid: string,
  outcome: 'COMPLETE' | 'FAILED',
  reason: string | null,
  now: string,
): Promise<void> {
  await tx
    .updateTable('nodegroups')
    .set({ status: sql<string>`replace(status, 'IN_PROGRESS', ${outcome})`, status_reason: reason, updated_at: now })
    .where('cluster_id', '=', uuid)
    .where('status', 'like', '%_IN_PROGRESS')
    .execute();
}
