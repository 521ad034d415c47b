/** @module The Keystone trust of each cluster: trustee and trust ids, and the sealed secrets that go with them. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** A cluster's trust as stored (secrets still sealed). */
export interface ClusterTrust {
  clusterId: string;
  trusteeName: string;
  trusteeUserId: string | null;
  trusteePasswordSealed: string;
  trustId: string | null;
  trustorUserId: string;
  trustorProjectId: string;
  roles: string[];
  trustorTokenSealed: string | null;
}

/** What the API writes with a new cluster: names and sealed secrets, nothing made in Keystone yet. */
export type NewClusterTrust = Omit<ClusterTrust, 'trusteeUserId' | 'trustId'>;

/** The row for a new trust (inserted by ClusterRepository.createWithOperation in the cluster's transaction). */
export function trustRow(t: NewClusterTrust, now: string): Database['cluster_trusts'] {
  return {
    cluster_id: t.clusterId,
    trustee_name: t.trusteeName,
    trustee_user_id: null,
    trustee_password_sealed: t.trusteePasswordSealed,
    trust_id: null,
    trustor_user_id: t.trustorUserId,
    trustor_project_id: t.trustorProjectId,
    roles: JSON.stringify(t.roles),
    trustor_token_sealed: t.trustorTokenSealed,
    created_at: now,
    updated_at: null,
  };
}

export class TrustRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(clusterId: string): Promise<ClusterTrust | undefined> {
    const r = await this.#db
      .selectFrom('cluster_trusts')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .executeTakeFirst();
    if (!r) return undefined;
    let roles: unknown;
    try {
      roles = JSON.parse(r.roles);
    } catch {
      roles = undefined;
    }
    return {
      clusterId: r.cluster_id,
      trusteeName: r.trustee_name,
      trusteeUserId: r.trustee_user_id,
      trusteePasswordSealed: r.trustee_password_sealed,
      trustId: r.trust_id,
      trustorUserId: r.trustor_user_id,
      trustorProjectId: r.trustor_project_id,
      roles: Array.isArray(roles) ? roles.filter((x): x is string => typeof x === 'string') : [],
      trustorTokenSealed: r.trustor_token_sealed,
    };
  }

  /** Records the trustee's Keystone id (found or made). */
  async setTrustee(clusterId: string, userId: string | null): Promise<void> {
    await this.#db
      .updateTable('cluster_trusts')
      .set({ trustee_user_id: userId, updated_at: new Date().toISOString() })
      .where('cluster_id', '=', clusterId)
      .execute();
  }

  /** Records the trust's id and erases the creating user's token, which is not needed any more. */
  async setTrust(clusterId: string, trustId: string | null): Promise<void> {
    await this.#db
      .updateTable('cluster_trusts')
      .set({ trust_id: trustId, trustor_token_sealed: null, updated_at: new Date().toISOString() })
      .where('cluster_id', '=', clusterId)
      .execute();
  }
}
