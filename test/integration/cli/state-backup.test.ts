/**
 * `magnetar state backup <file>` / `magnetar state restore <file>` with the real CLI and `serve` (spawned, conductor
 * off): on SQLite a consistent snapshot taken while the service writes, plus master.key, in one 0600 archive that
 * restores into a new state dir where the sealed CA opens (ca-sign); a restore refuses a running database, an
 * existing one without --force, and an archive whose key does not open its database. On PostgreSQL the archive holds
 * the key and says that pg_dump backs up the database.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readTar, tarFiles } from '../../../src/core/tar.ts';
import { freshDatabase, type FreshDatabase } from '../../helpers/postgres.ts';
import { caSign, createSealedState } from '../../helpers/state.ts';
import { getJson, REPO, startServe } from '../../helpers/service-process.ts';

const BIN = join(REPO, 'bin', 'magnetar');
const NO_CONDUCTOR = { env: { MAGNETAR_CONDUCTOR: 'false' } };

function magnetar(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const entriesOf = async (file: string): Promise<Map<string, { mode: number; content: Buffer }>> =>
  new Map(
    readTar(gunzipSync(await readFile(file)))
      .filter((e) => e.type === 'file')
      .map((e) => [e.path, { mode: e.mode, content: e.content }]),
  );

describe('magnetar state backup / restore', { timeout: 600_000 }, () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-state-backup-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('SQLite', () => {
    let source: string;
    let archive: string;
    let cluster: string;

    it('backs up while the service writes: one 0600 archive of manifest, database and key', async () => {
      source = join(dir, 'source');
      archive = join(dir, 'state.tgz');
      const svc = await startServe(source, NO_CONDUCTOR);
      try {
        cluster = await createSealedState(svc.url);
        // templates written while the snapshot is taken: the copy is consistent whatever it catches
        let writing = true;
        const writer = (async () => {
          for (let i = 0; writing; i++) {
            await fetch(`${svc.url}/v1/clustertemplates`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ name: `w${i}`, coe: 'swarm-mode', image_id: 'magnetar/node:bookworm' }),
            });
          }
        })();
        const r = await magnetar(['state', 'backup', archive, '--state-dir', source]);
        writing = false;
        await writer;
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          r.stdout,
          /^backed up database and master key \(sealing 1 private key\) to .*state\.tgz \(\d+ bytes, mode 0600\)$/m,
        );
        assert.equal((await stat(archive)).mode & 0o777, 0o600);
        const entries = await entriesOf(archive);
        assert.deepEqual([...entries.keys()], ['magnetar-backup.json', 'magnetar.db', 'master.key']);
        for (const [name, e] of entries) assert.equal(e.mode, 0o600, name);
        const manifest = JSON.parse(entries.get('magnetar-backup.json')?.content.toString() ?? '{}') as Record<
          string,
          unknown
        >;
        assert.deepEqual(
          [manifest.format, manifest.version, manifest.engine, manifest.sealed_keys],
          ['magnetar-state-backup', 1, 'sqlite', 1],
        );
        assert.equal(entries.get('master.key')?.content.toString(), await readFile(join(source, 'master.key'), 'utf8'));

        const running = await magnetar(['state', 'restore', archive, '--state-dir', source, '--force']);
        assert.equal(running.code, 1);
        assert.match(
          running.stderr,
          /^magnetar: .*source\/magnetar\.db is in use by a running magnetar: stop it, then restore\n$/,
        );
      } finally {
        await svc.stop();
      }
    });

    it('restores into a new state dir: the cluster is there and its sealed CA opens', async () => {
      const target = join(dir, 'restored');
      const r = await magnetar(['state', 'restore', archive, '--state-dir', target]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^restored database and master key \(sealing 1 private key\) into .*restored$/m);
      assert.deepEqual((await readdir(target)).sort(), ['magnetar.db', 'master.key']);
      assert.equal((await stat(target)).mode & 0o777, 0o700);
      for (const f of ['magnetar.db', 'master.key']) assert.equal((await stat(join(target, f))).mode & 0o777, 0o600);
      const svc = await startServe(target, NO_CONDUCTOR);
      try {
        assert.equal((await getJson(`${svc.url}/v1/clusters/${cluster}`)).status, 200);
        assert.equal((await caSign(svc.url, cluster)).status, 201);
      } finally {
        await svc.stop();
      }
    });

    it('refuses to replace an existing database without --force; with it, keeps the replaced files aside', async () => {
      const refused = await magnetar(['state', 'restore', archive, '--state-dir', source]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /source\/magnetar\.db exists: add --force to replace it/);
      const before = await readFile(join(source, 'magnetar.db'));
      const forced = await magnetar(['state', 'restore', archive, '--state-dir', source, '--force']);
      assert.equal(forced.code, 0, forced.stderr);
      const aside = (await readdir(source)).filter((f) => f.startsWith('magnetar.db.before-restore-'));
      assert.equal(aside.length, 1);
      assert.match(forced.stdout, new RegExp(`kept the replaced file as .*${aside[0]}`));
      assert.deepEqual(await readFile(join(source, aside[0] ?? '')), before);
    });

    it('refuses an archive whose key does not open its database, and one that is no archive; nothing changes', async () => {
      const entries = await entriesOf(archive);
      const forged = join(dir, 'forged.tgz');
      await writeFile(
        forged,
        gzipSync(
          tarFiles([
            { path: 'magnetar-backup.json', content: entries.get('magnetar-backup.json')?.content ?? '' },
            { path: 'magnetar.db', content: entries.get('magnetar.db')?.content ?? '' },
            { path: 'master.key', content: `${randomBytes(32).toString('base64')}\n` },
          ]),
        ),
      );
      const target = join(dir, 'forged-target');
      const r = await magnetar(['state', 'restore', forged, '--state-dir', target]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^magnetar: backup .*forged\.tgz: the master key does not open the 1 private key sealed in the database\n$/,
      );
      assert.deepEqual(await readdir(target), []);

      const junk = join(dir, 'junk.tgz');
      await writeFile(junk, randomBytes(4096));
      const j = await magnetar(['state', 'restore', junk, '--state-dir', target]);
      assert.equal(j.code, 1);
      assert.match(j.stderr, /^magnetar: backup .*junk\.tgz is not a magnetar state archive/);
    });
  });

  describe('PostgreSQL', () => {
    let db: FreshDatabase;

    before(async () => {
      db = await freshDatabase('magnetar_backup');
    });

    after(async () => {
      await db?.drop();
    });

    it('backs up the key (pg_dump for the database), and a restored key opens the sealed CA from another state dir', async () => {
      const source = join(dir, 'pg-source');
      const archive = join(dir, 'pg.tgz');
      let cluster: string;
      const svc = await startServe(source, { ...NO_CONDUCTOR, databaseUrl: db.url });
      try {
        cluster = await createSealedState(svc.url);
      } finally {
        await svc.stop();
      }
      const r = await magnetar(['state', 'backup', archive, '--state-dir', source, '--database-url', db.url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^backed up master key \(sealing 1 private key\)/m);
      assert.match(r.stdout, /^note: the database is PostgreSQL: back it up with pg_dump .*magnetar:\*\*\*@/m);
      assert.deepEqual([...(await entriesOf(archive)).keys()], ['magnetar-backup.json', 'master.key']);

      const target = join(dir, 'pg-target');
      const noKey = await magnetar([
        'serve',
        '--no-setup',
        '--port',
        '0',
        '--state-dir',
        target,
        '--database-url',
        db.url,
      ]);
      assert.equal(noKey.code, 1);
      assert.match(
        noKey.stderr,
        /master key .*pg-target\/master\.key is missing, but the database holds 1 private key/,
      );

      const restored = await magnetar(['state', 'restore', archive, '--state-dir', target, '--database-url', db.url]);
      assert.equal(restored.code, 0, restored.stderr);
      assert.match(restored.stdout, /^note: only the master key was restored: restore the database with pg_restore/m);
      const again = await startServe(target, { ...NO_CONDUCTOR, databaseUrl: db.url });
      try {
        assert.equal((await caSign(again.url, cluster)).status, 201);
      } finally {
        await again.stop();
      }
    });
  });
});
