/**
 * @module Who is calling. In `noauth` mode the identity comes from the headers keystonemiddleware would set after
 * validating a token: X-User-Id, X-Project-Id (X-Tenant-Id), X-Roles, X-Domain-Id, X-User-Domain-Id, X-System-Scope,
 * X-Is-Admin-Project; in `keystone` mode from the token (keystone-auth.ts). Either way `isAdmin` here is provisional
 * (`admin` among the roles): the app replaces it with the policy rule `context_is_admin` before any handler runs
 * (api/policy.ts).
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
  // keystonemiddleware sets X-System-Scope only to `all`; any other value is no system scope.
  const systemScope = one('x-system-scope')?.toLowerCase() === 'all' ? ('all' as const) : undefined;
  const domainId = one('x-domain-id');
  // A system- or domain-scoped token carries no project: the default project is only for unscoped noauth requests.
  const project = one('x-project-id') ?? one('x-tenant-id') ?? (systemScope || domainId ? '' : d.defaultProject);
  const adminProject = one('x-is-admin-project');
  return {
    userId: one('x-user-id') ?? d.defaultUser,
    projectId: project,
    roles,
    isAdmin: roles.includes('admin'),
    domainId,
    userDomainId: one('x-user-domain-id'),
    systemScope,
    isAdminProject: adminProject === undefined ? undefined : adminProject.toLowerCase() === 'true',
  };
}

/** The caller of the public routes (/, /v1, /healthcheck) in keystone mode: nobody, with no roles. */
export const ANONYMOUS: Caller = Object.freeze({ userId: '', projectId: '', roles: Object.freeze([]), isAdmin: false });
