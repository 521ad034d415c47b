/**
 * @module test/integration/store/concurrent-migrations — processes opening one new SQLite file at the same moment
 * (`magnetar api` and `magnetar conductor` started together) all start: the migrations run once, in one write
 * transaction, and the others wait for it and apply nothing (was: "duplicate column name", "table … already exists",
 * "database is locked").
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';

const DATABASE = new URL('../../../src/store/database.ts', import.meta.url).href;
const PROCESSES = 3;
const ROUNDS = 5;

/**
 * A process that loads the store code, waits until `startAt` (epoch ms, so that every process opens the file in the
 * same millisecond), opens and migrates the file, and prints the migrations it applied.
 */
const CHILD = `
const { openDb } = await import(${JSON.stringify(DATABASE)});
const { migrateToLatest } = await import(${JSON.stringify(new URL('../../../src/store/migrate.ts', import.meta.url).href)});
const [path, startAt] = process.argv.slice(1);
while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
const db = await openDb({ url: path, migrate: false });
try {
  process.stdout.write(JSON.stringify(await migrateToLatest(db.kysely)));
} finally {
  await db.close();
}
`;

async function migrator(path: string, startAt: number): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, path, String(startAt)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

void describe('SQLite migrations across processes', { timeout: 300_000 }, () => {
  void it(`${PROCESSES} processes migrating one new file at the same moment all succeed, the migrations applied once`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'magnetar-migrate-race-'));
      try {
        const path = join(dir, 'magnetar.db');
        // Long enough for every child to load the store code before the common start.
        const startAt = Date.now() + 2_500;
        const runs = await Promise.all(Array.from({ length: PROCESSES }, () => migrator(path, startAt)));
        for (const r of runs) assert.equal(r.code, 0, `round ${round}: a migrator failed: ${r.err}`);
        const applied = runs.map((r) => JSON.parse(r.out) as string[]);
        // One process applied every migration, the others none.
        const all = applied.flat();
        assert.deepEqual(
          all,
          [...new Set(all)],
          `round ${round}: a migration applied twice: ${JSON.stringify(applied)}`,
        );
        assert.deepEqual(all.sort(), ['0001-initial', '0002-lifecycle', '0003-revisions', '0004-cluster-trusts']);
        assert.equal(applied.filter((a) => a.length > 0).length, 1);
        const db = new DatabaseSync(path, { readOnly: true });
        try {
          const rows = db.prepare('SELECT name FROM magnetar_migrations ORDER BY name').all();
          assert.deepEqual(
            rows.map((r) => r.name),
            ['0001-initial', '0002-lifecycle', '0003-revisions', '0004-cluster-trusts'],
          );
          // The schema is whole: a table of every migration is there.
          const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
          for (const t of ['cluster_templates', 'operations', 'quotas', 'outbox', 'revisions', 'cluster_trusts'])
            assert.ok(
              tables.some((r) => r.name === t),
              t,
            );
        } finally {
          db.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
