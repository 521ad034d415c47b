/**
 * State directory faults with the real `bin/magnetar serve` (spawned, conductor off): the state dir is 0700 and its
 * files 0600; an empty, foreign or corrupted SQLite file, a missing master key while sealed keys exist, and a key
 * that does not open them each stop the start with one line and change nothing, where before the service started
 * empty (or sealed with a fresh key, and ca-sign then failed with 500).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caSign, createSealedState } from '../../helpers/state.ts';
import { REPO, startServe } from '../../helpers/service-process.ts';

const BIN = join(REPO, 'bin', 'magnetar');
const NO_CONDUCTOR = { env: { MAGNETAR_CONDUCTOR: 'false' } };

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

/** `serve` that is expected to refuse: resolves with its exit code and stderr. */
function refusedServe(stateDir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      BIN,
      ['serve', '--no-setup', '--no-conductor', '--port', '0', '--state-dir', stateDir],
      { timeout: 60_000 },
      (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
    );
  });
}

function assertRefused(r: { code: number | null; stderr: string }, line: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', line);
}

describe('state directory faults', { timeout: 600_000 }, () => {
  let dir: string;
  /** A state dir whose database holds one cluster with a sealed CA, and its key (service stopped). */
  let good: string;
  let cluster: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-state-faults-'));
    good = join(dir, 'good', 'state');
    const svc = await startServe(good, NO_CONDUCTOR);
    try {
      // while it runs: every file it wrote is private, WAL and shared memory included
      cluster = await createSealedState(svc.url);
      assert.equal(await mode(good), 0o700);
      for (const f of ['magnetar.db', 'magnetar.db-wal', 'magnetar.db-shm', 'master.key'])
        assert.equal(await mode(join(good, f)), 0o600, f);
      assert.equal((await caSign(svc.url, cluster)).status, 201);
    } finally {
      await svc.stop();
    }
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A copy of the good state dir. */
  async function copyOfGood(name: string): Promise<string> {
    const to = join(dir, name);
    await mkdir(to, { mode: 0o700 });
    for (const f of ['magnetar.db', 'master.key']) await copyFile(join(good, f), join(to, f));
    return to;
  }

  it('tightens a 0755 state dir of its own with 0644 files to 0700 / 0600', async () => {
    const s = await copyOfGood('loose');
    await chmod(s, 0o755);
    await chmod(join(s, 'magnetar.db'), 0o644);
    await chmod(join(s, 'master.key'), 0o644);
    const svc = await startServe(s, NO_CONDUCTOR);
    try {
      assert.equal(await mode(s), 0o700);
      for (const f of ['magnetar.db', 'magnetar.db-wal', 'magnetar.db-shm', 'master.key'])
        assert.equal(await mode(join(s, f)), 0o600, f);
      assert.equal((await caSign(svc.url, cluster)).status, 201);
    } finally {
      await svc.stop();
    }
  });

  it('refuses a state dir open to others that holds files not its own, and leaves its mode alone', async () => {
    const s = join(dir, 'shared');
    await mkdir(s);
    await chmod(s, 0o755);
    await writeFile(join(s, 'notes.txt'), 'not magnetar');
    assertRefused(
      await refusedServe(s),
      /state dir .*shared is open to other users \(mode 755\) and holds other files \(notes\.txt\)/,
    );
    assert.equal(await mode(s), 0o755);
  });

  it('refuses an empty (0-byte) database instead of starting without its clusters', async () => {
    const s = await copyOfGood('empty-db');
    await writeFile(join(s, 'magnetar.db'), '');
    assertRefused(
      await refusedServe(s),
      /database .*empty-db\/magnetar\.db is empty \(0 bytes\).*magnetar state restore/,
    );
    assert.equal((await stat(join(s, 'magnetar.db'))).size, 0, 'the file was left as it was');
  });

  it('refuses a file that is not a SQLite database', async () => {
    const s = await copyOfGood('garbage-db');
    await writeFile(join(s, 'magnetar.db'), randomBytes(16_384));
    assertRefused(
      await refusedServe(s),
      /database .*garbage-db\/magnetar\.db cannot be read \(file is not a database\)/,
    );
  });

  it('refuses a database whose pages are corrupted (integrity check)', async () => {
    const s = await copyOfGood('corrupt-db');
    const path = join(s, 'magnetar.db');
    const size = (await stat(path)).size;
    assert.ok(size >= 8 * 4096, `database of ${size} bytes`);
    const f = await open(path, 'r+');
    try {
      // overwrite the b-tree pages after the schema page with noise, keeping the header valid
      for (let page = 1; page * 4096 < size; page += 2) await f.write(randomBytes(512), 0, 512, page * 4096);
    } finally {
      await f.close();
    }
    assertRefused(
      await refusedServe(s),
      /database .*corrupt-db\/magnetar\.db cannot be read \((integrity check|database disk image is malformed)/,
    );
  });

  it('refuses to start without master.key while the database holds sealed keys, and creates no new key', async () => {
    const s = await copyOfGood('no-key');
    await rm(join(s, 'master.key'));
    assertRefused(
      await refusedServe(s),
      /master key .*no-key\/master\.key is missing, but the database holds 1 private key sealed with it; put back the master\.key that belongs to this database \(magnetar state restore <file>\)/,
    );
    await assert.rejects(stat(join(s, 'master.key')), { code: 'ENOENT' });
  });

  it('refuses a master.key that does not open the sealed keys, and leaves it as it was', async () => {
    const s = await copyOfGood('other-key');
    const other = `${randomBytes(32).toString('base64')}\n`;
    await writeFile(join(s, 'master.key'), other, { mode: 0o600 });
    assertRefused(
      await refusedServe(s),
      /master key .*other-key\/master\.key does not open the 1 private key sealed in the database \(it is another key\)/,
    );
    assert.equal(await readFile(join(s, 'master.key'), 'utf8'), other);
  });

  it('refuses a master.key that is not a key', async () => {
    const s = await copyOfGood('bad-key');
    await writeFile(join(s, 'master.key'), 'not a key\n');
    assertRefused(
      await refusedServe(s),
      /master key file .*bad-key\/master\.key does not contain a base64 32-byte key; put back/i,
    );
  });

  it('starts on a new state dir without a database or key, and on the good one again', async () => {
    const svc = await startServe(join(dir, 'new'), NO_CONDUCTOR);
    await svc.stop();
    const again = await startServe(good, NO_CONDUCTOR);
    try {
      assert.equal((await caSign(again.url, cluster)).status, 201);
    } finally {
      await again.stop();
    }
  });
});
