/** @module test/unit/store/state-dir — the state dir's modes, and the files it refuses. */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { StartupError } from '../../../src/config/startup-error.ts';
import { checkSqliteFile, prepareStateDir } from '../../../src/store/state-dir.ts';

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

void describe('state dir', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-state-dir-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test('creates it 0700, parents included', async () => {
    const s = join(dir, 'a', 'b', 'state');
    prepareStateDir(s);
    assert.equal(await mode(s), 0o700);
  });

  void test("tightens its own files to 0600 and the directory to 0700, but not others' files", async () => {
    const s = join(dir, 'own');
    await mkdir(s, { mode: 0o755 });
    await chmod(s, 0o755);
    for (const f of ['master.key', 'magnetar.db', 'magnetar.db-wal', 'magnetar.db-shm']) {
      await writeFile(join(s, f), 'x', { mode: 0o644 });
    }
    prepareStateDir(s);
    assert.equal(await mode(s), 0o700);
    for (const f of ['master.key', 'magnetar.db', 'magnetar.db-wal', 'magnetar.db-shm'])
      assert.equal(await mode(join(s, f)), 0o600, f);
  });

  void test('refuses a directory open to others holding foreign files, without changing it', async () => {
    const s = join(dir, 'shared');
    await mkdir(s);
    await chmod(s, 0o777);
    await writeFile(join(s, 'a.txt'), 'x');
    assert.throws(
      () => prepareStateDir(s),
      (e: unknown) => e instanceof StartupError && /mode 777/.test(e.message),
    );
    assert.equal(await mode(s), 0o777);
  });

  void test('refuses a path under a file', async () => {
    const f = join(dir, 'file');
    await writeFile(f, 'x');
    assert.throws(
      () => prepareStateDir(join(f, 'state')),
      (e: unknown) => e instanceof StartupError && /is a file, not a directory/.test(e.message),
    );
  });

  void test('an empty SQLite file is refused, a missing one is a new database', async () => {
    assert.doesNotThrow(() => checkSqliteFile(join(dir, 'none.db')));
    await writeFile(join(dir, 'empty.db'), '');
    assert.throws(
      () => checkSqliteFile(join(dir, 'empty.db')),
      (e: unknown) => e instanceof StartupError && /is empty \(0 bytes\)/.test(e.message),
    );
  });
});
