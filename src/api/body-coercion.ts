/**
 * @module Magnum's POST-body coercions applied before JSON-schema validation: `null` means "not provided",
 * integers accept numeric strings (floats truncated), booleans accept oslo's strict boolean words,
 * and read-only attributes are refused.
 */
import { invalidField, MagnumError } from '../core/errors.ts';
import { parseBool } from '../core/labels.ts';

/** The subset of a JSON schema object this module reads. */
export interface ObjectSchema {
  properties: Record<string, { type?: string | string[]; readOnly?: boolean }>;
}

const NUMERIC = /^\s*[-+]?\d+(\.\d+)?\s*$/;

/** Coerces `body` in place according to `schema`; throws a 400 for read-only fields and unrecognised booleans. */
export function coerceBody(body: unknown, schema: ObjectSchema): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const obj = body as Record<string, unknown>;
  for (const [key, value] of Object.entries(obj)) {
    const prop = schema.properties[key];
    if (!prop) continue;
    if (prop.readOnly) throw invalidField(key, value, 'Cannot set read only field.');
    if (value === null) {
      delete obj[key];
      continue;
    }
    const type = Array.isArray(prop.type) ? prop.type[0] : prop.type;
    if (type === 'integer') {
      if (typeof value === 'string' && NUMERIC.test(value)) obj[key] = Math.trunc(Number(value));
      else if (typeof value === 'number' && Number.isFinite(value)) obj[key] = Math.trunc(value);
    } else if (type === 'boolean' && typeof value === 'string') {
      const b = parseBool(value);
      if (b === undefined) {
        throw new MagnumError(
          'InvalidInput',
          `Invalid input for field/attribute ${key}. Value: '${value}'. Unrecognized value '${value}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`,
        );
      }
      obj[key] = b;
    }
  }
}
