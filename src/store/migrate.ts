/** @module Runs the one set of migrations on either engine. */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as m0001 from './migrations/0001-initial.ts';
import * as m0002 from './migrations/0002-lifecycle.ts';
import * as m0003 from './migrations/0003-revisions.ts';
import * as m0004 from './migrations/0004-cluster-trusts.ts';
import type { Database } from './schema.ts';

/** Migrations in order; names are stable forever. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-lifecycle': m0002,
  '0003-revisions': m0003,
  '0004-cluster-trusts': m0004,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

/** Applies all pending migrations; returns the names applied now. Throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'magnetar_migrations',
    migrationLockTableName: 'magnetar_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error)
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
