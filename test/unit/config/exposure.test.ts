/**
 * @module test/unit/config/exposure — noauth on a non-loopback address refuses to start (one line naming the problem
 * and the fix, non-zero exit) unless auth.allow_remote_noauth is set; api.trusted_proxies entries are checked at load.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkApiExposure, ConfigError, loadConfig } from '../../../src/config/load.ts';
import { StartupError } from '../../../src/config/startup-error.ts';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'magnetar-exposure-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('noauth exposure', () => {
  test('loopback addresses are served; any other address is refused unless allowed', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost'])
      assert.doesNotThrow(() => checkApiExposure(loadConfig({ env: {}, flags: { 'api.host': host } })));
    for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
      assert.throws(
        () => checkApiExposure(loadConfig({ env: {}, flags: { 'api.host': host } })),
        (e: unknown) =>
          e instanceof StartupError &&
          e.message.includes(`non-loopback api.host ${host}`) &&
          e.message.includes('auth.allow_remote_noauth') &&
          !e.message.includes('\n'),
      );
      const allowed = loadConfig({ env: { MAGNETAR_ALLOW_REMOTE_NOAUTH: 'true' }, flags: { 'api.host': host } });
      assert.doesNotThrow(() => checkApiExposure(allowed));
    }
  });

  test('`magnetar api --host 0.0.0.0` exits 1 with one line and creates nothing', () => {
    const state = join(dir, 'state');
    const r = spawnSync(process.execPath, [MAIN, 'api', '--host', '0.0.0.0', '--port', '0', '--state-dir', state], {
      encoding: 'utf8',
      env: { ...process.env, MAGNETAR_CONFIG: '', MAGNETAR_ALLOW_REMOTE_NOAUTH: '' },
      timeout: 60_000,
    });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0] ?? '',
      /^magnetar: config: refusing to serve noauth on non-loopback api\.host 0\.0\.0\.0 .*bind to 127\.0\.0\.1.*auth\.allow_remote_noauth/,
    );
    assert.deepEqual(readdirSync(dir), [], 'no state directory was created');
  });
});

describe('api.trusted_proxies', () => {
  test('a bad entry is refused at load, naming the key, the entry and where it came from', () => {
    assert.throws(
      () => loadConfig({ env: { MAGNETAR_TRUSTED_PROXIES: '10.0.0.0/8, proxy.example' } }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /api\.trusted_proxies: 'proxy\.example' is not an IP address or CIDR.*environment variable MAGNETAR_TRUSTED_PROXIES/.test(
          e.message,
        ),
    );
    assert.deepEqual(loadConfig({ env: { MAGNETAR_TRUSTED_PROXIES: '10.0.0.0/8,::1' } }).api.trustedProxies, [
      '10.0.0.0/8',
      '::1',
    ]);
  });
});
