/**
 * @module Who is calling. In `noauth` mode the identity comes from X-User-Id / X-Project-Id / X-Roles headers; in
 * `keystone` mode from the token (keystone-auth.ts).
 */
import type { Caller } from '../core/types.ts';

export interface NoauthDefaults {
  defaultProject: string;
  defaultUser: string;
  defaultRoles: readonly string[];
}

export function callerFromHeaders(headers: Record<string, string | string[] | undefined>, d: NoauthDefaults): Caller {
  const one = (name: string): string | undefined => {
    const v = headers[name];
    const s = Array.isArray(v) ? v[0] : v;
    return s && s.trim() !== '' ? s.trim() : undefined;
  };
  // A present X-Roles is the role list, even when it names none (an empty list means no roles); only an absent header
  // takes the default roles.
  const rolesRaw = headers['x-roles'];
  const rolesHeader = Array.isArray(rolesRaw) ? rolesRaw.join(',') : rolesRaw;
  const roles =
    rolesHeader !== undefined
      ? rolesHeader
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean)
      : [...d.defaultRoles];
  return {
    userId: one('x-user-id') ?? d.defaultUser,
    projectId: one('x-project-id') ?? one('x-tenant-id') ?? d.defaultProject,
    roles,
    isAdmin: roles.includes('admin'),
  };
}

/** The caller of the public routes (/, /v1, /healthcheck) in keystone mode: nobody, with no roles. */
export const ANONYMOUS: Caller = Object.freeze({ userId: '', projectId: '', roles: Object.freeze([]), isAdmin: false });
