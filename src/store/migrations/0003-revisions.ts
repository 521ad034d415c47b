/** @module A revision counter per table that API processes cache rendered lists against. */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('revisions')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('revisions').values({ name: 'cluster_templates', value: 0 }).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('revisions').ifExists().execute();
}
