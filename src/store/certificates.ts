/** @module Per-cluster certificate store (CA and the conductor's client certificate); private keys are sealed at rest. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface StoredCert {
  cert_pem: string;
  key_sealed: string;
}

export class CertificateRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(clusterId: string, kind: string): Promise<StoredCert | undefined> {
    return this.#db
      .selectFrom('certificates')
      .select(['cert_pem', 'key_sealed'])
      .where('cluster_id', '=', clusterId)
      .where('kind', '=', kind)
      .executeTakeFirst();
  }

  /**
   * How many sealed private keys the store holds, and the newest one: enough to tell at start whether the master key
   * is the one they were sealed with.
   */
  async sealedSample(): Promise<{ count: number; newest: string | undefined }> {
    const { n } = await this.#db
      .selectFrom('certificates')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    const newest = await this.#db
      .selectFrom('certificates')
      .select('key_sealed')
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return { count: Number(n), newest: newest?.key_sealed };
  }

  /** Removes one kind of the cluster's certificates (none is fine). */
  async delete(clusterId: string, kind: string): Promise<void> {
    await this.#db.deleteFrom('certificates').where('cluster_id', '=', clusterId).where('kind', '=', kind).execute();
  }

  /** Stores the pair unless one exists already (a concurrent or earlier attempt); returns the stored one either way. */
  async putIfAbsent(clusterId: string, kind: string, cert: StoredCert): Promise<StoredCert> {
    await this.#db
      .insertInto('certificates')
      .values({ cluster_id: clusterId, kind, ...cert, created_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(['cluster_id', 'kind']).doNothing())
      .execute();
    const stored = await this.get(clusterId, kind);
    if (!stored) throw new Error(`certificate ${kind} of cluster ${clusterId} vanished after insert`);
    return stored;
  }
}
