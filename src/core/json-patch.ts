/**
 * @module JSON PATCH as Magnum applies it to a resource document: add / replace / remove on `/attr[/sub…]` paths,
 * scalar values only, internal paths untouchable, mandatory paths not removable, `add` only onto null attributes.
 */
import { MagnumError } from './errors.ts';
import { checkDbInt } from './int-bounds.ts';

export interface PatchOp {
  op: string;
  path: string;
  value?: unknown;
}

export interface PatchRules {
  /** Paths that can never be touched. */
  internal: readonly string[];
  /** Paths that cannot be removed. */
  mandatory: readonly string[];
  /** Paths whose string value is parsed as a mapping (labels). */
  mappings?: readonly string[];
  /** Defaults restored on `remove`. */
  defaults?: Readonly<Record<string, unknown>>;
}

const BASE_INTERNAL = ['/created_at', '/id', '/links', '/updated_at', '/uuid', '/project_id', '/user_id'];
const PATH = /^(\/[\w-]+)+$/;

const patchError = (patch: unknown, reason: string): MagnumError =>
  new MagnumError('PatchError', `Couldn't apply patch '${JSON.stringify(patch)}'. Reason: ${reason}`);

/** Validates the shape of a patch document (an array of operations). */
export function parsePatch(body: unknown): PatchOp[] {
  if (!Array.isArray(body))
    throw new MagnumError('InvalidInput', 'Invalid input: a JSON PATCH body must be an array of operations.');
  return body.map((raw) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new MagnumError('InvalidInput', 'Invalid input: each patch operation must be an object.');
    const { op, path, value, ...extra } = raw as Record<string, unknown>;
    const unknown = Object.keys(extra);
    if (unknown.length)
      throw new MagnumError('InvalidInput', `Unknown attribute for argument patch: ${unknown.join(', ')}`);
    if (typeof op !== 'string' || !['add', 'replace', 'remove'].includes(op)) {
      throw new MagnumError(
        'InvalidInput',
        `Invalid input for field/attribute op. Value: '${String(op)}'. Value should be one of: add, remove, replace`,
      );
    }
    if (typeof path !== 'string' || !PATH.test(path)) {
      throw new MagnumError(
        'InvalidInput',
        `Invalid input for field/attribute path. Value: '${String(path)}'. Value should match the pattern ^(/[\\w-]+)+$`,
      );
    }
    if (op !== 'remove') {
      if (value === undefined || value === null)
        throw new MagnumError('InvalidInput', "'add' and 'replace' operations needs value");
      if (
        !['string', 'number', 'boolean'].includes(typeof value) ||
        (typeof value === 'number' && !Number.isInteger(value))
      ) {
        throw new MagnumError(
          'InvalidInput',
          `Invalid input for field/attribute value. Value: '${JSON.stringify(value)}'. Value should be a string or an integer.`,
        );
      }
      // Every integer a patch can set is stored in an INTEGER column: out of range, the 400 names the attribute.
      if (typeof value === 'number') checkDbInt(path.split('/')[1] as string, value);
    }
    return op === 'remove' ? { op, path } : { op, path, value };
  });
}

/** Applies the operations to a copy of `doc` and returns it; the caller re-validates the result. */
export function applyPatch(doc: Record<string, unknown>, ops: PatchOp[], rules: PatchRules): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(doc);
  for (const o of ops) {
    const parts = o.path.split('/').slice(1);
    const top = `/${parts[0]}`;
    if ([...BASE_INTERNAL, ...rules.internal].includes(top)) {
      throw new MagnumError('InvalidInput', `'${top}' is an internal attribute and can not be updated`);
    }
    if (o.op === 'remove' && parts.length === 1 && rules.mandatory.includes(top)) {
      throw new MagnumError('InvalidInput', `'${top}' is a mandatory attribute and can not be removed`);
    }
    const key = parts[0] as string;
    if (parts.length === 1) {
      if (o.op === 'add') {
        if (!(key in out))
          throw new MagnumError(
            'InvalidInput',
            `Adding a new attribute ${top} to the root of the resource is not allowed.`,
          );
        if (out[key] !== null)
          throw new MagnumError(
            'InvalidInput',
            `The attribute ${top} has existed, please use 'replace' operation instead.`,
          );
      }
      if (o.op === 'remove') {
        if (!(key in out)) throw patchError(ops, `can't remove a non-existent object '${key}'`);
        out[key] = rules.defaults && key in rules.defaults ? rules.defaults[key] : null;
        continue;
      }
      if (o.op === 'replace' && !(key in out)) throw patchError(ops, `can't replace a non-existent object '${key}'`);
      out[key] = rules.mappings?.includes(top) && typeof o.value === 'string' ? parseMapping(o.value, ops) : o.value;
      continue;
    }
    // Nested paths: only into mapping attributes (labels/…), RFC 6902 style.
    const container = out[key];
    if (container === null || typeof container !== 'object' || parts.length !== 2)
      throw patchError(ops, `path ${o.path} does not exist`);
    const map = container as Record<string, unknown>;
    const sub = parts[1] as string;
    if (o.op === 'remove') {
      if (!(sub in map)) throw patchError(ops, `can't remove a non-existent object '${sub}'`);
      delete map[sub];
    } else {
      if (o.op === 'replace' && !(sub in map)) throw patchError(ops, `can't replace a non-existent object '${sub}'`);
      map[sub] = o.value;
    }
  }
  return out;
}

/**
 * Parses a mapping sent as a string: a JSON object, or a Python dict literal as python-magnumclient sends
 * (`{'a': 'b', 'n': 1, 't': True}`). Anything else is a 400 PatchError.
 */
export function parseMapping(text: string, ops: unknown): Record<string, unknown> {
  const t = text.trim();
  try {
    const v: unknown = JSON.parse(t);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // not JSON: try the Python literal form below
  }
  const py = parsePythonDict(t);
  if (py) return py;
  throw patchError(ops, `malformed mapping ${JSON.stringify(text)}: expected a dict such as {'key': 'value'}`);
}

function parsePythonDict(t: string): Record<string, unknown> | undefined {
  if (!t.startsWith('{') || !t.endsWith('}')) return undefined;
  const body = t.slice(1, -1).trim();
  if (body === '') return {};
  const out: Record<string, unknown> = {};
  const item =
    /\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*:\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|True|False|None)\s*(,|$)/y;
  let pos = 0;
  while (pos < body.length) {
    item.lastIndex = pos;
    const m = item.exec(body);
    if (!m) return undefined;
    const unq = (s: string): string => s.slice(1, -1).replace(/\\(.)/g, '$1');
    const raw = m[2] as string;
    out[unq(m[1] as string)] =
      raw === 'True'
        ? true
        : raw === 'False'
          ? false
          : raw === 'None'
            ? null
            : /^['"]/.test(raw)
              ? unq(raw)
              : Number(raw);
    pos = item.lastIndex;
    if (m[3] === '') break;
  }
  return out;
}
