/** @module JSON schemas shared by many routes: path parameters, "no query parameters", a JSON PATCH document. */

import { MAX_PATCH_OPS, MAX_STRING } from '../core/limits.ts';

/** `{ident}`: a cluster or template uuid or name. */
export const identParams = {
  type: 'object',
  additionalProperties: false,
  required: ['ident'],
  properties: { ident: { type: 'string', minLength: 1, description: 'uuid or name' } },
} as const;

/** A route that takes no query parameters: any given is refused ('Unknown argument: "<name>"'). */
export const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

/**
 * A JSON PATCH document as Magnum accepts it. `parsePatch` (core/json-patch.ts) runs first, in preValidation, to word
 * the errors as Magnum does; this schema says the same thing for validation and the OpenAPI document.
 */
export const patchBody = {
  type: 'array',
  maxItems: MAX_PATCH_OPS,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['op', 'path'],
    properties: {
      op: { type: 'string', enum: ['add', 'replace', 'remove'] },
      path: { type: 'string', maxLength: MAX_STRING, pattern: '^(/[\\w-]+)+$' },
      value: {
        type: ['string', 'integer', 'boolean'],
        description: "required for 'add' and 'replace'; mappings (labels) as a string",
      },
    },
  },
} as const;
