/** @module Opens the store: SQLite through node:sqlite (embedded default) or PostgreSQL through pg (scale-out). */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, linkSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { StartupError } from '../config/startup-error.ts';
import { migrateToLatest } from './migrate.ts';
import { MagnetarSqliteDialect, openSqlite } from './sqlite-database.ts';
import { SqliteReader, SqliteReaderDialect } from './sqlite-reader.ts';
import { checkSqliteFile, tightenFile, unreadableSqlite } from './state-dir.ts';
import type { Database } from './schema.ts';

export type Engine = 'sqlite' | 'postgres';

/** An open store: the Kysely instance plus which engine is behind it. */
export interface Db {
  readonly kysely: Kysely<Database>;
  /**
   * For the reads of list pages: on a SQLite file, a worker thread's own read-only connection, so that a large page
   * is never read on the event loop (sqlite-reader.ts; no writes, no transactions); otherwise {@link kysely} itself.
   */
  readonly reader: Kysely<Database>;
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
  let reader: Kysely<Database> | undefined;
  let engine: Engine;
  if (/^postgres(ql)?:\/\//.test(url)) {
    engine = 'postgres';
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, types: int8AsNumber });
    // An idle client dropped by the server (restart, admin command) must not crash the process; the pool reconnects.
    pool.on('error', () => {});
    try {
      await pool.query('SELECT 1');
    } catch (e) {
      await pool.end().catch(() => {});
      throw unreachablePostgres(url, e);
    }
    kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    engine = 'sqlite';
    const path = url.replace(/^sqlite:(\/\/)?/, '');
    if (path !== ':memory:') prepareSqliteFile(path);
    let database: ReturnType<typeof openSqlite>;
    try {
      database = openSqlite(path);
    } catch (e) {
      throw unreadableSqlite(path, (e as Error).message);
    }
    if (path !== ':memory:') {
      const problems = database.raw.prepare('PRAGMA quick_check(3)').all() as { quick_check: string }[];
      if (problems[0]?.quick_check !== 'ok') {
        database.close();
        throw unreadableSqlite(path, `integrity check: ${problems.map((r) => r.quick_check).join('; ')}`);
      }
      for (const f of [`${path}-wal`, `${path}-shm`]) tightenFile(f);
    }
    kysely = new Kysely<Database>({ dialect: new MagnetarSqliteDialect({ database }) });
    if (path !== ':memory:')
      reader = new Kysely<Database>({ dialect: new SqliteReaderDialect(new SqliteReader(path)) });
  }
  if (opts.migrate ?? true) await migrateToLatest(kysely);
  const close = async (): Promise<void> => {
    await reader?.destroy();
    await kysely.destroy();
  };
  return { kysely, reader: reader ?? kysely, engine, url, close };
}

/**
 * Checks an existing SQLite file (an empty one is refused), or creates a new one with mode 0600 before the store opens
 * it, so that its WAL and shared-memory files, which SQLite creates with the database file's mode, are 0600 too.
 */
function prepareSqliteFile(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StartupError(
      `database directory ${dirname(path)} cannot be created (${(e as Error).message}); fix database.url or --state-dir`,
    );
  }
  checkSqliteFile(path);
  if (existsSync(path)) {
    tightenFile(path);
    return;
  }
  // Initialised under a temporary name and linked into place: a process starting at the same moment never sees an
  // empty file at `path` (which it would refuse), and the first link wins.
  const fresh = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  try {
    closeSync(openSync(fresh, 'wx', 0o600));
    const db = new DatabaseSync(fresh);
    db.exec('PRAGMA journal_mode = WAL');
    db.close();
    linkSync(fresh, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new StartupError(
        `database ${path} cannot be created (${(e as Error).message}); fix database.url or --state-dir`,
      );
    }
  } finally {
    rmSync(fresh, { force: true });
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/** The one-line reason (and fix) for a PostgreSQL that does not answer or refuses us. */
function unreachablePostgres(url: string, e: unknown): StartupError {
  const err = e as { code?: string; message?: string };
  const at = redactUrl(url);
  const fix = 'fix --database-url (MAGNETAR_DATABASE_URL, database.url)';
  switch (err.code) {
    case 'ECONNREFUSED':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new StartupError(`cannot reach PostgreSQL at ${at} (${err.code}): start PostgreSQL there or ${fix}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`PostgreSQL host of ${at} cannot be resolved (${err.code}): ${fix}`);
    case '28P01':
    case '28000':
      return new StartupError(`PostgreSQL at ${at} refused the login (${err.message ?? err.code}): ${fix}`);
    case '3D000':
      return new StartupError(`PostgreSQL at ${at}: ${err.message ?? 'no such database'}: create it or ${fix}`);
    default:
      return new StartupError(`PostgreSQL at ${at} cannot be used (${err.message ?? String(e)}): ${fix}`);
  }
}
