/**
 * @module Test helper: the Keystone that `scripts/ensure-system.sh keystone` installs and starts on 127.0.0.1:5000
 * (scripts/test.sh runs it), its accounts (passwords generated into /var/lib/magnetar-openstack/accounts.env), tokens
 * of its users, the environment of a Magnetar process in `auth.mode: keystone`, and a real client run as a member.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { osRequest } from '../../src/openstack/http.ts';
import { authenticate, type AuthToken, type Credentials } from '../../src/openstack/session.ts';
import type { ClientRun } from './real-clients.ts';

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

/** Runs a client with only OS_* variables of a-member of magnetar-a (password auth, catalog in `region`). */
export async function memberClient(
  a: Accounts,
  region: string,
  bin: string,
  args: string[],
  cwd?: string,
): Promise<ClientRun> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    SHELL: '/bin/bash',
    PYTHONWARNINGS: 'ignore',
    OS_AUTH_URL: a.authUrl,
    OS_IDENTITY_API_VERSION: '3',
    OS_USERNAME: 'a-member',
    OS_PASSWORD: a.demoPassword,
    OS_PROJECT_NAME: 'magnetar-a',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: region,
    OS_INTERFACE: 'public',
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(bin, args, { env, timeout: 180_000, cwd });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof err.code === 'number' ? err.code : 1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? err.message,
    };
  }
}
