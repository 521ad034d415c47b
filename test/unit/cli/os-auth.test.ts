/** @module test/unit/cli/os-auth — the CLI's Keystone settings from OS_* variables and --os-* options. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../../../src/cli/errors.ts';
import { osAuthSettings } from '../../../src/cli/os-auth.ts';

const base = {
  OS_AUTH_URL: 'http://127.0.0.1:5000/v3/',
  OS_USERNAME: 'alice',
  OS_PASSWORD: 'pw',
  OS_PROJECT_NAME: 'p',
  OS_USER_DOMAIN_NAME: 'Users',
  OS_PROJECT_DOMAIN_NAME: 'Projects',
};

void describe('osAuthSettings', () => {
  void it('is null without OS_AUTH_URL, and with a ready token and no credentials', () => {
    assert.equal(osAuthSettings({}, { OS_USERNAME: 'alice' }, '/', undefined), null);
    assert.equal(osAuthSettings({}, { OS_AUTH_URL: base.OS_AUTH_URL }, '/', 'tok'), null);
  });

  void it('reads password auth with a project scope, region, interface and CA file from the variables', () => {
    const s = osAuthSettings(
      {},
      { ...base, OS_REGION_NAME: 'R1', OS_INTERFACE: 'internalURL', OS_CACERT: 'ca.pem' },
      '/etc/os',
      undefined,
    );
    assert.deepEqual(s, {
      authUrl: 'http://127.0.0.1:5000/v3',
      credentials: {
        kind: 'password',
        username: 'alice',
        userDomainName: 'Users',
        password: 'pw',
        scope: { project: { name: 'p', domainName: 'Projects' } },
      },
      region: 'R1',
      interface: 'internal',
      cacert: '/etc/os/ca.pem',
    });
  });

  void it('options win over variables; project id, domain and system scopes', () => {
    const s = osAuthSettings({ osPassword: 'opt', osProjectId: 'pid' }, base, '/', undefined);
    assert.equal(s?.credentials.kind === 'password' && s.credentials.password, 'opt');
    assert.deepEqual(s?.credentials.kind === 'password' && s.credentials.scope, { project: { id: 'pid' } });
    const { OS_PROJECT_NAME: _p, ...noProject } = base;
    const d = osAuthSettings({}, { ...noProject, OS_DOMAIN_NAME: 'D' }, '/', undefined);
    assert.deepEqual(d?.credentials.kind === 'password' && d.credentials.scope, { domain: { name: 'D' } });
    const sys = osAuthSettings({ osSystemScope: 'all' }, noProject, '/', undefined);
    assert.deepEqual(sys?.credentials.kind === 'password' && sys.credentials.scope, { system: 'all' });
    assert.equal(sys?.region, null);
    assert.equal(sys?.interface, 'public');
  });

  void it('application credentials by id, or by name with the user', () => {
    const env = {
      OS_AUTH_URL: base.OS_AUTH_URL,
      OS_APPLICATION_CREDENTIAL_ID: 'ac',
      OS_APPLICATION_CREDENTIAL_SECRET: 's',
    };
    assert.deepEqual(osAuthSettings({}, env, '/', undefined)?.credentials, {
      kind: 'application_credential',
      id: 'ac',
      secret: 's',
    });
    const byName = osAuthSettings(
      { osApplicationCredentialName: 'n', osApplicationCredentialSecret: 's', osUsername: 'bob' },
      { OS_AUTH_URL: base.OS_AUTH_URL },
      '/',
      undefined,
    );
    assert.deepEqual(byName?.credentials, {
      kind: 'application_credential',
      name: 'n',
      username: 'bob',
      userDomainName: 'Default',
      secret: 's',
    });
  });

  void it('says what is missing', () => {
    const fails = (env: Record<string, string>, re: RegExp, opts = {}): void =>
      assert.throws(
        () => osAuthSettings(opts, env, '/', undefined),
        (e: unknown) => e instanceof CliError && re.test(e.message),
      );
    fails({ OS_AUTH_URL: base.OS_AUTH_URL }, /nothing to authenticate with: set OS_USERNAME and OS_PASSWORD/);
    const { OS_PROJECT_NAME: _p, ...noProject } = base;
    fails(noProject, /password auth needs a scope: OS_PROJECT_NAME/);
    fails({ ...base, OS_USERNAME: '' }, /password auth needs OS_USERNAME/);
    fails({ ...base, OS_INTERFACE: 'private' }, /must be public, internal or admin, not private/);
    fails(
      { OS_AUTH_URL: base.OS_AUTH_URL, OS_APPLICATION_CREDENTIAL_ID: 'ac' },
      /needs OS_APPLICATION_CREDENTIAL_SECRET/,
    );
    fails({ ...base, OS_AUTH_URL: 'not a url' }, /invalid Keystone URL/);
  });
});
