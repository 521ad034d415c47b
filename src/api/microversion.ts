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
  | { ok: false; kind: 'unsupported'; body: object };

export function negotiate(header: string | undefined, acceptsJson = true): Negotiation {
  if (header === undefined) return { ok: true, version: MIN_VERSION };
  const parts = header.trim().split(/\s+/);
  if (parts.length !== 2)
    return { ok: false, kind: 'malformed', detail: 'Invalid value for OpenStack-API-Version header' };
  const [service, value] = parts as [string, string];
  if (value.toLowerCase() === 'latest') return { ok: true, version: MAX_VERSION };
  if (service !== SERVICE)
    return { ok: false, kind: 'malformed', detail: 'Invalid service type for OpenStack-API-Version header' };
  const m = /^(\d+)\.(\d+)$/.exec(value);
  if (!m) return { ok: false, kind: 'malformed', detail: 'Invalid value for OpenStack-API-Version header' };
  const version = { major: Number(m[1]), minor: Number(m[2]) };
  if (version.major === MAX_VERSION.major && version.minor >= MIN_VERSION.minor && version.minor <= MAX_VERSION.minor) {
    return { ok: true, version };
  }
  const range = `[${SERVICE} ${versionString(MIN_VERSION)}, ${SERVICE} ${versionString(MAX_VERSION)}]`;
  const description =
    version.major !== MAX_VERSION.major
      ? `Mutually exclusive versions requested. Version ${value} requested but not supported by this service.The supported version range is: ${range}.`
      : `Version ${value} was requested but the minor version is not supported by this service. The supported version range is: ${range}.`;
  const error: Record<string, unknown> = {
    code: 'magnum.microversion-unsupported',
    title: 'Requested microversion is unsupported',
    ...(acceptsJson ? { description } : {}),
    min_version: versionString(MIN_VERSION),
    max_version: versionString(MAX_VERSION),
    links: [{ rel: 'help', href: 'http://docs.openstack.org/api-guide/compute/microversions.html' }],
  };
  return { ok: false, kind: 'unsupported', body: { errors: [error] } };
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
