/**
 * @module Keystone v3 authentication: a password or an application credential → a token, its scope and the service
 * catalog. A {@link KeystoneSession} keeps one token and renews it before it expires (the service's own token).
 */
import { endpointFor, type EndpointFilter } from './catalog.ts';
import { osRequest } from './http.ts';
import { parseToken, type TokenInfo } from './token.ts';

/** A user's password, scoped to a project (by id, or by name + domain), a domain, the system, or unscoped. */
export interface PasswordCredentials {
  kind: 'password';
  /** User by id, or by name with its domain (name or id). */
  userId?: string;
  username?: string;
  userDomainName?: string;
  userDomainId?: string;
  password: string;
  scope?: Scope;
}

/** An application credential (id, or name + user); its scope is fixed by Keystone. */
export interface ApplicationCredentials {
  kind: 'application_credential';
  id?: string;
  name?: string;
  /** Owner of a credential named by name: user id, or name + domain name. */
  userId?: string;
  username?: string;
  userDomainName?: string;
  secret: string;
}

/** A token rescoped (method `token`), e.g. to a trust. */
export interface TokenCredentials {
  kind: 'token';
  token: string;
  scope?: Scope;
}

export type Credentials = PasswordCredentials | ApplicationCredentials | TokenCredentials;

export type Scope =
  | { project: { id: string } | { name: string; domainName?: string; domainId?: string } }
  | { domain: { id: string } | { name: string } }
  | { system: 'all' }
  | { trustId: string };

/** A token and what Keystone said about it. */
export interface AuthToken {
  /** The X-Subject-Token. */
  token: string;
  info: TokenInfo;
}

const userRef = (c: {
  userId?: string | undefined;
  username?: string | undefined;
  userDomainName?: string | undefined;
  userDomainId?: string | undefined;
}): Record<string, unknown> => {
  if (c.userId) return { id: c.userId };
  if (!c.username) throw new Error('keystone credentials: a user id or a user name is needed');
  const domain = c.userDomainId ? { id: c.userDomainId } : { name: c.userDomainName ?? 'Default' };
  return { name: c.username, domain };
};

function scopeBody(s: Scope): Record<string, unknown> {
  if ('trustId' in s) return { 'OS-TRUST:trust': { id: s.trustId } };
  if ('system' in s) return { system: { all: true } };
  if ('domain' in s) return { domain: s.domain };
  const p = s.project;
  if ('id' in p) return { project: { id: p.id } };
  return { project: { name: p.name, domain: p.domainId ? { id: p.domainId } : { name: p.domainName ?? 'Default' } } };
}

/** The body of POST /v3/auth/tokens for these credentials. */
export function authBody(c: Credentials): unknown {
  let identity: Record<string, unknown>;
  let scope: Scope | undefined;
  if (c.kind === 'password') {
    identity = { methods: ['password'], password: { user: { ...userRef(c), password: c.password } } };
    scope = c.scope;
  } else if (c.kind === 'token') {
    identity = { methods: ['token'], token: { id: c.token } };
    scope = c.scope;
  } else {
    const ac: Record<string, unknown> = { secret: c.secret };
    if (c.id) ac.id = c.id;
    else if (c.name) Object.assign(ac, { name: c.name, user: userRef(c) });
    else throw new Error('keystone credentials: an application credential id or name is needed');
    identity = { methods: ['application_credential'], application_credential: ac };
  }
  return { auth: scope ? { identity, scope: scopeBody(scope) } : { identity } };
}

/** POST /v3/auth/tokens: a new token with its catalog. `authUrl` is the identity v3 URL (…/v3). */
export async function authenticate(
  authUrl: string,
  credentials: Credentials,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<AuthToken> {
  const res = await osRequest({
    service: 'keystone',
    method: 'POST',
    url: `${trimSlash(authUrl)}/auth/tokens`,
    body: authBody(credentials),
    timeoutMs: opts.timeoutMs,
    expect: [201],
    signal: opts.signal,
  });
  const token = res.headers.get('x-subject-token');
  if (!token) throw new Error('keystone POST /v3/auth/tokens: no X-Subject-Token in the answer');
  return { token, info: parseToken(res.body) };
}

export const trimSlash = (u: string): string => u.replace(/\/+$/, '');

/** Options of a {@link KeystoneSession}. */
export interface SessionOptions {
  authUrl: string;
  credentials: Credentials;
  timeoutMs: number;
  /** Renew the token when less than this is left. @default 120000 */
  renewBeforeMs?: number;
  /** Where endpoints are looked up in the catalog. */
  endpoints: EndpointFilter;
  now?: () => number;
}

/**
 * One identity's token, obtained on first use and renewed before it expires; concurrent callers share one
 * authentication. `invalidate()` drops it (after a 401 from a service: revoked).
 */
export class KeystoneSession {
  readonly authUrl: string;
  readonly endpoints: EndpointFilter;
  readonly #o: SessionOptions;
  #current: AuthToken | undefined;
  #pending: Promise<AuthToken> | undefined;

  constructor(o: SessionOptions) {
    this.#o = o;
    this.authUrl = trimSlash(o.authUrl);
    this.endpoints = o.endpoints;
  }

  /** The current token, authenticating when there is none or it is about to expire. */
  async auth(signal?: AbortSignal): Promise<AuthToken> {
    const now = (this.#o.now ?? Date.now)();
    const cur = this.#current;
    if (cur && cur.info.expiresAt - now > (this.#o.renewBeforeMs ?? 120_000)) return cur;
    this.#pending ??= authenticate(this.authUrl, this.#o.credentials, {
      timeoutMs: this.#o.timeoutMs,
      ...(signal ? { signal } : {}),
    }).finally(() => (this.#pending = undefined));
    this.#current = await this.#pending;
    return this.#current;
  }

  async token(signal?: AbortSignal): Promise<string> {
    return (await this.auth(signal)).token;
  }

  /** The endpoint of a service type from this session's catalog (region and interface of the session). */
  async endpoint(serviceType: string, signal?: AbortSignal): Promise<string> {
    const a = await this.auth(signal);
    return endpointFor(a.info.catalog ?? [], serviceType, this.endpoints);
  }

  /** Forgets the token: the next call authenticates again. */
  invalidate(token?: string): void {
    if (token === undefined || this.#current?.token === token) this.#current = undefined;
  }
}
