/**
 * @module Test helper: the Keystone that `scripts/ensure-system.sh keystone` installs and starts on 127.0.0.1:5000
 * (scripts/test.sh runs it), its accounts (passwords generated into /var/lib/magnetar-openstack/accounts.env), tokens
 * of its users, and the environment of a Magnetar process in `auth.mode: keystone`.
 */
import { readFileSync } from 'node:fs';
import { osRequest } from '../../src/openstack/http.ts';
import { authenticate, type AuthToken, type Credentials } from '../../src/openstack/session.ts';

export const ACCOUNTS_FILE = process.env.MAGNETAR_OPENSTACK_ACCOUNTS ?? '/var/lib/magnetar-openstack/accounts.env';

export interface Accounts {
  authUrl: string;
  region: string;
  adminPassword: string;
  servicePassword: string;
  demoPassword: string;
}

/** The accounts file, or null with the reason when Keystone was not set up here (the suite is then skipped). */
export function keystoneAccounts(): { accounts: Accounts | null; skip: string | false } {
  let text: string;
  try {
    text = readFileSync(ACCOUNTS_FILE, 'utf8');
  } catch (e) {
    return { accounts: null, skip: `no Keystone here (${(e as Error).message}): scripts/ensure-system.sh keystone` };
  }
  const v = Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    accounts: {
      authUrl: v.OS_AUTH_URL ?? 'http://127.0.0.1:5000/v3',
      region: v.OS_REGION_NAME ?? 'RegionOne',
      adminPassword: v.ADMIN_PASSWORD ?? '',
      servicePassword: v.SERVICE_PASSWORD ?? '',
      demoPassword: v.DEMO_PASSWORD ?? '',
    },
    skip: false,
  };
}

/** The demo users of ensure-system.sh and where their role is. */
export const USERS = {
  admin: { project: 'admin' },
  'a-admin': { project: 'magnetar-a' },
  'a-member': { project: 'magnetar-a' },
  'a-reader': { project: 'magnetar-a' },
  'b-member': { project: 'magnetar-b' },
  'system-reader': { system: true },
  magnetar: { project: 'service' },
} as const;
export type UserName = keyof typeof USERS;

export function passwordOf(a: Accounts, user: UserName): string {
  return user === 'admin' ? a.adminPassword : user === 'magnetar' ? a.servicePassword : a.demoPassword;
}

/** A fresh token of one of the users, scoped as USERS says. */
export function tokenOf(a: Accounts, user: UserName): Promise<AuthToken> {
  const u = USERS[user];
  const credentials: Credentials = {
    kind: 'password',
    username: user,
    userDomainName: 'Default',
    password: passwordOf(a, user),
    scope: 'system' in u ? { system: 'all' } : { project: { name: u.project, domainName: 'Default' } },
  };
  return authenticate(a.authUrl, credentials, { timeoutMs: 30_000 });
}

/** Environment of a `magnetar serve|api` in keystone mode, validating with the `magnetar` service user. */
export function keystoneEnv(a: Accounts, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MAGNETAR_AUTH: 'keystone',
    MAGNETAR_KEYSTONE_AUTH_URL: a.authUrl,
    MAGNETAR_KEYSTONE_USERNAME: 'magnetar',
    MAGNETAR_KEYSTONE_PASSWORD: a.servicePassword,
    MAGNETAR_KEYSTONE_REGION_NAME: a.region,
    ...extra,
  };
}

/** A call to Keystone's API with a token (admin operations of the tests: regions, services, endpoints). */
export async function keystoneCall(
  a: Accounts,
  token: string,
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH',
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const r = await osRequest({
    service: 'keystone',
    method,
    url: `${a.authUrl}${path}`,
    headers: { 'x-auth-token': token },
    ...(body === undefined ? {} : { body }),
    timeoutMs: 30_000,
  });
  return (r.body ?? {}) as Record<string, unknown>;
}
