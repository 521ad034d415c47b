/**
 * @module The Keystone trust of each cluster (Keystone mode): its trustee user in the trustee domain and the trust
 * from the creating user to it. Secrets are sealed like private keys: the trustee's password, and the creating user's
 * token until the conductor has made the trust with it (then it is erased).
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('cluster_trusts')
    .addColumn('cluster_id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('trustee_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('trustee_user_id', 'varchar(64)')
    .addColumn('trustee_password_sealed', 'text', (c) => c.notNull())
    .addColumn('trust_id', 'varchar(64)')
    .addColumn('trustor_user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('trustor_project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('trustor_token_sealed', 'text')
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)')
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('cluster_trusts').ifExists().execute();
}
