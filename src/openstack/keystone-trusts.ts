/**
 * @module The Keystone v3 calls behind cluster trusts, as Magnum's `[trust]` section configures them: the trustee domain
 * admin (domain-scoped password auth) finds, makes and deletes trustee users; the creating user's token makes the trust
 * (impersonation, the caller's roles or `trust.roles`); the trustee's password plus the trust id give the trust-scoped
 * token every cloud call for the cluster is made with (its catalog names the other services' endpoints).
 */

/** One service of a token's catalog. */
export interface CatalogService {
  type: string;
  name?: string;
  endpoints: { interface: string; region?: string | null; region_id?: string | null; url: string }[];
}

/** A token Keystone issued, with what the caller needs from its body. */
export interface IssuedToken {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
  userId: string;
  projectId: string | undefined;
  domainId: string | undefined;
  roles: string[];
  catalog: CatalogService[];
}

/** A Keystone answer other than the one expected: the status (0: no answer at all) and Keystone's message. */
export class KeystoneError extends Error {
  readonly status: number;
  constructor(status: number, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'KeystoneError';
    this.status = status;
  }
  /** Keystone was not reached or failed (5xx): worth trying again later. */
  get transient(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

/** `trust.*` settings (Magnum's `[trust]` section). */
export interface TrustSettings {
  /** Keystone v3 URL; null: trusts are off. */
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

/** The endpoint of service `type` in `catalog` for `iface` (and `region` when given); undefined: none. */
export function endpointOf(
  catalog: readonly CatalogService[],
  type: string,
  iface: string,
  region: string | null,
): string | undefined {
  for (const svc of catalog) {
    if (svc.type !== type) continue;
    for (const ep of svc.endpoints) {
      if (ep.interface !== iface) continue;
      if (region !== null && (ep.region_id ?? ep.region) !== region) continue;
      return ep.url.replace(/\/+$/, '');
    }
  }
  return undefined;
}

type Fetch = typeof fetch;

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
/** A cached token is used until this long before it expires. */
const TOKEN_MARGIN_MS = 60_000;

/**
 * Keystone's identity API at `authUrl` (…/v3) for trusts. Holds the trustee domain admin's token (re-authenticated a
 * minute before it expires or after a 401) and nothing else.
 */
export class TrustKeystone {
  readonly #authUrl: string;
  readonly #settings: TrustSettings;
  readonly #fetch: Fetch;
  #admin: IssuedToken | undefined;
  #adminPending: Promise<IssuedToken> | undefined;

  constructor(authUrl: string, settings: TrustSettings, fetchImpl: Fetch = fetch) {
    this.#authUrl = authUrl.replace(/\/+$/, '');
    this.#settings = settings;
    this.#fetch = fetchImpl;
  }

  get settings(): TrustSettings {
    return this.#settings;
  }

  /** POST /v3/auth/tokens with `auth`; the token and what its body says. */
  async issue(auth: Record<string, unknown>): Promise<IssuedToken> {
    const res = await this.#call('POST', '/auth/tokens', { body: { auth } });
    const token = res.headers.get('x-subject-token');
    const body = (await res.json()) as { token?: Record<string, unknown> };
    const t = body.token ?? {};
    if (!token) throw new KeystoneError(res.status, 'Keystone issued no X-Subject-Token');
    const user = t.user as { id?: string } | undefined;
    const project = t.project as { id?: string } | undefined;
    const domain = t.domain as { id?: string } | undefined;
    const roles = Array.isArray(t.roles) ? (t.roles as { name?: string }[]).map((r) => r.name ?? '') : [];
    return {
      token,
      expiresAt: typeof t.expires_at === 'string' ? Date.parse(t.expires_at) : Date.now() + 3_600_000,
      userId: user?.id ?? '',
      projectId: project?.id,
      domainId: domain?.id,
      roles: roles.filter(Boolean),
      catalog: Array.isArray(t.catalog) ? (t.catalog as CatalogService[]) : [],
    };
  }

  /** The trustee domain admin's domain-scoped token (Magnum's domain_admin_auth). */
  async adminToken(): Promise<IssuedToken> {
    const held = this.#admin;
    if (held && held.expiresAt - TOKEN_MARGIN_MS > Date.now()) return held;
    this.#adminPending ??= this.issue(this.#adminAuth()).finally(() => (this.#adminPending = undefined));
    this.#admin = await this.#adminPending;
    return this.#admin;
  }

  /** The trustee domain's id: configured, or the domain the admin's token is scoped to. */
  async trusteeDomainId(): Promise<string> {
    if (this.#settings.trusteeDomainId) return this.#settings.trusteeDomainId;
    const id = (await this.adminToken()).domainId;
    if (!id) throw new KeystoneError(0, 'the trustee domain admin token is not scoped to a domain');
    return id;
  }

  #adminAuth(): Record<string, unknown> {
    const s = this.#settings;
    const userDomain = s.trusteeDomainAdminDomainId
      ? { id: s.trusteeDomainAdminDomainId }
      : s.trusteeDomainAdminDomainName
        ? { name: s.trusteeDomainAdminDomainName }
        : s.trusteeDomainId
          ? { id: s.trusteeDomainId }
          : { name: s.trusteeDomainName };
    const user = s.trusteeDomainAdminId
      ? { id: s.trusteeDomainAdminId, password: s.trusteeDomainAdminPassword }
      : { name: s.trusteeDomainAdminName, domain: userDomain, password: s.trusteeDomainAdminPassword };
    const domain = s.trusteeDomainId ? { id: s.trusteeDomainId } : { name: s.trusteeDomainName };
    return { identity: { methods: ['password'], password: { user } }, scope: { domain } };
  }

  /** A call as the domain admin; one fresh token and a second try after a 401 (the cached one was revoked). */
  async #asAdmin(method: string, path: string, opts: { body?: unknown; ok?: number[] } = {}): Promise<Response> {
    try {
      return await this.#call(method, path, { ...opts, token: (await this.adminToken()).token });
    } catch (e) {
      if (!(e instanceof KeystoneError) || e.status !== 401) throw e;
      this.#admin = undefined;
      return this.#call(method, path, { ...opts, token: (await this.adminToken()).token });
    }
  }

  /** The trustee user called `name` in the trustee domain, if there is one. */
  async findUser(name: string): Promise<KeystoneUser | undefined> {
    const domainId = await this.trusteeDomainId();
    const q = new URLSearchParams({ domain_id: domainId, name });
    const res = await this.#asAdmin('GET', `/users?${q}`);
    const users = ((await res.json()) as { users?: KeystoneUser[] }).users ?? [];
    return users.find((u) => u.name === name);
  }

  /** Makes user `name` with `password` in the trustee domain (Magnum's create_trustee). */
  async createUser(name: string, password: string): Promise<KeystoneUser> {
    const domainId = await this.trusteeDomainId();
    const res = await this.#asAdmin('POST', '/users', {
      body: { user: { name, password, domain_id: domainId, enabled: true } },
    });
    return ((await res.json()) as { user: KeystoneUser }).user;
  }

  /** Sets the user's password (a user made by an earlier attempt gets the password stored for it). */
  async setPassword(userId: string, password: string): Promise<void> {
    await this.#asAdmin('PATCH', `/users/${encodeURIComponent(userId)}`, { body: { user: { password } } });
  }

  /** Deletes the user (Keystone deletes its trusts with it); true if it existed. */
  async deleteUser(userId: string): Promise<boolean> {
    const res = await this.#asAdmin('DELETE', `/users/${encodeURIComponent(userId)}`, { ok: [204, 404] });
    return res.status === 204;
  }

  /** Whether project `id` exists (Magnum checks this at quota create, with the trustee domain admin). */
  async projectExists(id: string): Promise<boolean> {
    const res = await this.#asAdmin('GET', `/projects/${encodeURIComponent(id)}`, { ok: [200, 404] });
    return res.status === 200;
  }

  /** An endpoint from the trustee domain admin's catalog (interface and region of `trust.trustee_keystone_*`). */
  async endpoint(type: string): Promise<string | undefined> {
    const s = this.#settings;
    return endpointOf((await this.adminToken()).catalog, type, s.trusteeKeystoneInterface, s.trusteeKeystoneRegionName);
  }

  /** A token for the trustee: unscoped, or scoped to `trustId` (the token the conductor acts for the cluster with). */
  trusteeToken(userId: string, password: string, trustId?: string): Promise<IssuedToken> {
    return this.issue({
      identity: { methods: ['password'], password: { user: { id: userId, password } } },
      ...(trustId ? { scope: { 'OS-TRUST:trust': { id: trustId } } } : {}),
    });
  }

  /** Trusts where the token's user is the trustee. */
  async trustsOfTrustee(token: IssuedToken): Promise<KeystoneTrust[]> {
    const q = new URLSearchParams({ trustee_user_id: token.userId });
    const res = await this.#call('GET', `/OS-TRUST/trusts?${q}`, { token: token.token });
    return ((await res.json()) as { trusts?: KeystoneTrust[] }).trusts ?? [];
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
    return ((await res.json()) as { trust: KeystoneTrust }).trust;
  }

  /** Deletes the trust with `token` (a trust-scoped token impersonating the trustor may); true if it existed. */
  async deleteTrust(token: string, trustId: string): Promise<boolean> {
    const res = await this.#call('DELETE', `/OS-TRUST/trusts/${encodeURIComponent(trustId)}`, {
      token,
      ok: [204, 404],
    });
    return res.status === 204;
  }

  async #call(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; ok?: number[] } = {},
  ): Promise<Response> {
    let res: Response;
    try {
      res = await this.#fetch(`${this.#authUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(opts.token ? { 'x-auth-token': opts.token } : {}),
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      throw new KeystoneError(
        0,
        `Keystone at ${this.#authUrl} did not answer ${method} ${path.split('?')[0]}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    const ok = opts.ok ?? [200, 201, 204];
    if (ok.includes(res.status)) return res;
    const text = await res.text().catch(() => '');
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } };
      if (parsed.error?.message) message = parsed.error.message;
    } catch {
      // not JSON: the text itself
    }
    throw new KeystoneError(res.status, `Keystone ${method} ${path.split('?')[0]}: ${res.status} ${message}`.trim());
  }
}
