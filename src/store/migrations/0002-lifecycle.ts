/** @module Operation payloads, quotas, service heartbeats (mservices) and the notification outbox. */
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import { PostgresAdapter } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  const isPg = db.getExecutor().adapter instanceof PostgresAdapter;
  const idCol = isPg ? 'bigserial' : 'integer';
  const pk = (c: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
    isPg ? c.primaryKey() : c.primaryKey().autoIncrement();

  await db.schema
    .alterTable('operations')
    .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();

  await db.schema
    .createTable('quotas')
    .addColumn('id', idCol, pk)
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('resource', 'varchar(255)', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)')
    .addUniqueConstraint('quotas_project_resource', ['project_id', 'resource'])
    .execute();

  await db.schema
    .createTable('services')
    .addColumn('id', idCol, pk)
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('binary', 'varchar(255)', (c) => c.notNull())
    .addColumn('report_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_reason', 'varchar(255)')
    .addColumn('forced_down', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_seen_up', 'varchar(40)')
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)')
    .addUniqueConstraint('services_host_binary', ['host', 'binary'])
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', idCol, pk)
    .addColumn('event_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['next_attempt_at', 'id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const t of ['outbox', 'services', 'quotas']) await db.schema.dropTable(t).ifExists().execute();
  await db.schema.alterTable('operations').dropColumn('payload').execute();
}
