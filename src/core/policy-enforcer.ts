/**
 * @module The policy enforcer: registered defaults (each a check string, optionally the deprecated check string it
 * replaced and the token scopes it applies to) combined with an operator's overrides, as oslo.policy combines them.
 * Pure: the override file is read elsewhere and handed in as a name → check string map.
 *
 * - An override replaces the default of the same name, entirely (its deprecated check and scope types are not used).
 * - `enforceNewDefaults: false` (oslo.policy's and Magnum 15's default): a default whose check string changed is
 *   evaluated as `new or deprecated`, so nobody loses access on upgrade; `true`: the new check alone.
 * - `enforceScope: true`: a default with scope types refuses a token of another scope (system / domain / project)
 *   before its check is evaluated; `false` (default): the scope is not looked at.
 * - `rule:<name>` naming no rule and rules referring to themselves are refused when the enforcer is built.
 */
import {
  evaluate,
  formatPolicy,
  parsePolicy,
  PolicyRuleError,
  ruleReferences,
  type PolicyNode,
} from './policy-language.ts';

export type TokenScope = 'project' | 'domain' | 'system';

/** A default rule as the service registers it. */
export interface PolicyDefault {
  name: string;
  check: string;
  /** The check string this default replaced (Magnum 15's); evaluated with OR while new defaults are not enforced. */
  deprecated?: string | undefined;
  /** Token scopes the rule applies to (checked only with `enforceScope`); absent: any. */
  scopeTypes?: readonly TokenScope[] | undefined;
  description?: string | undefined;
}

export interface EnforcerOptions {
  enforceNewDefaults: boolean;
  enforceScope: boolean;
  /** Rules from the operator's file by name (they replace defaults of that name and may add new names). */
  overrides?: Readonly<Record<string, string>>;
  /** Where the overrides came from, for messages (e.g. the file path). */
  overridesFrom?: string;
}

/** A rule that cannot be used: `rule` names it, the message is one line saying where and why. */
export class PolicyConfigError extends Error {
  override readonly name = 'PolicyConfigError';
  readonly rule: string;
  constructor(rule: string, message: string) {
    super(message);
    this.rule = rule;
  }
}

/** The caller as policy sees it: credentials plus the token's scope. */
export interface PolicyCredentials {
  creds: Readonly<Record<string, unknown>>;
  scope: TokenScope;
}

/** Why a check said no (for logs; the client only ever gets 403 PolicyNotAuthorized). */
export type Decision = { allowed: true } | { allowed: false; reason: 'scope' | 'rule' | 'unknown-rule' };

interface Effective {
  node: PolicyNode;
  scopeTypes: readonly TokenScope[] | undefined;
  from: 'default' | 'override';
}

export class PolicyEnforcer {
  private readonly rules = new Map<string, Effective>();
  private readonly defaults = new Map<string, PolicyDefault>();

  readonly options: EnforcerOptions;

  constructor(defaults: readonly PolicyDefault[], options: EnforcerOptions) {
    this.options = options;
    const from = options.overridesFrom ?? 'the policy overrides';
    for (const d of defaults) {
      if (this.defaults.has(d.name))
        throw new PolicyConfigError(d.name, `policy: default rule ${d.name} is registered twice`);
      this.defaults.set(d.name, d);
      const parse = (text: string, what: string): PolicyNode => {
        try {
          return parsePolicy(text);
        } catch (e) {
          throw new PolicyConfigError(d.name, `policy: ${what} of ${d.name} "${text}": ${(e as Error).message}`);
        }
      };
      const node = parse(d.check, 'default');
      const combined: PolicyNode =
        d.deprecated !== undefined && d.deprecated !== d.check && !options.enforceNewDefaults
          ? { kind: 'or', checks: [node, parse(d.deprecated, 'deprecated default')] }
          : node;
      this.rules.set(d.name, { node: combined, scopeTypes: d.scopeTypes, from: 'default' });
    }
    for (const [name, text] of Object.entries(options.overrides ?? {})) {
      let node: PolicyNode;
      try {
        node = parsePolicy(text);
      } catch (e) {
        throw new PolicyConfigError(name, `policy: rule ${name} in ${from}: "${text}": ${(e as Error).message}`);
      }
      // An operator's rule replaces the default entirely; oslo.policy still applies the registered scope types.
      this.rules.set(name, { node, scopeTypes: this.defaults.get(name)?.scopeTypes, from: 'override' });
    }
    this.checkReferences(from);
  }

  private checkReferences(from: string): void {
    for (const [name, r] of this.rules) {
      for (const ref of ruleReferences(r.node)) {
        if (!this.rules.has(ref)) {
          const where = r.from === 'override' ? `in ${from}` : '(default)';
          throw new PolicyConfigError(
            name,
            `policy: rule ${name} ${where} refers to rule:${ref}, which is not defined`,
          );
        }
      }
    }
    // Cycles: depth-first over rule references.
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, path: string[]): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        const cycle = [...path.slice(path.indexOf(name)), name].join(' -> ');
        throw new PolicyConfigError(name, `policy: rule ${name} refers to itself (${cycle})`);
      }
      state.set(name, 'visiting');
      for (const ref of ruleReferences(this.rules.get(name)!.node)) visit(ref, [...path, name]);
      state.set(name, 'done');
    };
    for (const name of this.rules.keys()) visit(name, []);
  }

  /** Whether a rule of this name exists (default or override). */
  has(name: string): boolean {
    return this.rules.has(name);
  }

  /** The check string in force for `name` (after overrides and the deprecated OR), normalised. */
  effectiveCheck(name: string): string | undefined {
    const r = this.rules.get(name);
    return r && formatPolicy(r.node);
  }

  /** Names of rules the operator's overrides replaced or added. */
  overridden(): string[] {
    return [...this.rules].filter(([, r]) => r.from === 'override').map(([n]) => n);
  }

  /** Checks rule `name` for the caller against the target. An unknown rule denies (oslo.policy fails closed). */
  decide(name: string, who: PolicyCredentials, target: Readonly<Record<string, unknown>>): Decision {
    const r = this.rules.get(name);
    if (!r) return { allowed: false, reason: 'unknown-rule' };
    if (this.options.enforceScope && r.scopeTypes && !r.scopeTypes.includes(who.scope))
      return { allowed: false, reason: 'scope' };
    const ok = evaluate(r.node, { creds: who.creds, target, rule: (n) => this.rules.get(n)?.node });
    return ok ? { allowed: true } : { allowed: false, reason: 'rule' };
  }

  check(name: string, who: PolicyCredentials, target: Readonly<Record<string, unknown>>): boolean {
    return this.decide(name, who, target).allowed;
  }
}

export { PolicyRuleError };
