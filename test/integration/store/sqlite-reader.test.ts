/**
 * @module test/integration/store/sqlite-reader — list pages of a store on a SQLite file are read on the reader thread
 * (Db.reader): every write is seen by the next list (read-your-writes), a write transaction still open is not (WAL
 * snapshot) and does not block the read, pages read there equal pages read on the main connection, the event loop
 * keeps turning while a long read runs, and closing the store ends the thread.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Caller } from '../../../src/core/types.ts';
import { openDb, type Db } from '../../../src/store/database.ts';
import type { PageRequest } from '../../../src/store/page.ts';
import { fromTemplate } from '../../../src/store/rows.ts';
import { Store } from '../../../src/store/store.ts';
import { TemplateRepository } from '../../../src/store/templates.ts';
import { templateRecord } from '../../helpers/builders.ts';

const caller: Caller = { userId: 'u-1', projectId: 'p-1', roles: ['member'], isAdmin: false };
const page = (over: Partial<PageRequest> = {}): PageRequest => ({
  limit: 1000,
  sortKey: 'id',
  sortDir: 'asc',
  ...over,
});

void describe('SQLite list reads on the reader thread', { timeout: 300_000 }, () => {
  let dir: string;
  let db: Db;
  let store: Store;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-reader-'));
    db = await openDb({ url: join(dir, 'magnetar.db') });
    store = new Store(db);
  });

  after(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the store has a reader of its own on a file (and none in memory)', async () => {
    assert.notEqual(db.reader, db.kysely);
    const memory = await openDb({ url: ':memory:' });
    try {
      assert.equal(memory.reader, memory.kysely);
    } finally {
      await memory.close();
    }
  });

  test('each insert, update and delete is seen by the very next list (read-your-writes)', async () => {
    for (let i = 0; i < 50; i++) {
      const t = await store.templates.insert(templateRecord({ name: `ryw-${i}`, labels: { n: String(i) } }));
      const listed = await store.templates.list(caller, page());
      assert.ok(
        listed.some((x) => x.uuid === t.uuid),
        `insert ${i} listed`,
      );
      const updated = await store.templates.update(t.id, { ...t, labels: { n: `${i}-updated` } });
      const again = await store.templates.list(caller, page());
      assert.deepEqual(again.find((x) => x.uuid === t.uuid)?.labels, updated.labels, `update ${i} listed`);
      if (i % 2 === 0) {
        assert.ok(await store.templates.deleteUnlessReferenced(t));
        assert.ok(!(await store.templates.list(caller, page())).some((x) => x.uuid === t.uuid), `delete ${i}`);
      }
    }
  });

  test('a write transaction still open is not seen, and does not hold up the read (WAL snapshot)', async () => {
    const before = (await store.templates.list(caller, page())).length;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedInTx = new Promise<void>((resolve) => (inserted = resolve));
    const tx = db.kysely.transaction().execute(async (trx) => {
      await trx
        .insertInto('cluster_templates')
        .values(fromTemplate(templateRecord({ name: 'in-tx' })))
        .execute();
      inserted();
      await held;
    });
    await insertedInTx;
    assert.equal((await store.templates.list(caller, page())).length, before, 'uncommitted row not listed');
    release();
    await tx;
    assert.equal((await store.templates.list(caller, page())).length, before + 1, 'committed row listed');
  });

  test('pages read on the thread equal pages read on the main connection (every sort, byte-bounded)', async () => {
    for (let i = 0; i < 30; i++)
      await store.templates.insert(templateRecord({ name: `cmp-${i % 7}`, labels: { v: 'x'.repeat(1000 * (i % 5)) } }));
    const onMain = new TemplateRepository(db.kysely);
    for (const sortKey of ['id', 'name', 'created_at', 'uuid'])
      for (const sortDir of ['asc', 'desc'] as const)
        for (const maxBytes of [undefined, 8_000]) {
          const p = page({ sortKey, sortDir, limit: 13, maxBytes });
          const a = await store.templates.list(caller, p);
          const b = await onMain.list(caller, p);
          assert.deepEqual(a, b, `${sortKey} ${sortDir} ${maxBytes}`);
          assert.equal(a.cut, b.cut);
          assert.ok(a.length > 0);
        }
  });

  test('the event loop keeps turning while a long read runs on the thread', async () => {
    let done = false;
    const read = sql<{ n: number }>`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000)
      SELECT count(*) AS n FROM c`
      .execute(db.reader)
      .finally(() => (done = true));
    let turns = 0;
    while (!done) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      turns += 1;
    }
    assert.deepEqual((await read).rows, [{ n: 3_000_000 }]);
    // Run on the main thread the read would take every turn: the loop would not turn once until it ended.
    assert.ok(turns > 10, `the event loop turned ${turns} times during the read`);
  });

  test('closing the store ends the reader thread, and lists are refused after', async () => {
    const other = await openDb({ url: join(dir, 'magnetar.db') });
    const s = new Store(other);
    assert.ok((await s.templates.list(caller, page())).length > 0);
    await s.close();
    await assert.rejects(s.templates.list(caller, page()), /destroyed|closed/);
  });

  test('an idle reader thread does not keep a process alive (a process that never closes its store still ends)', () => {
    const database = new URL('../../../src/store/database.ts', import.meta.url).href;
    const store = new URL('../../../src/store/store.ts', import.meta.url).href;
    const code = `
      const { openDb } = await import(${JSON.stringify(database)});
      const { Store } = await import(${JSON.stringify(store)});
      const s = new Store(await openDb({ url: process.argv[1] }));
      const listed = await s.templates.list(${JSON.stringify(caller)}, ${JSON.stringify(page())});
      process.stdout.write(String(listed.length));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, join(dir, 'magnetar.db')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `ended by itself (signal ${r.signal}): ${r.stderr}`);
    assert.ok(Number(r.stdout) > 0);
  });
});
