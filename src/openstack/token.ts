/** @module A Keystone v3 token as this service uses it: who, in what scope, with which roles, until when. */
import type { Catalog } from './catalog.ts';

export interface TokenInfo {
  userId: string;
  userName: string;
  userDomainId: string;
  /** Project scope (absent for domain, system and unscoped tokens). */
  project?: { id: string; name: string; domainId: string };
  /** Domain scope. */
  domainId?: string;
  /** System scope (`"system": {"all": true}`). */
  system?: 'all';
  /** Keystone's is_admin_project (sent only for a project token when an admin project is configured). */
  isAdminProject?: boolean;
  roles: string[];
  /** Epoch milliseconds. */
  expiresAt: number;
  issuedAt: number;
  /** Audit id of the token (first of audit_ids). */
  auditId: string;
  /** The trust the token was issued under, if any. */
  trustId?: string;
  applicationCredentialId?: string;
  /** The service catalog (absent when asked for without it). */
  catalog?: Catalog;
}

/** A token that does not read as Keystone v3 token data. */
export class TokenFormatError extends Error {}

const obj = (v: unknown, what: string): Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new TokenFormatError(`token data: ${what} is not an object`);
  return v as Record<string, unknown>;
};
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new TokenFormatError(`token data: ${what} is not a string`);
  return v;
};
const time = (v: unknown, what: string): number => {
  const t = Date.parse(str(v, what));
  if (Number.isNaN(t)) throw new TokenFormatError(`token data: ${what} is not a time`);
  return t;
};

/** Reads the body of POST or GET /v3/auth/tokens (`{"token": {…}}`). */
export function parseToken(body: unknown): TokenInfo {
  const t = obj(obj(body, 'body').token, 'token');
  const user = obj(t.user, 'token.user');
  const info: TokenInfo = {
    userId: str(user.id, 'token.user.id'),
    userName: typeof user.name === 'string' ? user.name : '',
    userDomainId: typeof user.domain === 'object' && user.domain ? String((user.domain as { id?: unknown }).id) : '',
    roles: Array.isArray(t.roles) ? t.roles.map((r, i) => str(obj(r, `token.roles[${i}]`).name, 'role name')) : [],
    expiresAt: time(t.expires_at, 'token.expires_at'),
    issuedAt: t.issued_at === undefined ? Date.now() : time(t.issued_at, 'token.issued_at'),
    auditId: Array.isArray(t.audit_ids) && typeof t.audit_ids[0] === 'string' ? t.audit_ids[0] : '',
  };
  if (t.project) {
    const p = obj(t.project, 'token.project');
    const d = p.domain ? obj(p.domain, 'token.project.domain') : {};
    info.project = {
      id: str(p.id, 'token.project.id'),
      name: typeof p.name === 'string' ? p.name : '',
      domainId: typeof d.id === 'string' ? d.id : '',
    };
  }
  if (t.domain) info.domainId = str(obj(t.domain, 'token.domain').id, 'token.domain.id');
  if (t.system && obj(t.system, 'token.system').all === true) info.system = 'all';
  if (typeof t.is_admin_project === 'boolean') info.isAdminProject = t.is_admin_project;
  const trust = t['OS-TRUST:trust'];
  if (trust) info.trustId = str(obj(trust, 'token.OS-TRUST:trust').id, 'trust id');
  if (t.application_credential)
    info.applicationCredentialId = str(obj(t.application_credential, 'application_credential').id, 'app cred id');
  if (Array.isArray(t.catalog)) info.catalog = t.catalog as Catalog;
  return info;
}
