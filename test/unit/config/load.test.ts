/** @module test/unit/config/load — defaults, YAML file, environment and flags, and the errors for bad values. */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config/load.ts';
import { DEFAULT_FLAVORS } from '../../../src/core/flavors.ts';

const dir = mkdtempSync(join(tmpdir(), 'magnetar-config-'));
let n = 0;
/** Writes a YAML file in the temp dir and returns its path. */
const yamlFile = (text: string): string => {
  const path = join(dir, `c${++n}.yaml`);
  writeFileSync(path, text);
  return path;
};

/** Asserts loading throws a ConfigError whose message contains every fragment. */
function refuses(opts: Parameters<typeof loadConfig>[0], ...fragments: string[]): void {
  assert.throws(
    () => loadConfig(opts),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
      for (const f of fragments)
        assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
      return true;
    },
  );
}

void describe('loadConfig', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('uses the documented defaults with no file, environment or flags', () => {
    const c = loadConfig({ env: {} });
    const state = join(homedir(), '.local', 'state', 'magnetar');
    assert.deepEqual(c, {
      api: {
        host: '127.0.0.1',
        port: 9511,
        maxLimit: 1000,
        maxPageBytes: 1024 * 1024,
        listCacheBytes: 32 * 1024 * 1024,
        trustedProxies: [],
      },
      stateDir: state,
      databaseUrl: join(state, 'magnetar.db'),
      auth: {
        mode: 'noauth',
        defaultProject: 'default',
        defaultUser: 'admin',
        defaultRoles: ['admin'],
        allowRemoteNoauth: false,
      },
      keystone: {
        authUrl: null,
        wwwAuthenticateUri: null,
        username: null,
        password: null,
        userDomainName: 'Default',
        projectName: 'service',
        projectDomainName: 'Default',
        applicationCredentialId: null,
        applicationCredentialSecret: null,
        regionName: null,
        interface: 'public',
        tokenCacheMs: 300_000,
        tokenCacheSize: 10_000,
        timeoutMs: 10_000,
        serviceTokenRoles: ['service'],
        serviceTokenRolesRequired: false,
      },
      conductor: {
        enabled: true,
        workers: 4,
        leaseMs: 15_000,
        pollMs: 500,
        maxAttempts: 5,
        syncMs: 10_000,
        lbSyncMs: 2_000,
      },
      flavors: DEFAULT_FLAVORS,
      drivers: { disabled: [] },
      providers: { local: { allowedProjects: [] } },
      policy: { file: null, enforceNewDefaults: false, enforceScope: false },
      docker: { socket: '/var/run/docker.sock', nodeImage: 'magnetar/node:bookworm' },
      trust: {
        authUrl: null,
        trusteeDomainId: null,
        trusteeDomainName: null,
        trusteeDomainAdminId: null,
        trusteeDomainAdminName: null,
        trusteeDomainAdminDomainId: null,
        trusteeDomainAdminDomainName: null,
        trusteeDomainAdminPassword: null,
        roles: [],
        trusteeKeystoneInterface: 'public',
        trusteeKeystoneRegionName: null,
      },
      log: { level: 'info' },
      quotas: { maxClustersPerProject: 20 },
      services: { heartbeatMs: 10_000, host: hostname() },
      notify: {
        driver: 'messagingv2',
        transportUrl: null,
        topics: ['notifications'],
        exchange: 'magnum',
        host: hostname(),
        pollMs: 500,
      },
    });
  });

  test('reads the quota default and the heartbeat settings from the environment', () => {
    const c = loadConfig({
      env: { MAGNETAR_MAX_CLUSTERS_PER_PROJECT: '3', MAGNETAR_HEARTBEAT_SECONDS: '2', MAGNETAR_SERVICE_HOST: 'api-1' },
    });
    assert.equal(c.quotas.maxClustersPerProject, 3);
    assert.deepEqual(c.services, { heartbeatMs: 2000, host: 'api-1' });
  });

  test("takes a relative policy.file from the configuration file's directory, else from the working directory", () => {
    const sub = mkdtempSync(join(dir, 'policy-'));
    const file = join(sub, 'magnetar.yaml');
    writeFileSync(file, 'policy:\n  file: policy.yaml\n  enforce_new_defaults: true\n');
    assert.deepEqual(loadConfig({ file, env: {} }).policy, {
      file: join(sub, 'policy.yaml'),
      enforceNewDefaults: true,
      enforceScope: false,
    });
    const fromEnv = loadConfig({
      env: { MAGNETAR_POLICY_FILE: 'p.yaml', MAGNETAR_POLICY_ENFORCE_SCOPE: 'true' },
    }).policy;
    assert.deepEqual(fromEnv, { file: join(process.cwd(), 'p.yaml'), enforceNewDefaults: false, enforceScope: true });
  });

  test('returns a frozen configuration', () => {
    const c = loadConfig({ env: {} });
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.api));
    assert.ok(Object.isFrozen(c.auth.defaultRoles));
  });

  test('reads nested sections and top-level keys from the YAML file', () => {
    const file = yamlFile(
      'api:\n  port: 9600\n  max_limit: 50\nstate_dir: /tmp/ms\nconductor:\n  lease_seconds: 4\n  enabled: false\ndrivers:\n  disabled: [swarm-local]\n',
    );
    const c = loadConfig({ file, env: {} });
    assert.equal(c.api.port, 9600);
    assert.equal(c.api.maxLimit, 50);
    assert.equal(c.stateDir, '/tmp/ms');
    assert.equal(c.databaseUrl, '/tmp/ms/magnetar.db');
    assert.equal(c.conductor.leaseMs, 4000);
    assert.equal(c.conductor.enabled, false);
    assert.deepEqual(c.drivers.disabled, ['swarm-local']);
  });

  test('finds the file through MAGNETAR_CONFIG', () => {
    const file = yamlFile('log:\n  level: debug\n');
    assert.equal(loadConfig({ env: { MAGNETAR_CONFIG: file } }).log.level, 'debug');
  });

  test('lets the environment override the file', () => {
    const file = yamlFile('api:\n  port: 9600\ndatabase:\n  url: postgresql://file/db\n');
    const c = loadConfig({
      file,
      env: {
        MAGNETAR_PORT: '9700',
        MAGNETAR_DATABASE_URL: 'postgresql://env/db',
        MAGNETAR_DEFAULT_ROLES: 'member, reader',
      },
    });
    assert.equal(c.api.port, 9700);
    assert.equal(c.databaseUrl, 'postgresql://env/db');
    assert.deepEqual(c.auth.defaultRoles, ['member', 'reader']);
  });

  test('ignores empty environment variables', () => {
    assert.equal(loadConfig({ env: { MAGNETAR_PORT: '' } }).api.port, 9511);
  });

  test('lets flags override the environment and the file', () => {
    const file = yamlFile('api:\n  port: 9600\n  host: 0.0.0.0\n');
    const c = loadConfig({
      file,
      env: { MAGNETAR_PORT: '9700' },
      flags: { 'api.port': '9800', 'api.host': undefined, 'conductor.enabled': false },
    });
    assert.equal(c.api.port, 9800);
    assert.equal(c.api.host, '0.0.0.0');
    assert.equal(c.conductor.enabled, false);
  });

  test('reads boolean words from the environment', () => {
    assert.equal(loadConfig({ env: { MAGNETAR_CONDUCTOR: 'off' } }).conductor.enabled, false);
    assert.equal(loadConfig({ env: { MAGNETAR_CONDUCTOR: 'YES' } }).conductor.enabled, true);
  });

  test('refuses a non-integer port from the environment naming the key, the value and the variable', () => {
    refuses(
      { env: { MAGNETAR_PORT: 'abc' } },
      'api.port must be an integer',
      '"abc"',
      'environment variable MAGNETAR_PORT',
    );
  });

  test('refuses an out-of-range port from a flag naming the key and the command line', () => {
    refuses({ env: {}, flags: { 'api.port': '70000' } }, 'api.port must be at most 65535', '"70000"', 'command line');
  });

  test('refuses a value below the minimum from the file naming the key and the file', () => {
    const file = yamlFile('conductor:\n  lease_seconds: 1\n');
    refuses({ file, env: {} }, 'conductor.lease_seconds must be at least 2', `from ${file}`);
  });

  test('refuses a bad boolean naming the key', () => {
    refuses(
      { env: { MAGNETAR_CONDUCTOR: 'maybe' } },
      'conductor.enabled must be a boolean',
      'environment variable MAGNETAR_CONDUCTOR',
    );
  });

  test('refuses a value outside the choices listing them', () => {
    refuses(
      { env: { MAGNETAR_LOG_LEVEL: 'loud' } },
      'log.level must be one of fatal, error, warn, info, debug, trace, silent',
      'MAGNETAR_LOG_LEVEL',
    );
  });

  test('refuses a number where the file needs a string', () => {
    const file = yamlFile('docker:\n  socket: 5\n');
    refuses({ file, env: {} }, 'docker.socket must be a non-empty string', file);
  });

  test('refuses a list of non-strings for a string list', () => {
    const file = yamlFile('drivers:\n  disabled: [1, 2]\n');
    refuses({ file, env: {} }, 'drivers.disabled must be a list of strings', file);
  });

  test('refuses an unknown key in the file naming the key and the file', () => {
    const file = yamlFile('api:\n  prot: 9600\n');
    refuses({ file, env: {} }, "unknown key 'api.prot'", file);
  });

  test('refuses a file that is not a mapping', () => {
    refuses({ file: yamlFile('- a\n- b\n'), env: {} }, 'must hold a mapping');
  });

  test('refuses an unreadable file naming it', () => {
    const missing = join(dir, 'missing.yaml');
    refuses({ file: missing, env: {} }, `cannot read ${missing}`);
  });

  test('treats an empty file as no settings', () => {
    assert.equal(loadConfig({ file: yamlFile(''), env: {} }).api.port, 9511);
  });

  test('keystone mode needs keystone.auth_url and the service credentials', () => {
    refuses({ env: { MAGNETAR_AUTH: 'keystone' } }, 'auth.mode keystone needs keystone.auth_url');
    refuses(
      { env: { MAGNETAR_AUTH: 'keystone', MAGNETAR_KEYSTONE_AUTH_URL: 'http://127.0.0.1:5000/v3' } },
      'keystone.username and keystone.password',
    );
    refuses(
      { env: { MAGNETAR_KEYSTONE_AUTH_URL: 'ftp://x' } },
      'keystone.auth_url must be an http(s) URL',
      'MAGNETAR_KEYSTONE_AUTH_URL',
    );
    const c = loadConfig({
      file: yamlFile(
        'auth: {mode: keystone}\nkeystone: {auth_url: "http://127.0.0.1:5000/v3/", username: magnetar, password: pw, token_cache_seconds: 30, region_name: R2, interface: internal}\n',
      ),
      env: {},
    });
    assert.equal(c.auth.mode, 'keystone');
    assert.equal(c.keystone.authUrl, 'http://127.0.0.1:5000/v3');
    assert.equal(c.keystone.tokenCacheMs, 30_000);
    assert.equal(c.keystone.regionName, 'R2');
    assert.equal(c.keystone.interface, 'internal');
    const appCred = loadConfig({
      env: {
        MAGNETAR_AUTH: 'keystone',
        MAGNETAR_KEYSTONE_AUTH_URL: 'http://127.0.0.1:5000/v3',
        MAGNETAR_KEYSTONE_APPLICATION_CREDENTIAL_ID: 'id',
        MAGNETAR_KEYSTONE_APPLICATION_CREDENTIAL_SECRET: 's',
      },
    });
    assert.equal(appCred.keystone.applicationCredentialId, 'id');
  });
});
