/** `magnetar db upgrade` applies the migrations once, on SQLite and on PostgreSQL, and is a no-op the second time. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { freshDatabase } from '../../helpers/postgres.ts';
import { REPO } from '../../helpers/service-process.ts';

const run = async (url: string): Promise<string> =>
  (await promisify(execFile)(join(REPO, 'bin', 'magnetar'), ['db', 'upgrade', '--database-url', url])).stdout;

describe('magnetar db upgrade', () => {
  it('migrates a new SQLite file, then reports it up to date', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magnetar-dbup-'));
    try {
      const url = join(dir, 'm.db');
      assert.match(await run(url), /^applied: 0001-initial, 0002-lifecycle, 0003-revisions, 0004-cluster-trusts$/m);
      assert.equal(await run(url), 'database is up to date\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('migrates a new PostgreSQL database, then reports it up to date', async () => {
    const db = await freshDatabase('magnetar_dbup');
    try {
      assert.match(await run(db.url), /^applied: 0001-initial, 0002-lifecycle, 0003-revisions, 0004-cluster-trusts$/m);
      assert.equal(await run(db.url), 'database is up to date\n');
    } finally {
      await db.drop();
    }
  });
});
