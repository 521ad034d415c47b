/** @module self/bookmark links and ISO timestamps as Magnum renders them. */
import type { FastifyRequest } from 'fastify';

/**
 * scheme://host[:port] of the request. X-Forwarded-Proto/Host are honoured only from a trusted proxy
 * (`api.trusted_proxies`, decided per request in app.ts); from anyone else they are ignored.
 */
export function hostUrl(req: FastifyRequest): string {
  const forwarded = (name: string): string | undefined => {
    if (!req.fromTrustedProxy) return undefined;
    const v = req.headers[name];
    const first = (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
    return first ? first : undefined;
  };
  const proto = forwarded('x-forwarded-proto') ?? req.protocol;
  const host = forwarded('x-forwarded-host') ?? req.headers.host ?? 'localhost';
  return `${proto}://${host}`;
}

export interface Link {
  href: string;
  rel: string;
}

export function selfLinks(base: string, path: string): Link[] {
  return [
    { href: `${base}/v1/${path}`, rel: 'self' },
    { href: `${base}/${path}`, rel: 'bookmark' },
  ];
}

/** `2026-11-22T00:40:12.123Z` → `2026-11-22T00:40:12.123000+00:00` (Python isoformat with explicit offset). */
export function isoTime(t: string | null): string | null {
  if (t === null) return null;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(t);
  if (!m) return t;
  return m[2] ? `${m[1]}.${m[2].padEnd(6, '0').slice(0, 6)}+00:00` : `${m[1]}+00:00`;
}
