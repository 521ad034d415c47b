/** @module Check strings the persona defaults of the resource tables share (see policy-base.ts for the rules). */
import type { TokenScope } from '../core/policy-enforcer.ts';

/** An administrator or a reader of the target's project (Keystone makes member and admin imply reader). */
export const PROJECT_READER = 'rule:context_is_admin or rule:project_reader';
/** An administrator or a member of the target's project. */
export const PROJECT_MEMBER = 'rule:context_is_admin or rule:project_member';
/** Administrators only. */
export const ADMIN_API = 'rule:admin_api';
/** Actions on a project's objects: project-scoped tokens. */
export const PROJECT: readonly TokenScope[] = ['project'];
/** Service-wide actions: project- or system-scoped tokens. */
export const ANY_SCOPE: readonly TokenScope[] = ['system', 'project'];
