/**
 * @module Backup and restore of the state directory: one gzip'd tar archive (mode 0600) holding a consistent snapshot
 * of the SQLite database (`VACUUM INTO`, taken while the service runs) and `master.key`, which alone opens the
 * private keys sealed in that database. On PostgreSQL the archive holds the key only: pg_dump backs up the database.
 * A restore checks the archive before it replaces anything: the database passes SQLite's integrity check and the key
 * opens its sealed keys; the files it replaces are kept beside it as `*.before-restore-<time>`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { gunzipSync, gzipSync } from 'node:zlib';
import { KeySealer, privateKeys, type SealedKeys } from '../certs/key-sealing.ts';
import { StartupError } from '../config/startup-error.ts';
import { readTar, tarFiles } from '../core/tar.ts';
import { openDb, redactUrl } from './database.ts';
import { MASTER_KEY_FILE, prepareStateDir, SQLITE_FILE } from './state-dir.ts';
import { Store } from './store.ts';

/** The archive's description of itself. */
export interface BackupManifest {
  format: 'magnetar-state-backup';
  version: 1;
  created_at: string;
  engine: 'sqlite' | 'postgres';
  /** PostgreSQL: the database (password removed) whose sealed keys the archived key opens. */
  database_url?: string;
  /** Private keys sealed in the database when the backup was taken. */
  sealed_keys: number;
}

const MANIFEST = 'magnetar-backup.json';

/** Where the state lives: the state dir and the database URL (from the configuration). */
export interface StateLocation {
  stateDir: string;
  databaseUrl: string;
}

/** What a backup or restore did, for the command's output. */
export interface StateSummary {
  file: string;
  engine: 'sqlite' | 'postgres';
  sealedKeys: number;
  bytes: number;
  /** Files moved aside by a restore. */
  keptAside: string[];
  /** What the operator still has to do (PostgreSQL: the database itself). */
  note: string | undefined;
}

const isPostgres = (url: string): boolean => /^postgres(ql)?:\/\//.test(url);
const sqlitePath = (url: string): string => url.replace(/^sqlite:(\/\/)?/, '');

function sealedIn(db: DatabaseSync): SealedKeys {
  const count = (db.prepare('SELECT count(*) AS n FROM certificates').get() as { n: number }).n;
  const row = db.prepare('SELECT key_sealed FROM certificates ORDER BY created_at DESC LIMIT 1').get() as
    { key_sealed: string } | undefined;
  return { count, newest: row?.key_sealed };
}

function parseKey(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64') !== text.trim()) {
    throw new StartupError(`${where} does not hold a base64 32-byte master key`);
  }
  return key;
}

function checkKeyOpens(key: Buffer, sealed: SealedKeys, what: string): void {
  if (sealed.newest === undefined) return;
  try {
    new KeySealer(key).open(sealed.newest);
  } catch {
    throw new StartupError(
      `${what}: the master key does not open the ${privateKeys(sealed.count)} sealed in the database`,
    );
  }
}

async function readKeyFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes `data` to `path` with mode 0600 through a temporary file and a rename (never half-written). */
async function writePrivate(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Takes a backup of the state at `loc` into `file` (replaced if it exists). */
export async function backupState(loc: StateLocation, file: string): Promise<StateSummary> {
  const keyPath = join(loc.stateDir, MASTER_KEY_FILE);
  const keyText = await readKeyFile(keyPath);
  const files: { path: string; content: Buffer | string; mode: number }[] = [];
  let manifest: BackupManifest;
  let note: string | undefined;
  if (isPostgres(loc.databaseUrl)) {
    const store = new Store(await openDb({ url: loc.databaseUrl, migrate: false, poolSize: 1 }));
    let sealed: SealedKeys;
    try {
      sealed = await store.certificates.sealedSample();
    } finally {
      await store.close();
    }
    if (keyText === undefined && sealed.count > 0)
      throw new StartupError(
        `master key ${keyPath} is missing: there is nothing to back up that opens the sealed keys`,
      );
    if (keyText !== undefined) checkKeyOpens(parseKey(keyText, keyPath), sealed, `backup of ${keyPath}`);
    manifest = {
      format: 'magnetar-state-backup',
      version: 1,
      created_at: new Date().toISOString(),
      engine: 'postgres',
      database_url: redactUrl(loc.databaseUrl),
      sealed_keys: sealed.count,
    };
    note = `the database is PostgreSQL: back it up with pg_dump (e.g. pg_dump -Fc -f magnetar.dump '${redactUrl(loc.databaseUrl)}') and keep the dump with this archive`;
  } else {
    const path = sqlitePath(loc.databaseUrl);
    if (!existsSync(path)) throw new StartupError(`database ${path} does not exist: nothing to back up`);
    const scratch = await mkdtemp(join(tmpdir(), 'magnetar-backup-'));
    try {
      const snapshot = join(scratch, SQLITE_FILE);
      const db = new DatabaseSync(path);
      let sealed: SealedKeys;
      try {
        db.exec('PRAGMA busy_timeout = 5000');
        // One read transaction: the copy is the database as of one commit, taken while the service keeps writing.
        db.prepare('VACUUM INTO ?').run(snapshot);
      } finally {
        db.close();
      }
      const copy = new DatabaseSync(snapshot);
      try {
        sealed = sealedIn(copy);
      } finally {
        copy.close();
      }
      if (keyText === undefined && sealed.count > 0)
        throw new StartupError(`master key ${keyPath} is missing: the backup would not open the sealed keys`);
      if (keyText !== undefined) checkKeyOpens(parseKey(keyText, keyPath), sealed, `backup of ${keyPath}`);
      files.push({ path: SQLITE_FILE, content: await readFile(snapshot), mode: 0o600 });
      manifest = {
        format: 'magnetar-state-backup',
        version: 1,
        created_at: new Date().toISOString(),
        engine: 'sqlite',
        sealed_keys: sealed.count,
      };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  if (keyText !== undefined) files.push({ path: MASTER_KEY_FILE, content: keyText, mode: 0o600 });
  files.unshift({ path: MANIFEST, content: `${JSON.stringify(manifest, null, 2)}\n`, mode: 0o600 });
  const archive = gzipSync(tarFiles(files));
  await writePrivate(file, archive);
  return {
    file,
    engine: manifest.engine,
    sealedKeys: manifest.sealed_keys,
    bytes: archive.length,
    keptAside: [],
    note,
  };
}

/** Reads and checks an archive made by {@link backupState}. */
async function readArchive(file: string): Promise<{ manifest: BackupManifest; entries: Map<string, Buffer> }> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (e) {
    throw new StartupError(`backup ${file} cannot be read: ${(e as Error).message}`);
  }
  let entries: Map<string, Buffer>;
  try {
    entries = new Map(
      readTar(gunzipSync(raw))
        .filter((e) => e.type === 'file')
        .map((e) => [e.path, e.content]),
    );
  } catch (e) {
    throw new StartupError(`backup ${file} is not a magnetar state archive (${(e as Error).message})`);
  }
  const m = entries.get(MANIFEST);
  let manifest: BackupManifest | undefined;
  try {
    manifest = m ? (JSON.parse(m.toString('utf8')) as BackupManifest) : undefined;
  } catch {
    manifest = undefined;
  }
  if (manifest?.format !== 'magnetar-state-backup' || manifest.version !== 1)
    throw new StartupError(`backup ${file} is not a magnetar state archive (no valid ${MANIFEST})`);
  return { manifest, entries };
}

/** Options of {@link restoreState}. */
export interface RestoreOptions {
  /** Replace an existing database / key (kept aside as `*.before-restore-<time>`). */
  force?: boolean;
}

/**
 * Restores an archive made by {@link backupState} into the state at `loc`. The service must be stopped: a SQLite
 * database held open by a running process is refused.
 */
export async function restoreState(loc: StateLocation, file: string, opts: RestoreOptions = {}): Promise<StateSummary> {
  const { manifest, entries } = await readArchive(file);
  const keyBytes = entries.get(MASTER_KEY_FILE);
  const key = keyBytes ? parseKey(keyBytes.toString('utf8'), `${file}: ${MASTER_KEY_FILE}`) : undefined;
  prepareStateDir(loc.stateDir);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const keptAside: string[] = [];
  const keyPath = join(loc.stateDir, MASTER_KEY_FILE);
  const currentKey = await readKeyFile(keyPath);
  const replacesKey = key !== undefined && currentKey !== undefined && currentKey.trim() !== key.toString('base64');

  if (manifest.engine === 'postgres') {
    if (!isPostgres(loc.databaseUrl))
      throw new StartupError(
        `backup ${file} is of a PostgreSQL installation: restore it with --database-url postgresql://…`,
      );
    const store = new Store(await openDb({ url: loc.databaseUrl, migrate: false, poolSize: 1 }));
    try {
      const sealed = await store.certificates.sealedSample().catch((e: unknown) => {
        throw new StartupError(
          `${redactUrl(loc.databaseUrl)}: its sealed keys cannot be read (${(e as Error).message}): restore the database with pg_restore first, then the key`,
        );
      });
      if (key)
        checkKeyOpens(
          key,
          sealed,
          `restore of ${file} into ${redactUrl(loc.databaseUrl)} (restore the database with pg_restore first)`,
        );
      else if (sealed.count > 0)
        throw new StartupError(`backup ${file} holds no master key, but the database holds sealed keys`);
    } finally {
      await store.close();
    }
    if (replacesKey && !opts.force)
      throw new StartupError(
        `${keyPath} exists and differs from the archived key: add --force to replace it (it is kept aside)`,
      );
  } else {
    if (isPostgres(loc.databaseUrl))
      throw new StartupError(`backup ${file} is of a SQLite installation, but database.url is PostgreSQL`);
    const content = entries.get(SQLITE_FILE);
    if (!content) throw new StartupError(`backup ${file} holds no ${SQLITE_FILE}`);
    const path = sqlitePath(loc.databaseUrl);
    const incoming = `${path}.restore-${randomBytes(4).toString('hex')}`;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writePrivate(incoming, content);
    try {
      const check = new DatabaseSync(incoming);
      try {
        const ok = (check.prepare('PRAGMA integrity_check(1)').get() as { integrity_check: string }).integrity_check;
        if (ok !== 'ok') throw new StartupError(`backup ${file}: the database fails its integrity check (${ok})`);
        const sealed = sealedIn(check);
        if (key) checkKeyOpens(key, sealed, `backup ${file}`);
        else if (sealed.count > 0)
          throw new StartupError(`backup ${file} holds no master key, but its database holds sealed keys`);
      } catch (e) {
        if (e instanceof StartupError) throw e;
        throw new StartupError(`backup ${file}: the database cannot be read (${(e as Error).message})`);
      } finally {
        check.close();
      }
      if (existsSync(path)) {
        const current = new DatabaseSync(path);
        try {
          current.exec('PRAGMA busy_timeout = 0');
          try {
            current.exec('PRAGMA locking_mode = EXCLUSIVE');
            current.exec('BEGIN EXCLUSIVE');
            current.exec('ROLLBACK');
          } catch {
            throw new StartupError(`${path} is in use by a running magnetar: stop it, then restore`);
          }
          if (!opts.force)
            throw new StartupError(`${path} exists: add --force to replace it (the current files are kept aside)`);
          current.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        } finally {
          current.close();
        }
        const aside = `${path}.before-restore-${stamp}`;
        await rename(path, aside);
        keptAside.push(aside);
        for (const f of [`${path}-wal`, `${path}-shm`]) await rm(f, { force: true });
      }
      await rename(incoming, path);
    } finally {
      await rm(incoming, { force: true });
    }
  }
  if (key) {
    if (replacesKey) {
      const aside = `${keyPath}.before-restore-${stamp}`;
      await rename(keyPath, aside);
      keptAside.push(aside);
    }
    await writePrivate(keyPath, `${key.toString('base64')}\n`);
  }
  const note =
    manifest.engine === 'postgres'
      ? `only the master key was restored: restore the database with pg_restore from its pg_dump (${manifest.database_url ?? 'PostgreSQL'})`
      : undefined;
  return { file, engine: manifest.engine, sealedKeys: manifest.sealed_keys, bytes: 0, keptAside, note };
}
