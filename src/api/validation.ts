/** @module JSON-schema validation (Ajv) for request parts, and Magnum-worded messages for its errors. */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { MagnumError, show } from '../core/errors.ts';
import { boundIntegers } from '../core/int-bounds.ts';
import { MAX_LABEL_KEY } from '../core/limits.ts';

/**
 * Schema keyword: Magnum's message for a value the schema refuses, by failing Ajv keyword (`{value}` is replaced by the
 * value). Lets a query parameter's schema say exactly what the API accepts (for the OpenAPI document) while the
 * refusal keeps Magnum's wording, e.g. `{ minimum: 'Limit must be positive' }`.
 */
export const MAGNUM_ERRORS = 'x-magnum-errors';

/**
 * Schema keyword: the pattern the OpenAPI document states where the API checks a string in two steps (its form by
 * `pattern`, with Magnum's wording, then its range in the handler), so that the document still names exactly what is
 * accepted — e.g. a quota marker: an integer within the id column's range.
 */
export const DOCUMENT_PATTERN = 'x-magnum-document-pattern';

/**
 * Compiles validators: bodies strictly (no type coercion, unknown fields refused), query strings with coercion.
 * Every integer without its own bounds is held to the database column range (core/int-bounds.ts).
 */
export function makeValidatorCompiler(): (opts: { schema: object; httpPart?: string }) => ValidateFunction {
  const strict = new Ajv({
    allErrors: false,
    coerceTypes: false,
    removeAdditional: false,
    useDefaults: false,
    strict: false,
    verbose: true,
  });
  const loose = new Ajv({
    allErrors: false,
    coerceTypes: true,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
    verbose: true,
  });
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : loose).compile(boundIntegers(schema));
}

/** Turns the first Ajv error into Magnum's 400 text. `arg` names the body argument (e.g. `cluster`). */
export function validationError(errors: ErrorObject[], part: string, arg: string, data: unknown): MagnumError {
  const e = errors[0];
  if (!e) return new MagnumError('InvalidInput', 'Invalid input.');
  if (e.keyword === 'additionalProperties') {
    const name = String((e.params as { additionalProperty: string }).additionalProperty);
    if (part === 'querystring' || part === 'params')
      return new MagnumError('InvalidInput', `Unknown argument: "${name}"`);
    return new MagnumError('InvalidInput', `Unknown attribute for argument ${arg}: ${name}`);
  }
  if (e.keyword === 'required') {
    const name = String((e.params as { missingProperty: string }).missingProperty);
    return new MagnumError(
      'InvalidInput',
      `Invalid input for field/attribute ${name}. Value: 'None'. Mandatory field missing.`,
    );
  }
  const path = e.instancePath.split('/').filter(Boolean);
  const field = path[0] ?? arg;
  if (path.length === 0 && e.keyword === 'type') {
    return new MagnumError(
      'InvalidInput',
      `Invalid input for argument ${arg}: the request body must be a JSON ${String(e.params.type)}.`,
    );
  }
  const value = path.reduce<unknown>(
    (o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
    data,
  );
  const custom = (e.parentSchema as Record<string, Record<string, unknown> | undefined> | undefined)?.[MAGNUM_ERRORS]?.[
    e.keyword
  ];
  if (typeof custom === 'string') return new MagnumError('InvalidInput', custom.replaceAll('{value}', show(value)));
  return new MagnumError(
    'InvalidInput',
    `Invalid input for field/attribute ${field}. Value: '${show(value)}'. ${reason(e)}`,
  );
}

function reason(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  if (e.propertyName !== undefined) return `Key '${show(e.propertyName)}' should be 1 to ${MAX_LABEL_KEY} characters.`;
  switch (e.keyword) {
    // wsme's own reasons end without a period (Magnum 15: "… Value should be greater or equal to 1").
    case 'type':
      return `Value should be ${String(p.type)}`;
    case 'enum':
      return `Value should be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'minimum':
      return `Value should be greater or equal to ${String(p.limit)}`;
    case 'maximum':
      return `Value should be lower or equal to ${String(p.limit)}`;
    case 'minLength':
      return `Value should have a minimum character requirement of ${String(p.limit)}`;
    case 'maxLength':
      return `Value should have a maximum character requirement of ${String(p.limit)}`;
    case 'pattern':
      return `Value should match the pattern ${String(p.pattern)}`;
    case 'minItems':
      return `Value should have at least ${String(p.limit)} items.`;
    case 'maxItems':
      return `Value should have at most ${String(p.limit)} items.`;
    case 'maxProperties':
      return `Value should have at most ${String(p.limit)} entries.`;
    default:
      return e.message ?? 'Invalid value.';
  }
}
