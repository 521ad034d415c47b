/** @module Adapts Node's built-in `node:sqlite` to the database shape Kysely's SqliteDialect expects. */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type Param = null | number | bigint | string | NodeJS.ArrayBufferView;

/**
 * Opens (creating if needed) a SQLite file in WAL mode with synchronous=FULL and a busy timeout,
 * and wraps it for Kysely.
 */
export function openSqlite(path: string): SqliteDatabase & { raw: DatabaseSync } {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA foreign_keys = ON');
  const cache = new Map<string, StatementSync>();
  return {
    raw: db,
    close: () => db.close(),
    prepare(text: string): SqliteStatement {
      // Kysely opens transactions with a plain (deferred) BEGIN. A deferred transaction that reads and then writes
      // fails at once with SQLITE_BUSY when another process committed in between (the busy timeout does not apply
      // to that lock upgrade). Every Kysely transaction here writes, so take the write lock up front: writers then
      // queue behind each other for up to busy_timeout instead of failing.
      const sqlText = /^\s*begin\s*;?\s*$/i.test(text) ? 'begin immediate' : text;
      let stmt = cache.get(sqlText);
      if (!stmt) {
        stmt = db.prepare(sqlText);
        if (cache.size > 500) cache.clear();
        cache.set(sqlText, stmt);
      }
      const s = stmt;
      return {
        reader: s.columns().length > 0,
        all: (params) => s.all(...(params as Param[])),
        run: (params) => {
          const r = s.run(...(params as Param[]));
          return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
        },
        iterate: (params) => s.iterate(...(params as Param[])) as IterableIterator<unknown>,
      };
    },
  };
}
