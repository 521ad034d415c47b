/** @module cli/patch-args — `op path=value …` arguments to RFC 6902 operations, as magnumclient's args_array_to_patch. */

import type { JsonPatchOp } from './api-types.ts';
import { CliError } from './errors.ts';
import { parseLabels } from './labels.ts';
import { pyRepr } from './table.ts';

/** Operations the `*-update` commands accept. */
export const PATCH_OPS = ['add', 'replace', 'remove'] as const;

/** Paths whose value magnumclient sends as the Python repr of a label map (`{'a': '1'}`). */
const LABEL_PATHS: ReadonlySet<string> = new Set(['/labels', '/health_status_reason']);

/** A value as magnumclient decodes it: JSON when it parses (`3`, `true`, `null`, `["a"]`), else the text itself. */
function decodeValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The label map of a `labels=…` argument: `a=1,b=2` (magnumclient's form) or a JSON object. */
function labelValue(text: string): string {
  const decoded = decodeValue(text);
  if (decoded !== null && typeof decoded === 'object' && !Array.isArray(decoded)) {
    return pyRepr(
      Object.fromEntries(Object.entries(decoded).map(([k, v]) => [k, typeof v === 'string' ? v : pyRepr(v)])),
    );
  }
  return pyRepr(parseLabels([text]));
}

/**
 * Turns `op` and its `path=value` attributes into JSON PATCH operations: a path gets a leading `/`; `add` and
 * `replace` split each attribute at its first `=` and send the value JSON-decoded when it parses, else as text;
 * `labels` (and `health_status_reason`) values are label lists (`a=1,b=2`) sent as the repr of the map, as
 * magnumclient does; `remove` needs only the path.
 *
 * @throws CliError for an unknown op, an attribute without `=`, or malformed labels.
 */
export function argsToPatch(op: string, attributes: readonly string[]): JsonPatchOp[] {
  if (!(PATCH_OPS as readonly string[]).includes(op)) throw new CliError(`Unknown PATCH operation: ${op}`);
  if (attributes.length === 0) throw new CliError('the following arguments are required: <path=value>');
  return attributes.map((raw): JsonPatchOp => {
    const attr = raw.startsWith('/') ? raw : `/${raw}`;
    if (op === 'remove') return { op: 'remove', path: attr };
    const eq = attr.indexOf('=');
    if (eq < 0) throw new CliError(`Attributes must be a list of PATH=VALUE not "${attr}"`);
    const path = attr.slice(0, eq);
    const text = attr.slice(eq + 1);
    const value = LABEL_PATHS.has(path) ? labelValue(text) : decodeValue(text);
    return { op: op as 'add' | 'replace', path, value };
  });
}
