/**
 * @module HTTP for the OpenStack clients: JSON requests with a timeout, and errors that name the call (`keystone POST
 * /v3/auth/tokens`), the status and the service's own message.
 */

/** A call failed: no answer (network, timeout) or an answer with an unexpected status. */
export class OpenStackError extends Error {
  /** HTTP status of the answer; undefined when there was none (connection refused, timeout). */
  readonly status: number | undefined;
  /** `service METHOD path`, e.g. `keystone GET /v3/auth/tokens`. */
  readonly call: string;
  /** Why there was no answer: `timeout`, or the system's code (ECONNREFUSED, ECONNRESET, …); undefined with one. */
  readonly noAnswer: string | undefined;
  constructor(call: string, message: string, status?: number, cause?: unknown, noAnswer?: string) {
    super(`${call}: ${message}`, { cause });
    this.name = 'OpenStackError';
    this.call = call;
    this.status = status;
    this.noAnswer = noAnswer;
  }
}

/** One request. `expect` lists the statuses that are answers (others throw); default: any 2xx. */
export interface OsRequest {
  /** Name of the service in error messages: keystone, glance, … */
  service: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  timeoutMs: number;
  expect?: readonly number[];
  signal?: AbortSignal | undefined;
}

/** An answer: status, headers (lower-case names) and the parsed JSON body (null when empty or not JSON). */
export interface OsResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** The path of a URL (for messages: the host is in the configuration, the query may hold nothing useful). */
const pathOf = (url: string): string => {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
};

/** Performs the request; throws {@link OpenStackError} for no answer, a timeout, or a status outside `expect`. */
export async function osRequest(r: OsRequest): Promise<OsResponse> {
  const call = `${r.service} ${r.method} ${pathOf(r.url)}`;
  const timeout = AbortSignal.timeout(r.timeoutMs);
  const signal = r.signal ? AbortSignal.any([r.signal, timeout]) : timeout;
  const headers: Record<string, string> = { accept: 'application/json', ...r.headers };
  if (r.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  let text: string;
  try {
    res = await fetch(r.url, {
      method: r.method,
      headers,
      body: r.body === undefined ? null : JSON.stringify(r.body),
      signal,
    });
    text = await res.text();
  } catch (e) {
    if (timeout.aborted) {
      throw new OpenStackError(call, `no answer within ${r.timeoutMs} ms`, undefined, e, 'timeout');
    }
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new OpenStackError(call, `cannot reach ${new URL(r.url).origin} (${why})`, undefined, e, cause?.code ?? why);
  }
  let body: unknown = null;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  const ok = r.expect ? r.expect.includes(res.status) : res.status >= 200 && res.status < 300;
  if (!ok) throw new OpenStackError(call, `${res.status} ${messageOf(body, text)}`, res.status);
  return { status: res.status, headers: res.headers, body };
}

/** The message an OpenStack service put in its error body (`{"error": {"message"}}`, `{"itemNotFound": …}`, …). */
export function messageOf(body: unknown, text = ''): string {
  if (body && typeof body === 'object') {
    for (const v of Object.values(body as Record<string, unknown>)) {
      if (v && typeof v === 'object') {
        const m = (v as Record<string, unknown>).message;
        if (typeof m === 'string') return m;
      }
    }
    const m = (body as Record<string, unknown>).message;
    if (typeof m === 'string') return m;
  }
  const plain = text
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > 300 ? `${plain.slice(0, 300)}…` : plain;
}
