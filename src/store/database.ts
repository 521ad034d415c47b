/** @module Opens the store: SQLite through node:sqlite (embedded default) or PostgreSQL through pg (scale-out). */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrate.ts';
import { openSqlite } from './sqlite-database.ts';
import type { Database } from './schema.ts';

export type Engine = 'sqlite' | 'postgres';

/** An open store: the Kysely instance plus which engine is behind it. */
export interface Db {
  readonly kysely: Kysely<Database>;
  readonly engine: Engine;
  /** The URL it was opened with (PostgreSQL: for extra connections such as LISTEN). */
  readonly url?: string;
  close(): Promise<void>;
}

/** Options for {@link openDb}. */
export interface OpenDbOptions {
  /** `postgresql://…` or a path / `sqlite:` URL of the SQLite file. */
  url: string;
  /** Apply pending migrations on open. @default true */
  migrate?: boolean;
  /** Size of the PostgreSQL pool. @default 10 */
  poolSize?: number;
}

/**
 * Epoch-millisecond and bigserial columns fit in a double: int8 is read as a number, not a string — when it holds
 * exactly. A value beyond 2^53 stays the string pg gives, so the row decoders name the row as unreadable instead of
 * working with a rounded value (row-decode.ts).
 */
const int8AsNumber = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (v: string): number | string => {
          const n = Number(v);
          return Number.isSafeInteger(n) ? n : v;
        }
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  const { url } = opts;
  let kysely: Kysely<Database>;
  let engine: Engine;
  if (/^postgres(ql)?:\/\//.test(url)) {
    engine = 'postgres';
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, types: int8AsNumber });
    // An idle client dropped by the server (restart, admin command) must not crash the process; the pool reconnects.
    pool.on('error', () => {});
    kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    engine = 'sqlite';
    const path = url.replace(/^sqlite:(\/\/)?/, '');
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const database = openSqlite(path);
    kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  }
  if (opts.migrate ?? true) await migrateToLatest(kysely);
  return { kysely, engine, url, close: () => kysely.destroy() };
}
