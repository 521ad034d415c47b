import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTar, tarFiles } from '../../../src/core/tar.ts';

void describe('tarFiles', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'magnetar-tar-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function extract(archive: Buffer, name: string): string {
    const out = join(dir, name);
    mkdirSync(out);
    const file = join(dir, `${name}.tar`);
    writeFileSync(file, archive);
    execFileSync('tar', ['-x', '-f', file, '-C', out]);
    return out;
  }

  void it('writes an archive that the system tar extracts with contents, modes and parent directories', () => {
    const big = Buffer.alloc(1500, 7);
    const archive = tarFiles([
      { path: 'etc/docker/daemon.json', content: '{"tls": true}\n' },
      { path: '/etc/docker/tls/server-key.pem', content: 'KEY', mode: 0o600 },
      { path: './usr/local/bin/run', content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      { path: 'data/blob.bin', content: big },
      { path: 'empty', content: '' },
    ]);
    const out = extract(archive, 'basic');
    assert.equal(readFileSync(join(out, 'etc/docker/daemon.json'), 'utf8'), '{"tls": true}\n');
    assert.equal(readFileSync(join(out, 'etc/docker/tls/server-key.pem'), 'utf8'), 'KEY');
    assert.deepEqual(readFileSync(join(out, 'data/blob.bin')), big);
    assert.equal(readFileSync(join(out, 'empty'), 'utf8'), '');
    assert.equal(statSync(join(out, 'etc/docker/tls/server-key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(join(out, 'usr/local/bin/run')).mode & 0o777, 0o755);
    assert.equal(statSync(join(out, 'etc/docker/daemon.json')).mode & 0o777, 0o644);
    assert.ok(statSync(join(out, 'etc/docker/tls')).isDirectory());
  });

  void it('lists parent directories before their files, once each', () => {
    const archive = tarFiles([
      { path: 'a/b/one', content: '1' },
      { path: 'a/b/two', content: '2' },
      { path: 'a/three', content: '3' },
    ]);
    const listing = execFileSync('tar', ['-t', '-f', '-'], { input: archive }).toString().trim().split('\n');
    assert.deepEqual(listing, ['a/', 'a/b/', 'a/b/one', 'a/b/two', 'a/three']);
  });

  void it('uses 512-byte blocks and ends with two zero blocks', () => {
    const archive = tarFiles([{ path: 'f', content: 'x'.repeat(513) }]);
    // header + 2 data blocks + 2 end blocks
    assert.equal(archive.length, 512 * 5);
    assert.ok(archive.subarray(512 * 3).every((b) => b === 0));
    assert.equal(archive.subarray(257, 263).toString('latin1'), 'ustar\0');
  });

  void it('writes header checksums that match the unsigned byte sum', () => {
    const header = tarFiles([{ path: 'f', content: 'x' }]).subarray(0, 512);
    const stored = parseInt(header.subarray(148, 154).toString('ascii'), 8);
    const copy = Buffer.from(header);
    copy.fill(0x20, 148, 156);
    assert.equal(
      stored,
      copy.reduce((a, b) => a + b, 0),
    );
  });

  void it('splits paths longer than 100 bytes into prefix and name so tar restores them whole', () => {
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(60)}.txt`;
    const out = extract(tarFiles([{ path: long, content: 'deep' }]), 'long');
    assert.equal(readFileSync(join(out, long), 'utf8'), 'deep');
  });

  void it('rejects paths with "..", empty paths and duplicates', () => {
    assert.throws(() => tarFiles([{ path: '../etc/passwd', content: '' }]), RangeError);
    assert.throws(() => tarFiles([{ path: '/', content: '' }]), RangeError);
    assert.throws(
      () =>
        tarFiles([
          { path: 'a', content: '' },
          { path: './a', content: '' },
        ]),
      RangeError,
    );
    assert.throws(
      () =>
        tarFiles([
          { path: 'a', content: '' },
          { path: 'a/b', content: '' },
        ]),
      RangeError,
    );
  });
});

void describe('readTar', () => {
  void it('reads back what tarFiles wrote', () => {
    const entries = readTar(tarFiles([{ path: 'x/y.txt', content: 'hello', mode: 0o640 }]));
    assert.deepEqual(
      entries.map((e) => [e.path, e.type, e.mode, e.content.toString()]),
      [
        ['x', 'directory', 0o755, ''],
        ['x/y.txt', 'file', 0o640, 'hello'],
      ],
    );
  });

  void it('reads archives written by the system tar, including long names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'magnetar-tar-'));
    try {
      const long = `${'n'.repeat(120)}.txt`;
      writeFileSync(join(dir, long), 'long name');
      writeFileSync(join(dir, 'short'), 'short');
      for (const format of ['gnu', 'pax', 'ustar']) {
        const files = format === 'ustar' ? ['short'] : ['short', long];
        const archive = execFileSync('tar', ['-c', '-f', '-', `--format=${format}`, '-C', dir, ...files]);
        const byPath = new Map(readTar(archive).map((e) => [e.path, e.content.toString()]));
        assert.equal(byPath.get('short'), 'short', format);
        if (format !== 'ustar') assert.equal(byPath.get(long), 'long name', format);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
