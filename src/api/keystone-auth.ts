/**
 * @module `auth.mode: keystone`: the caller of a request from its Keystone token, as keystonemiddleware's auth_token
 * does it. X-Auth-Token is validated (GET /v3/auth/tokens) with the service's own token; an X-Service-Token is
 * validated too, and one holding a service role lets an expired X-Auth-Token through (a service acting later for a
 * user). Answers — valid and refused alike — are kept for `keystone.token_cache_seconds` at most and never past the
 * token's expiry, so a revoked token is refused within that bound; concurrent requests with one new token share one
 * validation. Identity headers a client sends (X-User-Id, X-Roles, …) are ignored.
 */
import type { KeystoneConfig } from '../config/load.ts';
import type { Caller } from '../core/types.ts';
import { serviceSession } from '../openstack/service-session.ts';
import type { KeystoneSession } from '../openstack/session.ts';
import type { TokenInfo } from '../openstack/token.ts';
import { validateToken } from '../openstack/tokens.ts';

/** A request the authenticator turns away: status, body and headers as keystonemiddleware sends them. */
export class AuthRejection extends Error {
  readonly status: 401 | 503;
  readonly body: { error: { code: number; title: string; message: string } };
  readonly headers: Record<string, string>;
  constructor(status: 401 | 503, message: string, headers: Record<string, string> = {}, cause?: unknown) {
    super(message, { cause });
    this.status = status;
    this.body = { error: { code: status, title: status === 401 ? 'Unauthorized' : 'Service Unavailable', message } };
    this.headers = headers;
  }
}

type Headers = Record<string, string | string[] | undefined>;

/** Who is calling: a Caller, or (asynchronously) one; throws {@link AuthRejection}. */
export interface Authenticator {
  identify(headers: Headers): Caller | Promise<Caller>;
  close?(): void;
}

interface Entry {
  /** null: Keystone refused the token. */
  info: TokenInfo | null;
  /** Believed until (epoch ms). */
  until: number;
  /** The Caller built on first use (frozen; the same object for every request with the token). */
  caller?: Caller;
}

const one = (h: Headers, name: string): string | undefined => {
  const v = h[name];
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s ? s : undefined;
};

/** The Caller a validated token stands for. */
export function callerFromToken(t: TokenInfo, token: string): Caller {
  const c: Caller = {
    userId: t.userId,
    projectId: t.project?.id ?? '',
    roles: t.roles,
    isAdmin: t.roles.includes('admin'),
    userDomainId: t.userDomainId,
    userName: t.userName,
    authToken: token,
  };
  if (t.project) {
    c.projectDomainId = t.project.domainId;
    c.projectName = t.project.name;
  }
  if (t.domainId !== undefined) c.domainId = t.domainId;
  if (t.system) c.systemScope = t.system;
  // Absent: true, as keystonemiddleware's X-Is-Admin-Project and oslo.context assume.
  if (t.isAdminProject !== undefined) c.isAdminProject = t.isAdminProject;
  return c;
}

export interface KeystoneAuthOptions {
  config: KeystoneConfig;
  /** The service's own session (built from the config when absent). */
  session?: KeystoneSession;
  now?: () => number;
}

export class KeystoneAuthenticator implements Authenticator {
  readonly session: KeystoneSession;
  readonly #c: KeystoneConfig;
  readonly #now: () => number;
  readonly #cache = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<Entry>>();
  readonly #unauthorized: Record<string, string>;
  /** Cold validations (Keystone asked) and cache hits, for the bench and the tests. */
  readonly stats = { validations: 0, hits: 0 };

  constructor(o: KeystoneAuthOptions) {
    this.#c = o.config;
    this.#now = o.now ?? Date.now;
    this.session = o.session ?? serviceSession(o.config);
    this.#unauthorized = { 'WWW-Authenticate': `Keystone uri="${o.config.wwwAuthenticateUri ?? o.config.authUrl}"` };
  }

  identify(headers: Headers): Caller | Promise<Caller> {
    const userToken = one(headers, 'x-auth-token') ?? one(headers, 'x-storage-token');
    const serviceToken = one(headers, 'x-service-token');
    if (userToken === undefined) throw this.#reject();
    if (serviceToken === undefined) {
      // The common case answers synchronously from the cache.
      const hit = this.#cached(userToken, false);
      if (hit) return this.#caller(hit, userToken, false);
      return this.#lookup(userToken, false).then((e) => this.#caller(e, userToken, false));
    }
    return this.#withService(userToken, serviceToken);
  }

  async #withService(userToken: string, serviceToken: string): Promise<Caller> {
    const s = this.#cached(serviceToken, false) ?? (await this.#lookup(serviceToken, false));
    const valid = s.info !== null && s.info.expiresAt > this.#now();
    const roleOk = valid && s.info!.roles.some((r) => this.#c.serviceTokenRoles.includes(r));
    // An invalid service token fails the request (X-Service-Identity-Status: Invalid).
    if (!valid || (this.#c.serviceTokenRolesRequired && !roleOk)) throw this.#reject();
    const u = this.#cached(userToken, roleOk) ?? (await this.#lookup(userToken, roleOk));
    return this.#caller(u, userToken, roleOk);
  }

  #caller(e: Entry, token: string, allowExpired: boolean): Caller {
    const info = e.info;
    if (info === null || (!allowExpired && info.expiresAt <= this.#now())) throw this.#reject();
    return (e.caller ??= Object.freeze(callerFromToken(info, token)));
  }

  #reject(): AuthRejection {
    return new AuthRejection(401, 'The request you have made requires authentication.', this.#unauthorized);
  }

  #key = (token: string, allowExpired: boolean): string => (allowExpired ? `x ${token}` : token);

  #cached(token: string, allowExpired: boolean): Entry | undefined {
    const e = this.#cache.get(this.#key(token, allowExpired));
    if (e === undefined) return undefined;
    if (e.until <= this.#now()) {
      this.#cache.delete(this.#key(token, allowExpired));
      return undefined;
    }
    this.stats.hits++;
    return e;
  }

  #lookup(token: string, allowExpired: boolean): Promise<Entry> {
    const key = this.#key(token, allowExpired);
    let p = this.#pending.get(key);
    if (p === undefined) {
      p = this.#validate(token, allowExpired).finally(() => this.#pending.delete(key));
      this.#pending.set(key, p);
    }
    return p;
  }

  async #validate(token: string, allowExpired: boolean): Promise<Entry> {
    this.stats.validations++;
    let info: TokenInfo | null;
    try {
      info = await validateToken(this.session, token, { timeoutMs: this.#c.timeoutMs, allowExpired });
    } catch (e) {
      // Keystone unreachable, slow, or refusing the service's own credentials: nothing is cached.
      throw new AuthRejection(503, 'The Keystone service is temporarily unavailable.', {}, e);
    }
    const now = this.#now();
    let until = now + this.#c.tokenCacheMs;
    if (info !== null && !allowExpired) until = Math.min(until, info.expiresAt);
    const entry = { info, until };
    if (until > now) {
      const key = this.#key(token, allowExpired);
      this.#cache.delete(key);
      this.#cache.set(key, entry);
      // Bounded: the oldest entries go first.
      while (this.#cache.size > this.#c.tokenCacheSize) {
        const oldest = this.#cache.keys().next().value;
        if (oldest === undefined) break;
        this.#cache.delete(oldest);
      }
    }
    return entry;
  }

  /** Tokens held in the cache now. */
  get cached(): number {
    return this.#cache.size;
  }
}
