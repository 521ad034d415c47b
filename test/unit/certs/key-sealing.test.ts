/** @module test/unit/certs/key-sealing — AES-256-GCM sealing of private keys and the master key file. */

import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KeySealer, loadMasterKeyFor, loadOrCreateMasterKey } from '../../../src/certs/key-sealing.ts';
import { StartupError } from '../../../src/config/startup-error.ts';

const SAMPLE_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

/** Replaces field `index` (0 = version … 3 = ciphertext) of a sealed value with a one-bit-flipped copy. */
function flipBit(sealed: string, index: number): string {
  const parts = sealed.split(':');
  const bytes = Buffer.from(parts[index] ?? '', 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[index] = bytes.toString('base64');
  return parts.join(':');
}

void describe('KeySealer', () => {
  const sealer = new KeySealer(randomBytes(32));

  void test('round-trips a PEM private key through seal and open', () => {
    const sealed = sealer.seal(SAMPLE_KEY);
    assert.doesNotMatch(sealed, /PRIVATE KEY/);
    assert.equal(sealer.open(sealed), SAMPLE_KEY);
  });

  void test('round-trips empty and non-ASCII text', () => {
    assert.equal(sealer.open(sealer.seal('')), '');
    assert.equal(sealer.open(sealer.seal('clé ✓ 鍵')), 'clé ✓ 鍵');
  });

  void test('produces v1:<iv>:<tag>:<ciphertext> with a 12-byte IV, a 16-byte tag and a fresh IV each time', () => {
    const first = sealer.seal(SAMPLE_KEY);
    const second = sealer.seal(SAMPLE_KEY);
    assert.notEqual(first, second);
    const [version, iv, tag, ciphertext] = first.split(':');
    assert.equal(version, 'v1');
    assert.equal(Buffer.from(iv ?? '', 'base64').length, 12);
    assert.equal(Buffer.from(tag ?? '', 'base64').length, 16);
    assert.equal(Buffer.from(ciphertext ?? '', 'base64').length, Buffer.byteLength(SAMPLE_KEY));
    assert.notEqual(first.split(':')[1], second.split(':')[1]);
  });

  void test('refuses to open a value whose IV, tag or ciphertext was tampered with', () => {
    const sealed = sealer.seal(SAMPLE_KEY);
    for (const index of [1, 2, 3]) {
      assert.throws(() => sealer.open(flipBit(sealed, index)), /authentication failed/);
    }
  });

  void test('refuses to open a value sealed with another master key', () => {
    const sealed = new KeySealer(randomBytes(32)).seal(SAMPLE_KEY);
    assert.throws(() => sealer.open(sealed), /wrong master key or tampered data/);
  });

  void test('refuses malformed sealed values with a clear error', () => {
    const [, iv, tag, ciphertext] = sealer.seal('x').split(':');
    for (const bad of [
      '',
      'plain text',
      `v2:${iv}:${tag}:${ciphertext}`,
      `v1:${iv}:${tag}`,
      `v1:${iv}:${tag}:${ciphertext}:x`,
    ]) {
      assert.throws(() => sealer.open(bad), /unsupported format/);
    }
    for (const bad of [`v1:AAAA:${tag}:${ciphertext}`, `v1:${iv}:${tag}:not*base64`, `v1:${iv}::${ciphertext}`]) {
      assert.throws(() => sealer.open(bad), /malformed/);
    }
  });

  void test('rejects a master key that is not 32 bytes', () => {
    assert.throws(() => new KeySealer(randomBytes(16)), RangeError);
    assert.throws(() => new KeySealer(Buffer.alloc(0)), RangeError);
  });

  void test('is not affected by later changes to the master key buffer', () => {
    const key = randomBytes(32);
    const own = new KeySealer(key);
    const sealed = own.seal(SAMPLE_KEY);
    key.fill(0);
    assert.equal(own.open(sealed), SAMPLE_KEY);
  });
});

void describe('loadOrCreateMasterKey', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-master-key-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test('creates a 32-byte key with mode 0600, creating parent directories, and re-reads it identically', async () => {
    const path = join(dir, 'nested', 'deeper', 'master.key');
    const created = await loadOrCreateMasterKey(path);
    assert.equal(created.length, 32);
    const info = await stat(path);
    assert.equal(info.mode & 0o777, 0o600);
    assert.deepEqual(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64'), created);
    const reread = await loadOrCreateMasterKey(path);
    assert.deepEqual(reread, created);
    assert.deepEqual(await readdir(join(dir, 'nested', 'deeper')), ['master.key']);
    const sealed = new KeySealer(created).seal(SAMPLE_KEY);
    assert.equal(new KeySealer(reread).open(sealed), SAMPLE_KEY);
  });

  void test('reads an existing base64 key without rewriting it', async () => {
    const path = join(dir, 'existing.key');
    const key = randomBytes(32);
    await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600 });
    assert.deepEqual(await loadOrCreateMasterKey(path), key);
    assert.equal(await readFile(path, 'utf8'), `${key.toString('base64')}\n`);
  });

  void test('gives the same key to concurrent callers creating the same file', async () => {
    const path = join(dir, 'race', 'master.key');
    const keys = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateMasterKey(path)));
    for (const key of keys) assert.deepEqual(key, keys[0]);
    assert.deepEqual(await readdir(join(dir, 'race')), ['master.key']);
  });

  void test('rejects a file that does not hold a base64 32-byte key', async () => {
    const short = join(dir, 'short.key');
    await writeFile(short, randomBytes(16).toString('base64'));
    await assert.rejects(loadOrCreateMasterKey(short), /does not contain a base64 32-byte key/);
    const garbage = join(dir, 'garbage.key');
    await writeFile(garbage, 'not base64 at all!');
    await assert.rejects(loadOrCreateMasterKey(garbage), /does not contain a base64 32-byte key/);
  });
});

void describe('loadMasterKeyFor (the key checked against the sealed keys of the store)', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-master-key-for-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test('creates a key only while nothing is sealed', async () => {
    const path = join(dir, 'new', 'master.key');
    const key = await loadMasterKeyFor(path, { count: 0, newest: undefined });
    assert.deepEqual(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64'), key);
  });

  void test('refuses a missing key while sealed keys exist, and writes none', async () => {
    const path = join(dir, 'missing', 'master.key');
    const sealed = new KeySealer(randomBytes(32)).seal(SAMPLE_KEY);
    await assert.rejects(
      loadMasterKeyFor(path, { count: 3, newest: sealed }),
      (e: unknown) =>
        e instanceof StartupError &&
        /^master key .*missing\/master\.key is missing, but the database holds 3 private keys sealed with it; put back/.test(
          e.message,
        ),
    );
    await assert.rejects(stat(path), { code: 'ENOENT' });
  });

  void test('returns the key that opens the newest sealed key, refuses another one and a malformed file', async () => {
    const key = randomBytes(32);
    const path = join(dir, 'master.key');
    await writeFile(path, `${key.toString('base64')}\n`);
    const sealed = new KeySealer(key).seal(SAMPLE_KEY);
    assert.deepEqual(await loadMasterKeyFor(path, { count: 1, newest: sealed }), key);
    const foreign = new KeySealer(randomBytes(32)).seal(SAMPLE_KEY);
    await assert.rejects(
      loadMasterKeyFor(path, { count: 1, newest: foreign }),
      (e: unknown) =>
        e instanceof StartupError && /does not open the 1 private key sealed in the database/.test(e.message),
    );
    await writeFile(path, 'garbage');
    await assert.rejects(
      loadMasterKeyFor(path, { count: 0, newest: undefined }),
      (e: unknown) => e instanceof StartupError && /does not contain a base64 32-byte key; put back/.test(e.message),
    );
  });
});
