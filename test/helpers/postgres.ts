/** @module Test helper: a fresh PostgreSQL database on the loopback server (scripts/ensure-system.sh postgres), dropped after. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server's role for tests (created by scripts/ensure-system.sh postgres). */
export const PG_SERVER = 'postgresql://magnetar:magnetar@127.0.0.1:5432';

/** A database made for one test file. */
export interface FreshDatabase {
  name: string;
  url: string;
  /** Runs a query on it (one short-lived connection). */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Drops it, closing any connection still open. */
  drop(): Promise<void>;
}

async function onServer<T>(db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${PG_SERVER}/${db}` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `<prefix>_<random>` owned by the test role. */
export async function freshDatabase(prefix: string): Promise<FreshDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await onServer('postgres', (c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: `${PG_SERVER}/${name}`,
    query: (text, values) => onServer(name, async (c) => (await c.query(text, values)).rows),
    drop: () =>
      onServer('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
