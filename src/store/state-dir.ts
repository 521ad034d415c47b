/**
 * @module The state directory (`state_dir`): the SQLite database with its WAL and shared-memory files, and
 * `master.key`. Only the service's user may read it: the directory is 0700 and every file in it 0600. Faults found
 * here stop the start with a {@link StartupError} instead of starting an empty or broken service.
 */
import { chmodSync, mkdirSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from '../config/startup-error.ts';

/** The file name of the key that seals private keys, inside the state dir. */
export const MASTER_KEY_FILE = 'master.key';
/** The file name of the embedded SQLite database, inside the state dir. */
export const SQLITE_FILE = 'magnetar.db';

const RESTORE_HINT = 'restore the state dir from a backup (magnetar state restore <file>)';

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Creates the state dir (mode 0700) or tightens an existing one to 0700, and tightens the files the service keeps in
 * it to 0600.
 * @throws StartupError when the path is not a directory or cannot be created or changed.
 */
export function prepareStateDir(dir: string): void {
  const fix = `choose another --state-dir (MAGNETAR_STATE_DIR, state_dir) or fix the path`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'EEXIST' || err.code === 'ENOTDIR'
        ? 'it (or a parent) is a file, not a directory'
        : err.code === 'EACCES' || err.code === 'EPERM'
          ? 'permission denied'
          : err.code === 'EROFS'
            ? 'the file system is read-only'
            : (err.code ?? err.message);
    throw new StartupError(`state dir ${dir} cannot be created: ${why}; ${fix}`);
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw new StartupError(`state dir ${dir} is not a directory; ${fix}`);
  if ((st.mode & 0o777) !== 0o700) {
    // Tighten only a directory that holds nothing but Magnetar's files: never chmod a shared one such as /tmp.
    const foreign = readdirSync(dir).filter((n) => !n.startsWith(MASTER_KEY_FILE) && !n.startsWith(SQLITE_FILE));
    if (foreign.length > 0) {
      throw new StartupError(
        `state dir ${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}) and holds other files (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}); use a directory of its own, or chmod 700 it`,
      );
    }
  }
  try {
    if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
    for (const name of [MASTER_KEY_FILE, SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}-shm`]) {
      tightenFile(join(dir, name));
    }
  } catch (e) {
    throw new StartupError(
      `state dir ${dir} cannot be made private (mode 0700/0600): ${(e as Error).message}; run magnetar as the directory's owner or ${fix}`,
    );
  }
}

/** Makes an existing file mode 0600 (a no-op for a missing one). */
export function tightenFile(path: string): void {
  const st = statOrUndefined(path);
  if (st?.isFile() && (st.mode & 0o777) !== 0o600) chmodSync(path, 0o600);
}

/**
 * Refuses a SQLite file that exists but is empty: SQLite would take it as a new database and the service would start
 * with no clusters while their containers run. A missing file is a new database.
 * @throws StartupError
 */
export function checkSqliteFile(path: string): void {
  const st = statOrUndefined(path);
  if (!st) return;
  if (!st.isFile()) throw new StartupError(`database ${path} is not a file; fix database.url or ${RESTORE_HINT}`);
  if (st.size === 0) {
    throw new StartupError(
      `database ${path} is empty (0 bytes), so the service would start without its clusters; ${RESTORE_HINT}, or remove the file to start with a new, empty database`,
    );
  }
}

/** The one-line reason for a SQLite file that cannot be opened or fails its integrity check. */
export function unreadableSqlite(path: string, detail: string): StartupError {
  return new StartupError(
    `database ${path} cannot be read (${detail}); ${RESTORE_HINT}, or move the file away to start with a new, empty database`,
  );
}
