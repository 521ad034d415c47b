/**
 * @module A revision counter per table that API processes cache rendered lists against. Triggers bump it in the same
 * statement as every insert, update and delete, so no writer can forget it and a write stays one round trip. On
 * PostgreSQL the trigger also notifies `magnetar_revisions` at commit (see store/revision-watcher.ts).
 */
import { PostgresAdapter, sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const TABLES = ['cluster_templates'];

export async function up(db: AnyDb): Promise<void> {
  const isPg = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('revisions')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  if (isPg) {
    await sql`CREATE FUNCTION magnetar_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE revisions SET value = value + 1 WHERE name = TG_TABLE_NAME;
        PERFORM pg_notify('magnetar_revisions', TG_TABLE_NAME);
        RETURN NULL;
      END $$`.execute(db);
  }
  for (const table of TABLES) {
    await db.insertInto('revisions').values({ name: table, value: 0 }).execute();
    if (isPg) {
      await sql`CREATE TRIGGER ${sql.id(`${table}_revision`)} AFTER INSERT OR UPDATE OR DELETE ON ${sql.table(table)}
        FOR EACH STATEMENT EXECUTE FUNCTION magnetar_bump_revision()`.execute(db);
    } else {
      for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
        await sql`CREATE TRIGGER ${sql.id(`${table}_revision_${op.toLowerCase()}`)} AFTER ${sql.raw(op)} ON ${sql.table(table)}
          BEGIN UPDATE revisions SET value = value + 1 WHERE name = ${sql.lit(table)}; END`.execute(db);
      }
    }
  }
}

export async function down(db: AnyDb): Promise<void> {
  const isPg = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const table of TABLES) {
    if (isPg) await sql`DROP TRIGGER IF EXISTS ${sql.id(`${table}_revision`)} ON ${sql.table(table)}`.execute(db);
    else
      for (const op of ['insert', 'update', 'delete'])
        await sql`DROP TRIGGER IF EXISTS ${sql.id(`${table}_revision_${op}`)}`.execute(db);
  }
  if (isPg) await sql`DROP FUNCTION IF EXISTS magnetar_bump_revision()`.execute(db);
  await db.schema.dropTable('revisions').ifExists().execute();
}
