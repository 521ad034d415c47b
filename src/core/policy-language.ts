/**
 * @module oslo.policy's rule language: parsing a check string into a tree, and evaluating it against the caller's
 * credentials and the target. Pure: no I/O.
 *
 * Grammar (as oslo.policy reads it): tokens are separated by whitespace; `(` and `)` may be glued to the start and end
 * of a token; `and`, `or`, `not` are keywords in any case; `and` binds tighter than `or`; `not` applies to the check or
 * parenthesised expression after it. A check is `@` (always), `!` (never), `rule:<name>` (another rule),
 * `role:<name>` (one of the caller's roles, case-insensitive) or `<kind>:<match>` (generic). The empty string means
 * always. In a match `%(key)s` is replaced with the target's value (a missing key makes the check false); a generic
 * check compares that text with a literal kind (`True:%(enabled)s`, `'x':…`) or with the credential at the kind's
 * dotted path (`project_id:%(project_id)s`, `token.user.id:…`; a list there matches if any element does). Values
 * are compared as Python prints them (`True`, `False`, `None`), which is what makes `is_admin:True` work.
 *
 * Where oslo.policy would log and fail closed (an unparsable rule, a check without `:`, an `http:` check), this
 * module throws {@link PolicyRuleError} so the service can refuse to start instead of silently denying.
 */

/** A parsed check string. */
export type PolicyNode =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'rule'; name: string }
  | { kind: 'role'; match: string }
  | { kind: 'generic'; field: string; match: string }
  | { kind: 'not'; check: PolicyNode }
  | { kind: 'and'; checks: PolicyNode[] }
  | { kind: 'or'; checks: PolicyNode[] };

/** A check string that cannot be read: `message` says where and why (without the rule's name). */
export class PolicyRuleError extends Error {
  override readonly name = 'PolicyRuleError';
}

type Token = { t: '(' | ')' | 'and' | 'or' | 'not' } | { t: 'check'; node: PolicyNode };

/** Splits a check string into tokens exactly as oslo.policy's tokenizer does. */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const raw of text.split(/\s+/)) {
    if (raw === '') continue;
    let tok = raw;
    while (tok.startsWith('(')) {
      out.push({ t: '(' });
      tok = tok.slice(1);
    }
    if (tok === '') continue;
    let trail = 0;
    while (tok.endsWith(')')) {
      trail++;
      tok = tok.slice(0, -1);
    }
    if (tok !== '') {
      const lowered = tok.toLowerCase();
      if (lowered === 'and' || lowered === 'or' || lowered === 'not') out.push({ t: lowered });
      else if (tok.length >= 2 && (tok[0] === '"' || tok[0] === "'") && tok.at(-1) === tok[0])
        throw new PolicyRuleError(`a quoted string (${raw}) is not a check`);
      else out.push({ t: 'check', node: parseCheck(tok) });
    }
    for (let i = 0; i < trail; i++) out.push({ t: ')' });
  }
  return out;
}

function parseCheck(tok: string): PolicyNode {
  if (tok === '@') return { kind: 'true' };
  if (tok === '!') return { kind: 'false' };
  const colon = tok.indexOf(':');
  if (colon < 0) throw new PolicyRuleError(`'${tok}' is not a check (expected kind:match, @ or !)`);
  const kind = tok.slice(0, colon);
  const match = tok.slice(colon + 1);
  if (kind === 'rule') {
    if (match === '') throw new PolicyRuleError(`'${tok}' names no rule`);
    return { kind: 'rule', name: match };
  }
  if (kind === 'role') return { kind: 'role', match };
  if (kind === 'http' || kind === 'https')
    throw new PolicyRuleError(`'${tok}': remote ${kind} checks are not supported`);
  if (kind === '') throw new PolicyRuleError(`'${tok}' has an empty kind`);
  return { kind: 'generic', field: kind, match };
}

/** Parses a check string (oslo.policy's policy language). Throws {@link PolicyRuleError} when it cannot be read. */
export function parsePolicy(text: string): PolicyNode {
  const tokens = tokenize(text);
  if (tokens.length === 0) return { kind: 'true' };
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const describe = (tok: Token | undefined): string =>
    tok === undefined ? 'the end' : tok.t === 'check' ? 'a check' : `'${tok.t}'`;
  const unary = (): PolicyNode => {
    const tok = tokens[i++];
    if (tok === undefined) throw new PolicyRuleError('ends where a check was expected');
    if (tok.t === 'check') return tok.node;
    if (tok.t === 'not') return { kind: 'not', check: unary() };
    if (tok.t === '(') {
      const inner = or();
      const close = tokens[i++];
      if (close?.t !== ')') throw new PolicyRuleError(`unbalanced '(': found ${describe(close)} where ')' belongs`);
      return inner;
    }
    throw new PolicyRuleError(`found ${describe(tok)} where a check was expected`);
  };
  const and = (): PolicyNode => {
    const checks = [unary()];
    while (peek()?.t === 'and') {
      i++;
      checks.push(unary());
    }
    return checks.length === 1 ? checks[0]! : { kind: 'and', checks };
  };
  const or = (): PolicyNode => {
    const checks = [and()];
    while (peek()?.t === 'or') {
      i++;
      checks.push(and());
    }
    return checks.length === 1 ? checks[0]! : { kind: 'or', checks };
  };
  const node = or();
  if (i < tokens.length) throw new PolicyRuleError(`found ${describe(tokens[i])} where an operator or the end belongs`);
  return node;
}

/** Names of the rules a tree refers to with `rule:<name>`. */
export function ruleReferences(node: PolicyNode): string[] {
  switch (node.kind) {
    case 'rule':
      return [node.name];
    case 'not':
      return ruleReferences(node.check);
    case 'and':
    case 'or':
      return node.checks.flatMap(ruleReferences);
    default:
      return [];
  }
}

/** Text of a value as Python's `str()` prints it (how oslo.policy compares). */
export function pythonStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

type Part = string | { key: string };
/** Parsed `%(key)s` templates by text (rules are few and fixed, so this stays small). */
const templates = new Map<string, readonly Part[]>();

function template(match: string): readonly Part[] {
  let parts = templates.get(match);
  if (parts === undefined) {
    const out: Part[] = [];
    let last = 0;
    for (const m of match.matchAll(/%%|%\(([^)]*)\)s/g)) {
      if (m.index > last) out.push(match.slice(last, m.index));
      out.push(m[1] === undefined ? '%' : { key: m[1] });
      last = m.index + m[0].length;
    }
    if (last < match.length) out.push(match.slice(last));
    parts = out;
    if (templates.size < 10_000) templates.set(match, parts);
  }
  return parts;
}

/** `match % target`: `%(key)s` replaced by the target's value; undefined when a key is missing (the check fails). */
export function substitute(match: string, target: Readonly<Record<string, unknown>>): string | undefined {
  if (!match.includes('%')) return match;
  let text = '';
  for (const part of template(match)) {
    if (typeof part === 'string') text += part;
    else if (!Object.hasOwn(target, part.key)) return undefined;
    else text += pythonStr(target[part.key]);
  }
  return text;
}

/** A kind that Python reads as a literal (`True`, `None`, `3`, `'x'`): its text; undefined for a credential path. */
function literalKind(kind: string): string | undefined {
  if (kind === 'True' || kind === 'False' || kind === 'None') return kind;
  if (/^-?(0|[1-9]\d*)$/.test(kind)) return String(Number(kind));
  if (kind.length >= 2 && (kind[0] === '"' || kind[0] === "'") && kind.at(-1) === kind[0]) return kind.slice(1, -1);
  return undefined;
}

function findIn(value: unknown, path: readonly string[], match: string): boolean {
  if (path.length === 0) return match === pythonStr(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const [key, ...rest] = path as [string, ...string[]];
  if (!Object.hasOwn(value, key)) return false;
  const next = (value as Record<string, unknown>)[key];
  if (Array.isArray(next)) return next.some((v) => findIn(v, rest, match));
  return findIn(next, rest, match);
}

/** What a tree is evaluated against. */
export interface PolicyInput {
  /** The caller's credentials (user_id, project_id, roles, is_admin, domain_id, system_scope…). */
  creds: Readonly<Record<string, unknown>>;
  /** The object acted on (its fields), plus values the service adds (trustee_domain_id). */
  target: Readonly<Record<string, unknown>>;
  /** Resolves `rule:<name>` to its tree; undefined: no such rule (the check fails, as in oslo.policy). */
  rule: (name: string) => PolicyNode | undefined;
}

/** Evaluates a tree. */
export function evaluate(node: PolicyNode, input: PolicyInput, depth = 0): boolean {
  if (depth > 64) throw new PolicyRuleError('rules refer to each other more than 64 deep');
  switch (node.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'rule': {
      const r = input.rule(node.name);
      return r !== undefined && evaluate(r, input, depth + 1);
    }
    case 'role': {
      const m = substitute(node.match, input.target);
      const roles = input.creds.roles;
      if (m === undefined || !Array.isArray(roles)) return false;
      const want = m.toLowerCase();
      return roles.some((r) => String(r).toLowerCase() === want);
    }
    case 'generic': {
      const m = substitute(node.match, input.target);
      if (m === undefined) return false;
      const literal = literalKind(node.field);
      if (literal !== undefined) return m === literal;
      return findIn(input.creds, node.field.split('.'), m);
    }
    case 'not':
      return !evaluate(node.check, input, depth + 1);
    case 'and':
      return node.checks.every((c) => evaluate(c, input, depth + 1));
    case 'or':
      return node.checks.some((c) => evaluate(c, input, depth + 1));
  }
}

/** Prints a tree back as a check string (normalised: one space, parentheses only where needed). */
export function formatPolicy(node: PolicyNode): string {
  const wrap = (n: PolicyNode, parent: 'and' | 'or' | 'not'): string => {
    const s = formatPolicy(n);
    if (n.kind === 'or' && parent !== 'or') return `(${s})`;
    if (n.kind === 'and' && parent === 'not') return `(${s})`;
    return s;
  };
  switch (node.kind) {
    case 'true':
      return '@';
    case 'false':
      return '!';
    case 'rule':
      return `rule:${node.name}`;
    case 'role':
      return `role:${node.match}`;
    case 'generic':
      return `${node.field}:${node.match}`;
    case 'not':
      return `not ${wrap(node.check, 'not')}`;
    case 'and':
      return node.checks.map((c) => wrap(c, 'and')).join(' and ');
    case 'or':
      return node.checks.map((c) => wrap(c, 'or')).join(' or ');
  }
}
