/**
 * @module Policy as data: every rule is a check string in oslo.policy's language (core/policy-language.ts), with
 * Magnum's defaults registered from the per-resource tables (`<resource>/policy.ts`, gathered in policy-table.ts) and
 * the operator's override file on top (core/policy-enforcer.ts). Handlers call {@link authorize}.
 */
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/load.ts';
import { readPolicyFile } from '../config/policy-file.ts';
import { StartupError } from '../config/startup-error.ts';
import { forbidden } from '../core/errors.ts';
import {
  PolicyConfigError,
  PolicyEnforcer,
  type PolicyCredentials,
  type PolicyDefault,
  type TokenScope,
} from '../core/policy-enforcer.ts';
import type { Caller } from '../core/types.ts';

/** What a rule is checked against: the object acted on (its fields), or the caller's own project and user. */
export type PolicyTarget = object;

/**
 * One policy rule. `check` is its default; where Magnum 15's default differs (Magnetar's project reader / member
 * personas), `deprecated` holds Magnum 15's and the two are OR'd unless `policy.enforce_new_defaults` is set.
 * `route` (`METHOD /url` as registered) names the route the entry guards; every route has exactly one such entry.
 * Entries without a route are base rules (`admin_api`, …) or extra checks some handlers make (publishing a
 * template, admins reaching all projects).
 */
export interface PolicyEntry {
  action: string;
  check: string;
  deprecated?: string;
  /** Token scopes the action is for (enforced only with `policy.enforce_scope`). */
  scope?: readonly TokenScope[];
  route?: string;
  description?: string;
}

export interface PolicyOptions {
  /**
   * Domain of the per-cluster trustee users (the `deny_cluster_user` rule); absent: no caller is a trustee. A function
   * is asked at each check (Keystone trusts learn the domain's id at start, or later when Keystone was down then).
   */
  trusteeDomainId?: string | (() => string | undefined) | undefined;
}

/** The enforcer of one API process, with the translation of callers and targets into oslo.policy's terms. */
export class ApiPolicy {
  readonly enforcer: PolicyEnforcer;
  private readonly opts: PolicyOptions;

  constructor(enforcer: PolicyEnforcer, opts: PolicyOptions = {}) {
    this.enforcer = enforcer;
    this.opts = opts;
  }

  /** The caller's credentials as Magnum's request context hands them to oslo.policy. */
  credentials(caller: Caller): PolicyCredentials {
    const creds = {
      user_id: caller.userId === '' ? null : caller.userId,
      project_id: caller.projectId === '' ? null : caller.projectId,
      roles: caller.roles,
      is_admin: caller.isAdmin,
      // Magnum's context puts the user's domain (X-User-Domain-Id) under domain_id: the trustee-domain rule reads it.
      domain_id: caller.userDomainId ?? null,
      user_domain_id: caller.userDomainId ?? null,
      system_scope: caller.systemScope ?? null,
      system: caller.systemScope ?? null,
      is_admin_project: caller.isAdminProject ?? true,
    };
    const scope: TokenScope = caller.systemScope ? 'system' : caller.domainId ? 'domain' : 'project';
    return { creds, scope };
  }

  /** Magnum's target: the object's fields (or the caller's project and user) plus the trustee domain. */
  target(caller: Caller, target?: PolicyTarget): Record<string, unknown> {
    const t: Record<string, unknown> = target
      ? { ...(target as Record<string, unknown>) }
      : {
          project_id: caller.projectId === '' ? null : caller.projectId,
          user_id: caller.userId === '' ? null : caller.userId,
        };
    const trustee = this.opts.trusteeDomainId;
    const trusteeDomainId = typeof trustee === 'function' ? trustee() : trustee;
    if (trusteeDomainId !== undefined) t.trustee_domain_id = trusteeDomainId;
    return t;
  }

  /** Whether `action` allows the caller on the target. Throws for an action no table registers (a programming error). */
  allows(action: string, caller: Caller, target?: PolicyTarget): boolean {
    if (!this.enforcer.has(action)) throw new Error(`no policy entry for ${action}`);
    return this.enforcer.check(action, this.credentials(caller), this.target(caller, target));
  }

  /** Checks `action`; 403 PolicyNotAuthorized when denied. */
  authorize(action: string, caller: Caller, target?: PolicyTarget): void {
    if (!this.allows(action, caller, target))
      throw forbidden('PolicyNotAuthorized', `Policy doesn't allow ${action} to be performed.`);
  }

  /** `context_is_admin` for the caller (as Magnum's context computes is_admin: with no target, is_admin unknown). */
  isAdmin(caller: Caller): boolean {
    const { creds, scope } = this.credentials(caller);
    return this.enforcer.check('context_is_admin', { creds: { ...creds, is_admin: null }, scope }, {});
  }
}

/** Registered defaults from the policy tables. */
export function policyDefaults(entries: readonly PolicyEntry[]): PolicyDefault[] {
  return entries.map((e) => ({
    name: e.action,
    check: e.check,
    deprecated: e.deprecated,
    scopeTypes: e.scope,
    description: e.description,
  }));
}

/**
 * Builds the policy of the configuration: defaults from `entries`, the override file, the two oslo.policy switches.
 * A bad rule is a one-line {@link StartupError} naming it.
 */
export function buildPolicy(
  entries: readonly PolicyEntry[],
  config: Config['policy'],
  opts: PolicyOptions = {},
): ApiPolicy {
  const overrides = config.file === null ? {} : readPolicyFile(config.file);
  try {
    const enforcer = new PolicyEnforcer(policyDefaults(entries), {
      enforceNewDefaults: config.enforceNewDefaults,
      enforceScope: config.enforceScope,
      overrides,
      overridesFrom: config.file ?? undefined,
    });
    return new ApiPolicy(enforcer, opts);
  } catch (e) {
    if (e instanceof PolicyConfigError) throw new StartupError(`${e.message}; correct the rule in policy.file`);
    throw e;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The policy of this application (built from the tables, the override file and the config). */
    policy: ApiPolicy;
  }
}

/** Checks `action` for the request's caller against the target; 403 PolicyNotAuthorized when denied. */
export function authorize(req: FastifyRequest, action: string, target?: PolicyTarget): void {
  req.server.policy.authorize(action, req.caller, target);
}

/** Whether `action` allows the request's caller (for checks whose denial is not a 403 of their own). */
export function allows(req: FastifyRequest, action: string, target?: PolicyTarget): boolean {
  return req.server.policy.allows(action, req.caller, target);
}
