/**
 * @module The Keystone v3 calls behind cluster trusts, as Magnum's `[trust]` section configures them: the trustee domain
 * admin (domain-scoped password auth) finds, makes and deletes trustee users; the creating user's token makes the trust
 * (impersonation, the caller's roles or `trust.roles`); the trustee's password plus the trust id give the trust-scoped
 * token every cloud call for the cluster is made with (its catalog names the other services' endpoints).
 */
import { findEndpoint, type EndpointFilter, type EndpointInterface } from './catalog.ts';
import { OpenStackError, osRequest, type OsRequest, type OsResponse } from './http.ts';
import {
  authenticate,
  KeystoneSession,
  trimSlash,
  type AuthToken,
  type PasswordCredentials,
  type Scope,
} from './session.ts';

/** A Keystone call failed: the status (undefined: no answer) is on {@link OpenStackError}. */
export { OpenStackError };

/** Keystone could not answer or failed (no answer, 5xx, 429): worth trying again later, not the request's fault. */
export function isTransient(e: unknown): boolean {
  if (!(e instanceof OpenStackError)) return false;
  return e.status === undefined || e.status >= 500 || e.status === 429;
}

/** `trust.*` settings (Magnum's `[trust]` section). */
export interface TrustSettings {
  /** Keystone v3 URL (`keystone.auth_url`); null: trusts are off. */
  authUrl: string | null;
  trusteeDomainId: string | null;
  trusteeDomainName: string | null;
  trusteeDomainAdminId: string | null;
  trusteeDomainAdminName: string | null;
  trusteeDomainAdminDomainId: string | null;
  trusteeDomainAdminDomainName: string | null;
  trusteeDomainAdminPassword: string | null;
  /** Roles delegated by the trust; empty: the creating user's roles. */
  roles: readonly string[];
  /** Interface of the endpoints a trust-scoped session uses (`public` by default). */
  trusteeKeystoneInterface: string;
  /** Region of those endpoints; null: any. */
  trusteeKeystoneRegionName: string | null;
}

/** Whether `s` configures trusts at all (a domain and an admin to manage users in it). */
export function trustsConfigured(s: TrustSettings): boolean {
  return (
    s.authUrl !== null &&
    (s.trusteeDomainId !== null || s.trusteeDomainName !== null) &&
    (s.trusteeDomainAdminId !== null || s.trusteeDomainAdminName !== null) &&
    s.trusteeDomainAdminPassword !== null
  );
}

/** A trust as Keystone lists it. */
export interface KeystoneTrust {
  id: string;
  trustor_user_id: string;
  trustee_user_id: string;
  project_id: string | null;
  impersonation: boolean;
}

/** A user as Keystone lists it. */
export interface KeystoneUser {
  id: string;
  name: string;
  domain_id: string;
}

const TIMEOUT_MS = 15_000;

/**
 * Keystone's identity API at `authUrl` (…/v3) for trusts. Holds the trustee domain admin's session (renewed before its
 * token expires, and once more after a 401) and nothing else.
 */
export class TrustKeystone {
  readonly #authUrl: string;
  readonly #settings: TrustSettings;
  readonly #admin: KeystoneSession;
  #domainId: string | undefined;

  constructor(authUrl: string, settings: TrustSettings) {
    this.#authUrl = trimSlash(authUrl);
    this.#settings = settings;
    this.#admin = new KeystoneSession({
      authUrl: this.#authUrl,
      credentials: adminCredentials(settings),
      timeoutMs: TIMEOUT_MS,
      endpoints: this.endpoints,
    });
  }

  get settings(): TrustSettings {
    return this.#settings;
  }

  /** Where a trust-scoped session finds other services' endpoints (`trust.trustee_keystone_*`). */
  get endpoints(): EndpointFilter {
    return {
      interface: this.#settings.trusteeKeystoneInterface as EndpointInterface,
      region: this.#settings.trusteeKeystoneRegionName,
    };
  }

  /** The trustee domain's id: configured, or the domain the admin's token is scoped to. */
  async trusteeDomainId(): Promise<string> {
    if (this.#settings.trusteeDomainId) return this.#settings.trusteeDomainId;
    const id = (await this.#admin.auth()).info.domainId;
    if (!id) throw new Error('trust: the trustee domain admin token is not scoped to a domain');
    this.#domainId = id;
    return id;
  }

  /** The trustee domain's id if known without asking Keystone (configured, or learned once); for policy checks. */
  knownTrusteeDomainId(): string | undefined {
    return this.#settings.trusteeDomainId ?? this.#domainId;
  }

  /** A call as the domain admin; after a 401 (the cached token was revoked) once more with a fresh token. */
  async #asAdmin(method: OsRequest['method'], path: string, opts: { body?: unknown; expect?: number[] } = {}) {
    for (let attempt = 0; ; attempt++) {
      const token = await this.#admin.token();
      try {
        return await this.#call(method, path, { ...opts, token });
      } catch (e) {
        if (!(e instanceof OpenStackError) || e.status !== 401 || attempt > 0) throw e;
        this.#admin.invalidate(token);
      }
    }
  }

  /** The trustee user called `name` in the trustee domain, if there is one. */
  async findUser(name: string): Promise<KeystoneUser | undefined> {
    const q = new URLSearchParams({ domain_id: await this.trusteeDomainId(), name });
    const res = await this.#asAdmin('GET', `/users?${q}`);
    const users = (res.body as { users?: KeystoneUser[] } | null)?.users ?? [];
    return users.find((u) => u.name === name);
  }

  /** Makes user `name` with `password` in the trustee domain (Magnum's create_trustee). */
  async createUser(name: string, password: string): Promise<KeystoneUser> {
    const domainId = await this.trusteeDomainId();
    const res = await this.#asAdmin('POST', '/users', {
      body: { user: { name, password, domain_id: domainId, enabled: true } },
    });
    return (res.body as { user: KeystoneUser }).user;
  }

  /** Sets the user's password (a user made by an earlier attempt gets the password stored for it). */
  async setPassword(userId: string, password: string): Promise<void> {
    await this.#asAdmin('PATCH', `/users/${encodeURIComponent(userId)}`, { body: { user: { password } } });
  }

  /** Deletes the user (Keystone deletes its trusts with it); true if it existed. */
  async deleteUser(userId: string): Promise<boolean> {
    const res = await this.#asAdmin('DELETE', `/users/${encodeURIComponent(userId)}`, { expect: [204, 404] });
    return res.status === 204;
  }

  /** Whether project `id` exists (Magnum checks this at quota create, with the trustee domain admin). */
  async projectExists(id: string): Promise<boolean> {
    const res = await this.#asAdmin('GET', `/projects/${encodeURIComponent(id)}`, { expect: [200, 404] });
    return res.status === 200;
  }

  /** An endpoint from the trustee domain admin's catalog (`trust.trustee_keystone_*`); undefined: none. */
  async endpoint(type: string): Promise<string | undefined> {
    return findEndpoint((await this.#admin.auth()).info.catalog ?? [], type, this.endpoints) ?? undefined;
  }

  /** A token for the trustee: unscoped, or scoped to `trustId` (the token the conductor acts for the cluster with). */
  trusteeToken(userId: string, password: string, trustId?: string): Promise<AuthToken> {
    return authenticate(
      this.#authUrl,
      { kind: 'password', userId, password, ...(trustId ? { scope: { trustId } } : {}) },
      { timeoutMs: TIMEOUT_MS },
    );
  }

  /** Trusts where the token's user is the trustee. */
  async trustsOfTrustee(token: AuthToken): Promise<KeystoneTrust[]> {
    const q = new URLSearchParams({ trustee_user_id: token.info.userId });
    const res = await this.#call('GET', `/OS-TRUST/trusts?${q}`, { token: token.token });
    return (res.body as { trusts?: KeystoneTrust[] } | null)?.trusts ?? [];
  }

  /**
   * The trust from the user of `trustorToken` to `trusteeUserId` on `projectId` with `roles` (Magnum's create_trust:
   * impersonation, no redelegation).
   */
  async createTrust(
    trustorToken: string,
    trust: { trustorUserId: string; trusteeUserId: string; projectId: string; roles: readonly string[] },
  ): Promise<KeystoneTrust> {
    const res = await this.#call('POST', '/OS-TRUST/trusts', {
      token: trustorToken,
      body: {
        trust: {
          trustor_user_id: trust.trustorUserId,
          trustee_user_id: trust.trusteeUserId,
          project_id: trust.projectId,
          impersonation: true,
          roles: trust.roles.map((name) => ({ name })),
        },
      },
    });
    return (res.body as { trust: KeystoneTrust }).trust;
  }

  /** Deletes the trust with `token` (a trust-scoped token impersonating the trustor may); true if it existed. */
  async deleteTrust(token: string, trustId: string): Promise<boolean> {
    const res = await this.#call('DELETE', `/OS-TRUST/trusts/${encodeURIComponent(trustId)}`, {
      token,
      expect: [204, 404],
    });
    return res.status === 204;
  }

  #call(
    method: OsRequest['method'],
    path: string,
    opts: { token?: string; body?: unknown; expect?: number[] } = {},
  ): Promise<OsResponse> {
    return osRequest({
      service: 'keystone',
      method,
      url: `${this.#authUrl}${path}`,
      ...(opts.token ? { headers: { 'x-auth-token': opts.token } } : {}),
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      timeoutMs: TIMEOUT_MS,
      ...(opts.expect ? { expect: opts.expect } : {}),
    });
  }
}

/** The trustee domain admin's credentials, domain-scoped (Magnum's domain_admin_auth). */
function adminCredentials(s: TrustSettings): PasswordCredentials {
  const scope: Scope = { domain: s.trusteeDomainId ? { id: s.trusteeDomainId } : { name: s.trusteeDomainName ?? '' } };
  const password = s.trusteeDomainAdminPassword ?? '';
  if (s.trusteeDomainAdminId) return { kind: 'password', userId: s.trusteeDomainAdminId, password, scope };
  const domainId = s.trusteeDomainAdminDomainId ?? (s.trusteeDomainAdminDomainName ? null : s.trusteeDomainId);
  const domainName = s.trusteeDomainAdminDomainName ?? s.trusteeDomainName;
  return {
    kind: 'password',
    username: s.trusteeDomainAdminName ?? '',
    ...(domainId ? { userDomainId: domainId } : domainName ? { userDomainName: domainName } : {}),
    password,
    scope,
  };
}
