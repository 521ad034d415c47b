/** @module Counts for quota enforcement and `GET /v1/stats`: clusters, and nodes over all their node groups. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export class UsageRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Clusters of a project, or of every project when `projectId` is undefined. */
  async clusterCount(projectId?: string): Promise<number> {
    let q = this.#db.selectFrom('clusters').select((eb) => eb.fn.countAll<number>().as('n'));
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  /** Nodes (masters included) of the clusters of a project, or of every project. */
  async nodeCount(projectId?: string): Promise<number> {
    let q = this.#db
      .selectFrom('nodegroups')
      .innerJoin('clusters', 'clusters.uuid', 'nodegroups.cluster_id')
      .select((eb) => eb.fn.sum<number | string | null>('nodegroups.node_count').as('n'));
    if (projectId !== undefined) q = q.where('clusters.project_id', '=', projectId);
    return Number((await q.executeTakeFirstOrThrow()).n ?? 0);
  }
}
