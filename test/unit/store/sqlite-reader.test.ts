/**
 * @module test/unit/store/sqlite-reader — the SQLite reader thread on its own (a real file written with node:sqlite):
 * rows and exact integers back, errors of a query rejected with node:sqlite's fields, read-only, the queue bound,
 * a thread that cannot start failing its queries and starting again, close answering first, and its Kysely dialect.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, sql } from 'kysely';
import { MagnumError } from '../../../src/core/errors.ts';
import { SqliteReader, SqliteReaderDialect } from '../../../src/store/sqlite-reader.ts';

void describe('SqliteReader', () => {
  let dir: string;
  let path: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-reader-unit-'));
    path = join(dir, 'r.db');
    const db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, big INTEGER)');
    db.prepare('INSERT INTO t (id, name, big) VALUES (?, ?, ?)').run(1, 'one', 2n ** 60n);
    db.prepare('INSERT INTO t (id, name, big) VALUES (?, ?, ?)').run(2, 'two', 7);
    db.close();
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test('answers a query with its rows; integers beyond 2^53 stay BigInt, the others are numbers', async () => {
    const reader = new SqliteReader(path);
    try {
      const rows = await reader.query('SELECT id, name, big FROM t WHERE id >= ? ORDER BY id', [1]);
      assert.deepEqual(rows, [
        { id: 1, name: 'one', big: 2n ** 60n },
        { id: 2, name: 'two', big: 7 },
      ]);
      assert.equal(reader.queued, 0);
    } finally {
      await reader.close();
    }
  });

  void test("rejects a failing query with node:sqlite's error fields, and keeps answering", async () => {
    const reader = new SqliteReader(path);
    try {
      await assert.rejects(
        reader.query('SELECT * FROM missing', []),
        (e: Error & { code?: string; errstr?: string }) => {
          assert.match(e.message, /no such table: missing/);
          assert.equal(e.code, 'ERR_SQLITE_ERROR');
          return true;
        },
      );
      await assert.rejects(
        reader.query("INSERT INTO t (name) VALUES ('x')", []),
        /attempt to write a readonly database/,
      );
      assert.deepEqual(await reader.query('SELECT count(*) AS n FROM t', []), [{ n: 2 }]);
    } finally {
      await reader.close();
    }
  });

  void test('refuses a query beyond its queue bound at once with a 503, and answers the queued ones', async () => {
    const reader = new SqliteReader(path, { maxQueued: 2 });
    try {
      const a = reader.query('SELECT 1 AS n', []);
      const b = reader.query('SELECT 2 AS n', []);
      await assert.rejects(reader.query('SELECT 3 AS n', []), (e: unknown) => {
        assert.ok(e instanceof MagnumError);
        assert.equal(e.status, 503);
        assert.match(e.message, /Too many reads waiting \(2\)/);
        return true;
      });
      assert.deepEqual(await Promise.all([a, b]), [[{ n: 1 }], [{ n: 2 }]]);
      assert.deepEqual(await reader.query('SELECT 4 AS n', []), [{ n: 4 }]);
    } finally {
      await reader.close();
    }
  });

  void test('a thread that cannot open its file fails the queries waiting; the next query starts a new thread', async () => {
    const later = join(dir, 'later.db');
    const reader = new SqliteReader(later);
    try {
      await assert.rejects(reader.query('SELECT 1 AS n', []), /SQLite reader thread failed: .*unable to open/);
      const db = new DatabaseSync(later);
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('CREATE TABLE u (n INTEGER)');
      db.exec('INSERT INTO u VALUES (5)');
      try {
        assert.deepEqual(await reader.query('SELECT n FROM u', []), [{ n: 5 }]);
      } finally {
        db.close();
      }
    } finally {
      await reader.close();
    }
  });

  void test('close answers every query asked before it, then refuses; closing twice is one close', async () => {
    const reader = new SqliteReader(path);
    const asked = [1, 2, 3].map((n) => reader.query('SELECT ? AS n', [n]));
    const closed = reader.close();
    assert.equal(reader.close(), closed);
    assert.deepEqual(await Promise.all(asked), [[{ n: 1 }], [{ n: 2 }], [{ n: 3 }]]);
    await closed;
    await assert.rejects(reader.query('SELECT 1', []), /the SQLite reader is closed/);
    // A reader never used closes without a thread.
    await new SqliteReader(path).close();
  });

  void test('behind Kysely: builders compile to SQLite and run on the thread; no transactions', async () => {
    const reader = new SqliteReader(path);
    const db = new Kysely<{ t: { id: number; name: string; big: number } }>({
      dialect: new SqliteReaderDialect(reader),
    });
    try {
      const rows = await db.selectFrom('t').select(['id', 'name']).where('id', '=', 2).execute();
      assert.deepEqual(rows, [{ id: 2, name: 'two' }]);
      const { rows: raw } = await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(db);
      assert.deepEqual(raw, [{ n: 2 }]);
      await assert.rejects(
        db.transaction().execute(async () => undefined),
        /read-only: run transactions on the main connection/,
      );
    } finally {
      await db.destroy();
    }
    await assert.rejects(reader.query('SELECT 1', []), /closed/, 'destroying the Kysely instance closes the reader');
  });
});
