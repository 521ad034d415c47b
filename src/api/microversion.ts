/** @module OpenStack-API-Version negotiation for service `container-infra` (1.1 … 1.10; no header means 1.1). */

export const MIN_VERSION = { major: 1, minor: 1 } as const;
export const MAX_VERSION = { major: 1, minor: 10 } as const;
export const SERVICE = 'container-infra';

export interface ApiVersion {
  major: number;
  minor: number;
}

export const versionString = (v: ApiVersion): string => `${v.major}.${v.minor}`;

/** Outcome of parsing the header. */
export type Negotiation =
  | { ok: true; version: ApiVersion }
  | { ok: false; kind: 'malformed'; detail: string }
  /** `requested`: the version as Magnum prints it (components as integers: `1.011` is `1.11`), echoed in the header. */
  | { ok: false; kind: 'unsupported'; requested: string; body: object };

const MALFORMED_SERVICE = 'Invalid service type for OpenStack-API-Version header';
const MALFORMED_VALUE = 'Invalid value for OpenStack-API-Version header';

/**
 * Negotiates the header as Magnum does: the value splits on white space into exactly two tokens (else "Invalid service
 * type"); `latest` (any case) is the maximum whatever the first token; otherwise the first token must be
 * `container-infra` and the second two integers as Python's `int()` reads them (sign, leading zeros, `_` between
 * digits, any Unicode decimal digits). `jsonPreferred` (see prefersJson) decides whether the unsupported-version
 * error carries its `description`, as Pecan's JSON rendering of the error does.
 */
export function negotiate(header: string | undefined, jsonPreferred: boolean): Negotiation {
  if (header === undefined) return { ok: true, version: MIN_VERSION };
  const parts = header.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 2) return { ok: false, kind: 'malformed', detail: MALFORMED_SERVICE };
  const [service, value] = parts as [string, string];
  if (value.toLowerCase() === 'latest') return { ok: true, version: MAX_VERSION };
  if (service !== SERVICE) return { ok: false, kind: 'malformed', detail: MALFORMED_SERVICE };
  const numbers = value.split('.').map(pythonInt);
  if (numbers.length !== 2 || numbers.some((n) => n === undefined))
    return { ok: false, kind: 'malformed', detail: MALFORMED_VALUE };
  const [major, minor] = numbers as [bigint, bigint];
  if (major === BigInt(MAX_VERSION.major) && minor >= BigInt(MIN_VERSION.minor) && minor <= BigInt(MAX_VERSION.minor))
    return { ok: true, version: { major: Number(major), minor: Number(minor) } };
  const requested = `${major}.${minor}`;
  const range = `[${SERVICE} ${versionString(MIN_VERSION)}, ${SERVICE} ${versionString(MAX_VERSION)}]`;
  const description =
    major !== BigInt(MAX_VERSION.major)
      ? `Mutually exclusive versions requested. Version ${requested} requested but not supported by this service.The supported version range is: ${range}.`
      : `Version ${requested} was requested but the minor version is not supported by this service. The supported version range is: ${range}.`;
  const min_version = versionString(MIN_VERSION);
  const max_version = versionString(MAX_VERSION);
  const code = 'magnum.microversion-unsupported';
  const title = 'Requested microversion is unsupported';
  const links = [{ rel: 'help', href: 'http://docs.openstack.org/api-guide/compute/microversions.html' }];
  // Magnum's members, in its order: with Pecan's JSON rendering first (code, title, description), else only its own.
  const error = jsonPreferred
    ? { code, title, description, max_version, min_version, links }
    : { max_version, min_version, code, links, title };
  return { ok: false, kind: 'unsupported', requested, body: { errors: [error] } };
}

/** An integer as Python's `int(str)` reads it, or undefined where it raises ValueError. */
function pythonInt(text: string): bigint | undefined {
  const m = /^([+-]?)(\p{Nd}+(?:_\p{Nd}+)*)$/u.exec(text);
  if (!m) return undefined;
  const digits = [...(m[2] ?? '').replaceAll('_', '')].map(digitValue).join('');
  const n = BigInt(digits);
  return m[1] === '-' ? -n : n;
}

/** The value of a Unicode decimal digit: its place in the run of ten (or more) consecutive digits it belongs to. */
function digitValue(ch: string): number {
  let cp = ch.codePointAt(0) ?? 0;
  let offset = 0;
  while (cp > 0 && /\p{Nd}/u.test(String.fromCodePoint(cp - 1))) {
    cp -= 1;
    offset += 1;
  }
  return offset % 10;
}

/**
 * Whether the `Accept` header makes Pecan render an error as JSON: WebOb's `acceptable_offers` over Pecan's offers
 * (text/plain, text/html, application/json, in that order) ranks application/json first, i.e. strictly above both
 * text types. Each offer takes the q of its most specific matching media range; q=0 refuses it; no header is `*\/*`.
 */
export function prefersJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return false;
  const ranges: { type: string; sub: string; q: number; specificity: number }[] = [];
  for (const item of accept.split(',')) {
    const [range, ...params] = item.split(';').map((s) => s.trim());
    const m = /^([^/\s]+)\/([^/\s]+)$/.exec(range ?? '');
    if (!m) {
      if ((range ?? '') === '') continue;
      return false; // an invalid header: WebOb accepts every offer, so text/plain comes first
    }
    let q = 1;
    let extra = false;
    for (const p of params) {
      const [k, v] = p.split('=').map((s) => s.trim());
      if (k?.toLowerCase() === 'q') q = Number(v);
      else extra = true;
    }
    if (!Number.isFinite(q) || q < 0 || q > 1) return false;
    if (extra) continue; // a range with parameters matches only offers with them: none of Pecan's
    const [type, sub] = [m[1]?.toLowerCase() ?? '', m[2]?.toLowerCase() ?? ''];
    ranges.push({ type, sub, q, specificity: type === '*' ? 0 : sub === '*' ? 1 : 2 });
  }
  const qOf = (offer: string): number => {
    const [type, sub] = offer.split('/') as [string, string];
    let best: { q: number; specificity: number } | undefined;
    for (const r of ranges) {
      const matches = (r.type === '*' && r.sub === '*') || (r.type === type && (r.sub === '*' || r.sub === sub));
      if (matches && (!best || r.specificity > best.specificity)) best = r;
    }
    return best && best.q > 0 ? best.q : -1;
  };
  const json = qOf('application/json');
  return json > 0 && json > qOf('text/plain') && json > qOf('text/html');
}

/** The four headers set on every /v1 response handled normally. */
export function versionHeaders(v: ApiVersion): Record<string, string> {
  return {
    'OpenStack-API-Minimum-Version': `${SERVICE} ${versionString(MIN_VERSION)}`,
    'OpenStack-API-Maximum-Version': `${SERVICE} ${versionString(MAX_VERSION)}`,
    'OpenStack-API-Version': `${SERVICE} ${versionString(v)}`,
    Vary: 'OpenStack-API-Version',
  };
}

export const atLeast = (v: ApiVersion, minor: number): boolean => v.major > 1 || v.minor >= minor;
