/**
 * @module The integer range every stored integer must fit: Magnum's columns are SQL `INTEGER` (signed 32-bit), and so
 * are Magnetar's (`integer` on PostgreSQL; SQLite would take any 64-bit value and then fail to read back one above
 * 2^53 as a JavaScript number). The API refuses anything outside it with a 400 naming the field; JSON schemas get the
 * bound from {@link boundIntegers}, so a route cannot forget it.
 */
import { invalidField } from './errors.ts';

/** Largest value of a SQL INTEGER column (2^31 − 1). */
export const DB_INT_MAX = 2_147_483_647;
/** Smallest value of a SQL INTEGER column (−2^31). */
export const DB_INT_MIN = -2_147_483_648;

/** 400 unless `value` is an integer inside the column range (`field` names it in the message). */
export function checkDbInt(field: string, value: number): void {
  if (value > DB_INT_MAX) throw invalidField(field, value, `Value should be lower or equal to ${DB_INT_MAX}`);
  if (value < DB_INT_MIN) throw invalidField(field, value, `Value should be greater or equal to ${DB_INT_MIN}`);
}

type Schema = Record<string, unknown>;

const isInteger = (s: Schema): boolean =>
  s.type === 'integer' || (Array.isArray(s.type) && (s.type as unknown[]).includes('integer'));

/**
 * A copy of a JSON schema in which every integer-typed subschema without its own bounds gets the column range
 * (`minimum` −2^31, `maximum` 2^31 − 1). Subschemas that state a bound keep it. Walks properties, items,
 * additionalProperties and the combinators; other keys are copied as they are. Idempotent.
 */
export function boundIntegers<T>(schema: T): T {
  if (schema === null || typeof schema !== 'object') return schema;
  if (Array.isArray(schema)) return schema.map((s: unknown) => boundIntegers(s)) as T;
  const out: Schema = { ...(schema as Schema) };
  if (isInteger(out)) {
    out.maximum ??= DB_INT_MAX;
    out.minimum ??= DB_INT_MIN;
  }
  for (const key of ['properties', 'patternProperties', 'definitions', '$defs']) {
    const map = out[key];
    if (map && typeof map === 'object')
      out[key] = Object.fromEntries(Object.entries(map as Schema).map(([k, v]) => [k, boundIntegers(v)]));
  }
  for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'anyOf', 'oneOf', 'allOf']) {
    if (out[key] !== undefined && typeof out[key] === 'object') out[key] = boundIntegers(out[key]);
  }
  return out as T;
}
