/** @module certs/key-sealing — AES-256-GCM encryption at rest of private keys stored in the database. */

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StartupError } from '../config/startup-error.ts';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
}

/**
 * Seals (encrypts and authenticates) secrets such as PEM private keys with a 32-byte master key, and opens them again.
 * Format: `v1:<base64 iv>:<base64 tag>:<base64 ciphertext>` — AES-256-GCM, random 12-byte IV, 16-byte tag.
 */
export class KeySealer {
  readonly #key: Buffer;

  /**
   * @param masterKey 32 random bytes (see {@link loadOrCreateMasterKey}); copied, so later changes to the buffer
   * do not affect this sealer.
   * @throws RangeError when the key is not 32 bytes long.
   */
  constructor(masterKey: Buffer) {
    if (masterKey.length !== KEY_BYTES) {
      throw new RangeError(`KeySealer master key must be ${KEY_BYTES} bytes, got ${masterKey.length}`);
    }
    this.#key = Buffer.from(masterKey);
  }

  /** Encrypts `plaintext` (UTF-8) with a fresh random IV; sealing the same text twice gives different outputs. */
  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join(':');
  }

  /**
   * Decrypts a value produced by {@link KeySealer.seal}.
   * @throws Error when the value is malformed, was sealed with another master key, or was tampered with.
   */
  open(sealed: string): string {
    const parts = sealed.split(':');
    const [version, ivText, tagText, ciphertextText] = parts;
    if (parts.length !== 4 || version !== VERSION) {
      throw new Error(`Cannot open sealed value: unsupported format (expected '${VERSION}:<iv>:<tag>:<ciphertext>')`);
    }
    const iv = decodeBase64(ivText ?? '');
    const tag = decodeBase64(tagText ?? '');
    const ciphertext = decodeBase64(ciphertextText ?? '');
    if (iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || ciphertext === undefined) {
      throw new Error('Cannot open sealed value: malformed IV, tag or ciphertext');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new Error('Cannot open sealed value: authentication failed (wrong master key or tampered data)', {
        cause: err,
      });
    }
  }
}

/**
 * Reads the 32-byte master key stored base64 in `path`; when the file does not exist, creates its parent
 * directories (mode 0700) and the file (mode 0600) with a new random key. The file is written under a temporary
 * name and hard-linked into place, so a reader never sees it half-written and concurrent creators converge on the
 * key of whoever linked first.
 * @throws Error when the file exists but does not hold a base64 32-byte key.
 */
export async function loadOrCreateMasterKey(path: string): Promise<Buffer> {
  try {
    return parseMasterKey(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(temporary, 0o600); // the umask filters writeFile's mode; make it exactly 0600
    await link(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parseMasterKey(await readFile(path, 'utf8'), path);
  } finally {
    await rm(temporary, { force: true });
  }
  return key;
}

function parseMasterKey(text: string, path: string): Buffer {
  const key = decodeBase64(text.trim());
  if (key?.length !== KEY_BYTES)
    throw new Error(`Master key file ${path} does not contain a base64 ${KEY_BYTES}-byte key`);
  return key;
}

/** "1 private key", "3 private keys". */
export const privateKeys = (n: number): string => `${n} private key${n === 1 ? '' : 's'}`;

/** The private keys a store holds sealed: how many, and one of them to try the key on. */
export interface SealedKeys {
  count: number;
  newest: string | undefined;
}

const RESTORE = 'put back the master.key that belongs to this database (magnetar state restore <file>)';

/**
 * The master key for a store that holds `sealed`: read from `path`, or created when the file does not exist and
 * nothing is sealed yet. Refuses to start (instead of sealing new keys with a fresh master key while the stored ones
 * fail with 500s) when the file is missing or unreadable while sealed keys exist, or when it does not open them.
 * @throws StartupError
 */
export async function loadMasterKeyFor(path: string, sealed: SealedKeys): Promise<Buffer> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StartupError(`master key ${path} cannot be read (${(err as Error).message}); ${RESTORE}`);
    }
  }
  if (text === undefined) {
    if (sealed.count > 0) {
      throw new StartupError(
        `master key ${path} is missing, but the database holds ${privateKeys(sealed.count)} sealed with it; ${RESTORE}`,
      );
    }
    return loadOrCreateMasterKey(path);
  }
  let key: Buffer;
  try {
    key = parseMasterKey(text, path);
  } catch (err) {
    throw new StartupError(`${(err as Error).message}; ${RESTORE}`);
  }
  if (sealed.newest !== undefined) {
    try {
      new KeySealer(key).open(sealed.newest);
    } catch {
      throw new StartupError(
        `master key ${path} does not open the ${privateKeys(sealed.count)} sealed in the database (it is another key); ${RESTORE}`,
      );
    }
  }
  return key;
}
