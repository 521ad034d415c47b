/** @module Adapts Node's built-in `node:sqlite` to the database shape Kysely's SqliteDialect expects. */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { SqliteAdapter, SqliteDialect, type DialectAdapter, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { allRows, type Param } from './sqlite-rows.ts';

/**
 * Opens (creating if needed) a SQLite file in WAL mode with synchronous=FULL and a busy timeout,
 * and wraps it for Kysely.
 */
export function openSqlite(path: string): SqliteDatabase & { raw: DatabaseSync } {
  const db = new DatabaseSync(path);
  // The busy timeout first: even switching to WAL waits for a lock, and another process may be migrating the file.
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  // Prepared once per SQL text, with what is known of it (whether it returns rows, whether it is a SELECT): asking
  // node:sqlite for a statement's columns builds them anew every time.
  const cache = new Map<string, SqliteStatement>();
  return {
    raw: db,
    close: () => db.close(),
    prepare(text: string): SqliteStatement {
      const cached = cache.get(text);
      if (cached) return cached;
      // Kysely opens transactions with a plain (deferred) BEGIN. A deferred transaction that reads and then writes
      // fails at once with SQLITE_BUSY when another process committed in between (the busy timeout does not apply
      // to that lock upgrade). Every Kysely transaction here writes, so take the write lock up front: writers then
      // queue behind each other for up to busy_timeout instead of failing.
      const sqlText = /^\s*begin\s*;?\s*$/i.test(text) ? 'begin immediate' : text;
      const s: StatementSync = db.prepare(sqlText);
      const select = /^\s*select\b/i.test(sqlText);
      const stmt: SqliteStatement = {
        reader: s.columns().length > 0,
        all: (params) => allRows(s, params as Param[], select),
        run: (params) => {
          const r = s.run(...(params as Param[]));
          return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
        },
        iterate: (params) => s.iterate(...(params as Param[])) as IterableIterator<unknown>,
      };
      if (cache.size > 500) cache.clear();
      cache.set(text, stmt);
      return stmt;
    },
  };
}

/**
 * SQLite runs DDL inside transactions, but Kysely's SqliteAdapter says it does not, so its Migrator runs each
 * statement on its own with no lock (it assumes one process). Saying it does makes the Migrator run the whole pending
 * list in one transaction, which begins IMMEDIATE here ({@link openSqlite}): a second process migrating the same file
 * at the same moment waits for the first to commit (busy_timeout), then reads the migrations as done and applies
 * nothing; a failing migration leaves nothing half-applied.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Kysely's SqliteDialect over {@link openSqlite}, with migrations run in one write transaction. */
export class MagnetarSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
