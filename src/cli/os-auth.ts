/**
 * @module cli/os-auth — Keystone authentication of the command line from the standard `OS_*` variables and their
 * `--os-*` options (as python-openstackclient reads them): a password or an application credential becomes a token
 * (one per process, through {@link KeystoneSession}), and the container-infra endpoint is found in its catalog unless
 * `--magnetar-url` / `MAGNETAR_URL` names it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tls from 'node:tls';
import { EndpointNotFound, type EndpointInterface } from '../openstack/catalog.ts';
import { OpenStackError } from '../openstack/http.ts';
import { KeystoneSession, type Credentials, type Scope } from '../openstack/session.ts';
import { CliError } from './errors.ts';

/** The `--os-*` options; each falls back to its `OS_*` variable. */
export interface OsOptions {
  osAuthUrl?: string;
  osUsername?: string;
  osUserId?: string;
  osPassword?: string;
  osProjectName?: string;
  osProjectId?: string;
  osUserDomainName?: string;
  osUserDomainId?: string;
  osProjectDomainName?: string;
  osProjectDomainId?: string;
  osDomainName?: string;
  osDomainId?: string;
  osSystemScope?: string;
  osApplicationCredentialId?: string;
  osApplicationCredentialName?: string;
  osApplicationCredentialSecret?: string;
  osRegionName?: string;
  osInterface?: string;
  osCacert?: string;
}

/** Option flag, its commander key and its environment variable, in `--help` order. */
export const OS_OPTIONS: readonly { flag: string; key: keyof OsOptions; env: string; what: string }[] = [
  { flag: '--os-auth-url <url>', key: 'osAuthUrl', env: 'OS_AUTH_URL', what: 'Keystone v3 URL' },
  { flag: '--os-username <name>', key: 'osUsername', env: 'OS_USERNAME', what: 'user name' },
  { flag: '--os-user-id <id>', key: 'osUserId', env: 'OS_USER_ID', what: 'user id' },
  { flag: '--os-password <password>', key: 'osPassword', env: 'OS_PASSWORD', what: 'password' },
  { flag: '--os-project-name <name>', key: 'osProjectName', env: 'OS_PROJECT_NAME', what: 'project scope by name' },
  { flag: '--os-project-id <id>', key: 'osProjectId', env: 'OS_PROJECT_ID', what: 'project scope by id' },
  {
    flag: '--os-user-domain-name <name>',
    key: 'osUserDomainName',
    env: 'OS_USER_DOMAIN_NAME',
    what: "user's domain (default Default)",
  },
  { flag: '--os-user-domain-id <id>', key: 'osUserDomainId', env: 'OS_USER_DOMAIN_ID', what: "user's domain id" },
  {
    flag: '--os-project-domain-name <name>',
    key: 'osProjectDomainName',
    env: 'OS_PROJECT_DOMAIN_NAME',
    what: "project's domain (default Default)",
  },
  {
    flag: '--os-project-domain-id <id>',
    key: 'osProjectDomainId',
    env: 'OS_PROJECT_DOMAIN_ID',
    what: "project's domain id",
  },
  { flag: '--os-domain-name <name>', key: 'osDomainName', env: 'OS_DOMAIN_NAME', what: 'domain scope by name' },
  { flag: '--os-domain-id <id>', key: 'osDomainId', env: 'OS_DOMAIN_ID', what: 'domain scope by id' },
  { flag: '--os-system-scope <all>', key: 'osSystemScope', env: 'OS_SYSTEM_SCOPE', what: 'system scope (all)' },
  {
    flag: '--os-application-credential-id <id>',
    key: 'osApplicationCredentialId',
    env: 'OS_APPLICATION_CREDENTIAL_ID',
    what: 'application credential id',
  },
  {
    flag: '--os-application-credential-name <name>',
    key: 'osApplicationCredentialName',
    env: 'OS_APPLICATION_CREDENTIAL_NAME',
    what: 'application credential name (with the user)',
  },
  {
    flag: '--os-application-credential-secret <secret>',
    key: 'osApplicationCredentialSecret',
    env: 'OS_APPLICATION_CREDENTIAL_SECRET',
    what: 'application credential secret',
  },
  { flag: '--os-region-name <region>', key: 'osRegionName', env: 'OS_REGION_NAME', what: 'catalog region' },
  {
    flag: '--os-interface <interface>',
    key: 'osInterface',
    env: 'OS_INTERFACE',
    what: 'catalog interface: public, internal or admin (default public)',
  },
  {
    flag: '--os-cacert <file>',
    key: 'osCacert',
    env: 'OS_CACERT',
    what: 'PEM CA bundle trusted for Keystone and the service',
  },
];

/** Where the CLI authenticates and how it finds the service. */
export interface OsAuthSettings {
  authUrl: string;
  credentials: Credentials;
  region: string | null;
  interface: EndpointInterface;
  cacert: string | null;
}

/** Timeout of each Keystone call of the CLI. */
const KEYSTONE_TIMEOUT_MS = 30_000;

const INTERFACES: Record<string, EndpointInterface> = {
  public: 'public',
  publicurl: 'public',
  internal: 'internal',
  internalurl: 'internal',
  admin: 'admin',
  adminurl: 'admin',
};

/**
 * The Keystone settings of the command line, or null when it names no Keystone (`OS_AUTH_URL` unset) or only a
 * ready token (`--token`/`OS_TOKEN` without a password or application credential: sent as it is).
 * @throws CliError for an incomplete set (no credentials, no scope, unknown interface).
 */
export function osAuthSettings(
  opts: OsOptions,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  staticToken: string | undefined,
): OsAuthSettings | null {
  const v = (key: keyof OsOptions): string | undefined => {
    const entry = OS_OPTIONS.find((o) => o.key === key);
    const value = opts[key] ?? (entry ? env[entry.env] : undefined);
    return value === undefined || value === '' ? undefined : value;
  };
  const authUrl = v('osAuthUrl');
  if (authUrl === undefined) return null;
  const password = v('osPassword');
  const acSecret = v('osApplicationCredentialSecret');
  const acId = v('osApplicationCredentialId');
  const acName = v('osApplicationCredentialName');
  if (staticToken && password === undefined && acSecret === undefined) return null;
  if (!URL.canParse(authUrl)) throw new CliError(`invalid Keystone URL (--os-auth-url / OS_AUTH_URL): ${authUrl}`);
  const iface = INTERFACES[(v('osInterface') ?? 'public').toLowerCase()];
  if (iface === undefined)
    throw new CliError(`--os-interface / OS_INTERFACE must be public, internal or admin, not ${v('osInterface')}`);
  const user = {
    ...(v('osUserId') ? { userId: v('osUserId') as string } : {}),
    ...(v('osUsername') ? { username: v('osUsername') as string } : {}),
    ...(v('osUserDomainId') ? { userDomainId: v('osUserDomainId') as string } : {}),
    userDomainName: v('osUserDomainName') ?? 'Default',
  };
  let credentials: Credentials;
  if (acSecret !== undefined || acId !== undefined || acName !== undefined) {
    if (acSecret === undefined || (acId === undefined && acName === undefined))
      throw new CliError(
        'application credential auth needs OS_APPLICATION_CREDENTIAL_SECRET and OS_APPLICATION_CREDENTIAL_ID ' +
          '(or OS_APPLICATION_CREDENTIAL_NAME with OS_USERNAME)',
      );
    if (acId === undefined && user.userId === undefined && user.username === undefined)
      throw new CliError('an application credential named by OS_APPLICATION_CREDENTIAL_NAME needs OS_USERNAME');
    credentials = {
      kind: 'application_credential',
      ...(acId !== undefined ? { id: acId } : { name: acName as string, ...user }),
      secret: acSecret,
    };
  } else {
    if (password === undefined)
      throw new CliError(
        `OS_AUTH_URL is ${authUrl} but there is nothing to authenticate with: set OS_USERNAME and OS_PASSWORD ` +
          '(--os-username, --os-password), or OS_APPLICATION_CREDENTIAL_ID and OS_APPLICATION_CREDENTIAL_SECRET',
      );
    if (user.userId === undefined && user.username === undefined)
      throw new CliError('password auth needs OS_USERNAME (--os-username) or OS_USER_ID (--os-user-id)');
    credentials = { kind: 'password', ...user, password, scope: scopeOf(v) };
  }
  const cacert = v('osCacert');
  return {
    authUrl: authUrl.replace(/\/+$/, ''),
    credentials,
    region: v('osRegionName') ?? null,
    interface: iface,
    cacert: cacert === undefined ? null : resolve(cwd, cacert),
  };
}

function scopeOf(v: (key: keyof OsOptions) => string | undefined): Scope {
  const projectId = v('osProjectId');
  if (projectId) return { project: { id: projectId } };
  const projectName = v('osProjectName');
  if (projectName) {
    const domainId = v('osProjectDomainId');
    return {
      project: domainId ? { name: projectName, domainId } : { name: projectName, domainName: v('osProjectDomainName') },
    };
  }
  const domainId = v('osDomainId');
  if (domainId) return { domain: { id: domainId } };
  const domainName = v('osDomainName');
  if (domainName) return { domain: { name: domainName } };
  const system = v('osSystemScope');
  if (system) {
    if (system !== 'all') throw new CliError(`--os-system-scope / OS_SYSTEM_SCOPE can only be all, not ${system}`);
    return { system: 'all' };
  }
  throw new CliError(
    'password auth needs a scope: OS_PROJECT_NAME (with OS_PROJECT_DOMAIN_NAME) or OS_PROJECT_ID, ' +
      'OS_DOMAIN_NAME / OS_DOMAIN_ID, or OS_SYSTEM_SCOPE=all (or the matching --os-* options)',
  );
}

/** Adds the PEM certificates of `file` to the CAs this process trusts (for Keystone and the service alike). */
export function trustCaFile(file: string): void {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read the CA bundle (--os-cacert / OS_CACERT) ${file}: ${(e as Error).message}`);
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0)
    throw new CliError(`the CA bundle ${file} (--os-cacert / OS_CACERT) holds no PEM certificate`);
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), ...blocks]);
}

/** Who the CLI authenticates as, for messages. */
function whoOf(c: Credentials): string {
  if (c.kind === 'application_credential') return `application credential ${c.id ?? c.name ?? ''}`;
  if (c.kind === 'password') return `user ${c.username ?? c.userId ?? ''}`;
  return 'the token';
}

/**
 * A token for the API client: one Keystone session for the process (authenticated on first use), `invalidate` after
 * a 401 so that the next call authenticates again.
 */
export class CliKeystoneAuth {
  readonly settings: OsAuthSettings;
  readonly session: KeystoneSession;

  constructor(settings: OsAuthSettings) {
    this.settings = settings;
    if (settings.cacert !== null) trustCaFile(settings.cacert);
    this.session = new KeystoneSession({
      authUrl: settings.authUrl,
      credentials: settings.credentials,
      timeoutMs: KEYSTONE_TIMEOUT_MS,
      endpoints: { region: settings.region, interface: settings.interface },
    });
  }

  /** The process's token (authenticating when there is none). @throws CliError naming Keystone's refusal. */
  async token(): Promise<string> {
    try {
      return await this.session.token();
    } catch (e) {
      throw this.#explain(e);
    }
  }

  /** Drops `token` (the service answered 401 to it). */
  invalidate(token: string): void {
    this.session.invalidate(token);
  }

  /** The container-infra endpoint of the token's catalog. @throws CliError saying how to register one. */
  async endpoint(): Promise<string> {
    await this.token();
    try {
      return await this.session.endpoint('container-infra');
    } catch (e) {
      if (!(e instanceof EndpointNotFound)) throw this.#explain(e);
      const region = this.settings.region ?? 'RegionOne';
      throw new CliError(
        `${e.message} in the catalog of ${this.settings.authUrl}: an admin registers Magnetar with ` +
          `'openstack service create --name magnum container-infra' and ` +
          `'openstack endpoint create --region ${region} container-infra ${this.settings.interface} ` +
          `http://<host>:9511/v1', or give the URL with --magnetar-url / MAGNETAR_URL`,
      );
    }
  }

  #explain(e: unknown): Error {
    if (e instanceof OpenStackError) {
      const who = whoOf(this.settings.credentials);
      if (e.status === 401)
        return new CliError(
          `Keystone at ${this.settings.authUrl} refused ${who} (${e.message}): check the credentials`,
        );
      return new CliError(`cannot authenticate ${who} at ${this.settings.authUrl}: ${e.message}`);
    }
    return e instanceof Error ? e : new Error(String(e));
  }
}
