/**
 * @module One OpenStack service as its clients use it (Nova, Neutron, Cinder, Octavia): the endpoint from the
 * session's catalog, the session's token, a microversion header, retries with bounded backoff on 409, 5xx and no
 * answer, one new token after a 401, and pagination by `<key>_links` (rel `next`). Errors are {@link OpenStackError}s
 * naming the call (`nova POST /v2.1/servers`), the status and the cloud's message.
 */
import { withProject } from './catalog.ts';
import { OpenStackError, osRequest, type OsResponse } from './http.ts';

/** What a service client needs of a Keystone session (a {@link import('./session.ts').KeystoneSession} has it). */
export interface TokenSource {
  auth(signal?: AbortSignal): Promise<{ token: string; info: { project?: { id: string } | undefined } }>;
  endpoint(serviceType: string, signal?: AbortSignal): Promise<string>;
  invalidate(token?: string): void;
}

/** How often and how long to try again. */
export interface RetryPolicy {
  /** Attempts in all (1 = no retry). @default 5 */
  attempts: number;
  /** First pause; doubled each time up to maxDelayMs. @default 500 */
  baseDelayMs: number;
  /** @default 4000 */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 4000 };

export interface ServiceClientOptions {
  /** Name in error messages: nova, neutron, cinder, octavia. */
  service: string;
  /** Catalog type: compute, network, volumev3, load-balancer. */
  serviceType: string;
  /** Appended to the catalog URL when it lacks it (`/v2.0` for Neutron, `/v2` for Octavia). */
  versionPath?: string;
  /** Sent as `OpenStack-API-Version: <header>` (e.g. `compute 2.79`) and the legacy header when given. */
  microversion?: { header: string; legacyHeader?: string; value: string };
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** A fixed base URL instead of the catalog's (tests). */
  baseUrl?: string;
  sleep?: (ms: number) => Promise<void>;
}

/** A request of a service client; `expect` as in osRequest (default any 2xx). */
export interface CallOptions {
  body?: unknown;
  expect?: readonly number[];
  /** Whether a 409 is worth retrying (a conflict with a transition in progress); default true. */
  retryConflict?: boolean;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const RETRY_STATUS = new Set([500, 502, 503, 504]);
const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether a failed attempt may be repeated. A POST whose request may have arrived (reset, timeout) is not. */
export function retryable(e: unknown, method: Method, retryConflict: boolean): boolean {
  if (!(e instanceof OpenStackError)) return false;
  if (e.status === undefined) {
    if (method !== 'POST') return true;
    return e.noAnswer === 'ECONNREFUSED';
  }
  if (e.status === 409) return retryConflict;
  return RETRY_STATUS.has(e.status);
}

export class ServiceClient {
  readonly service: string;
  readonly #session: TokenSource;
  readonly #o: ServiceClientOptions;
  readonly #retry: RetryPolicy;

  constructor(session: TokenSource, o: ServiceClientOptions) {
    this.#session = session;
    this.#o = o;
    this.service = o.service;
    this.#retry = { ...DEFAULT_RETRY, ...o.retry };
  }

  /** The service's base URL (catalog URL with the project filled in and the version path). */
  async baseUrl(signal?: AbortSignal): Promise<string> {
    let url = this.#o.baseUrl ?? (await this.#session.endpoint(this.#o.serviceType, signal));
    if (url.includes('%(')) {
      const project = (await this.#session.auth(signal)).info.project?.id;
      if (!project) throw new Error(`${this.service}: the endpoint ${url} needs a project-scoped token`);
      url = withProject(url, project);
    }
    url = url.replace(/\/+$/, '');
    const v = this.#o.versionPath;
    return v && !url.endsWith(v) ? `${url}${v}` : url;
  }

  /** One call, with retries; `path` is relative to the base URL (or an absolute URL of the same service). */
  async request(method: Method, path: string, opts: CallOptions = {}): Promise<OsResponse> {
    const { attempts, baseDelayMs, maxDelayMs } = this.#retry;
    const sleep = this.#o.sleep ?? sleepMs;
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      const { token } = await this.#session.auth(opts.signal);
      const url = /^https?:\/\//.test(path) ? path : `${await this.baseUrl(opts.signal)}${path}`;
      const headers: Record<string, string> = { 'x-auth-token': token, ...opts.headers };
      const mv = this.#o.microversion;
      if (mv) {
        headers['openstack-api-version'] = `${mv.header} ${mv.value}`;
        if (mv.legacyHeader) headers[mv.legacyHeader] = mv.value;
      }
      try {
        return await osRequest({
          service: this.service,
          method,
          url,
          headers,
          body: opts.body,
          timeoutMs: this.#o.timeoutMs ?? 60_000,
          ...(opts.expect ? { expect: opts.expect } : {}),
          signal: opts.signal,
        });
      } catch (e) {
        if (e instanceof OpenStackError && e.status === 401 && !reauthenticated) {
          this.#session.invalidate(token); // revoked or expired early: one new token, at once
          reauthenticated = true;
          attempt--;
          continue;
        }
        if (attempt >= attempts || !retryable(e, method, opts.retryConflict ?? true)) throw e;
        if (opts.signal?.aborted) throw e;
        await sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  async get<T>(path: string, opts: CallOptions = {}): Promise<T> {
    return (await this.request('GET', path, opts)).body as T;
  }
  async post<T>(path: string, body: unknown, opts: CallOptions = {}): Promise<T> {
    return (await this.request('POST', path, { ...opts, body })).body as T;
  }
  async put<T>(path: string, body: unknown, opts: CallOptions = {}): Promise<T> {
    return (await this.request('PUT', path, { ...opts, body })).body as T;
  }
  /** DELETE; a 404 counts as done (already gone) unless `expect` says otherwise. */
  async delete(path: string, opts: CallOptions = {}): Promise<boolean> {
    const res = await this.request('DELETE', path, { expect: [200, 202, 204, 404], ...opts });
    return res.status !== 404;
  }

  /**
   * Every item of a list, following `<key>_links` rel `next` (Nova, Neutron, Cinder, Octavia). `pageSize` sets
   * `limit` on the first request; at most `maxPages` pages are read (a link that loops would go on for ever).
   */
  async list<T>(
    path: string,
    key: string,
    opts: { pageSize?: number; maxPages?: number; signal?: AbortSignal } = {},
  ): Promise<T[]> {
    const items: T[] = [];
    let next: string | null = path;
    if (opts.pageSize) next += `${path.includes('?') ? '&' : '?'}limit=${opts.pageSize}`;
    const seen = new Set<string>();
    for (let page = 0; next !== null; page++) {
      if (page >= (opts.maxPages ?? 1000) || seen.has(next)) {
        throw new Error(`${this.service} GET ${path}: pagination did not end after ${page} pages`);
      }
      seen.add(next);
      const body: Record<string, unknown> = await this.get<Record<string, unknown>>(
        next,
        opts.signal ? { signal: opts.signal } : {},
      );
      const got: unknown = body?.[key];
      if (!Array.isArray(got)) throw new Error(`${this.service} GET ${path}: the answer has no "${key}" list`);
      items.push(...(got as T[]));
      next = got.length === 0 ? null : nextLink(body[`${key}_links`]);
    }
    return items;
  }
}

/** The href of the `next` link of a `<key>_links` array, or null. */
export function nextLink(links: unknown): string | null {
  if (!Array.isArray(links)) return null;
  for (const l of links as { rel?: unknown; href?: unknown }[]) {
    if (l?.rel === 'next' && typeof l.href === 'string') return l.href;
  }
  return null;
}

/** `?a=1&b=2` from the defined entries (arrays repeat the key), or ''. */
export function query(params: Record<string, string | number | boolean | readonly string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, x);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
