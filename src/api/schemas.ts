/**
 * @module JSON schemas shared by many routes: path parameters, "no query parameters", boolean query words, a JSON PATCH
 * document; and the response documentation shared by every resource (Magnum's error body).
 */
import { DB_INT_MAX, DB_INT_MIN } from '../core/int-bounds.ts';
import { BOOL_WORDS } from '../core/labels.ts';
import { MAGNUM_ERRORS } from './validation.ts';

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
    if: { properties: { op: { enum: ['add', 'replace'] } } },
    then: { required: ['value'] },
  },
} as const;

/* ------------------------------------------------------------------------------------------------------------------
 * Response documentation. These schemas go only into the OpenAPI document (route `config.responses`, merged by
 * openapi.ts), never into Fastify's `schema.response`: Fastify serializes with response schemas (dropping fields they
 * do not name and coercing types), and the handlers' views are already the exact wire form.
 * ---------------------------------------------------------------------------------------------------------------- */

/** One documented response: a description, and a JSON (or other) body schema unless it has none. */
export interface ResponseDoc {
  description: string;
  /** `'null'`: no body (204). */
  type?: 'null';
  content?: Record<string, { schema: object }>;
  headers?: Record<string, object>;
}

/** The success responses of one route, by status. */
export type ResponsesDoc = Readonly<Record<number, ResponseDoc>>;

/** A JSON response. */
export const jsonResponse = (description: string, schema: object, headers?: Record<string, object>): ResponseDoc => ({
  description,
  content: { 'application/json': { schema } },
  ...(headers ? { headers } : {}),
});

/** A response without a body. */
export const noContent = (description: string): ResponseDoc => ({ description, type: 'null' });

export const nullable = (type: string): { type: string[] } => ({ type: [type, 'null'] });
export const nullableString = nullable('string');

/** A stored integer column (SQL INTEGER, core/int-bounds.ts), `min` and up. */
export const columnInt = (min: number = DB_INT_MIN) =>
  ({ type: 'integer', minimum: min, maximum: DB_INT_MAX }) as const;
/** A nullable stored integer column. */
export const nullableColumnInt = { type: ['integer', 'null'], minimum: DB_INT_MIN, maximum: DB_INT_MAX } as const;
/** A row id (64-bit serial, as far as JavaScript holds it exactly). */
export const serialId = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
/** A count or sum. */
export const countInt = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** ISO-8601 time with an explicit offset (`2026-11-22T00:40:12.123000+00:00`). */
export const isoTime = { type: 'string', description: 'ISO 8601 with explicit UTC offset' } as const;
export const nullableIsoTime = { ...nullable('string'), description: 'ISO 8601 with explicit UTC offset' } as const;

/** A map of string to string (labels, health_status_reason). */
export const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

/** `[{href, rel}]`: the self and bookmark links of a resource. */
export const linkList = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['href', 'rel'],
    properties: { href: { type: 'string' }, rel: { type: 'string' }, type: { type: 'string' } },
  },
} as const;

/** `{"uuid"}` of an accepted asynchronous operation on a cluster. */
export const uuidBody = {
  type: 'object',
  additionalProperties: false,
  required: ['uuid'],
  properties: { uuid: { type: 'string', description: 'the cluster uuid' } },
} as const;

/** The `next` link of a full page. */
export const nextLinkProperty = {
  type: 'string',
  description: 'present only when the page is full: the URL of the next page',
} as const;

/** One error object of Magnum's error body (handler errors: code client/server; routing errors: code ''). */
export const errorObject = {
  type: 'object',
  additionalProperties: false,
  required: ['request_id', 'code', 'status', 'title', 'detail', 'links'],
  properties: {
    request_id: { type: 'string', description: 'always empty; the id is in X-Openstack-Request-Id' },
    code: { type: 'string', enum: ['client', 'server', ''] },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    title: { type: 'string' },
    detail: nullableString,
    links: { type: 'array' },
  },
} as const;

/** The error object of an unsupported microversion (406), passed through as Magnum does. */
export const microversionErrorObject = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'title', 'min_version', 'max_version', 'links'],
  properties: {
    code: { type: 'string', const: 'magnum.microversion-unsupported' },
    title: { type: 'string' },
    description: { type: 'string' },
    min_version: { type: 'string' },
    max_version: { type: 'string' },
    links: linkList,
  },
} as const;

/** Magnum's error body: `{"errors": [{request_id, code, status, title, detail, links}]}`. */
export const errorBody = {
  type: 'object',
  additionalProperties: false,
  required: ['errors'],
  properties: { errors: { type: 'array', minItems: 1, maxItems: 1, items: errorObject } },
} as const;

/** The 406 body: a routing error (malformed header, version-gated route) or an unsupported microversion. */
export const notAcceptableBody = {
  type: 'object',
  additionalProperties: false,
  required: ['errors'],
  properties: {
    errors: { type: 'array', minItems: 1, maxItems: 1, items: { anyOf: [errorObject, microversionErrorObject] } },
  },
} as const;

/** A boolean query parameter as Magnum reads it: one of oslo's boolean words, any case, blanks around ignored. */
export function boolWordQuery(name: string, description: string): object {
  const anyCase = (w: string): string => [...w].map((c) => (/[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : c)).join('');
  const words = BOOL_WORDS.map((w) => `'${w}'`).join(', ');
  return {
    type: 'string',
    pattern: `^\\s*(${BOOL_WORDS.map(anyCase).join('|')})\\s*$`,
    description: `${description} (${BOOL_WORDS.join(', ')}; any case)`,
    [MAGNUM_ERRORS]: {
      pattern: `Invalid input for field/attribute ${name}. Value: '{value}'. Unrecognized value '{value}', acceptable values are: ${words}`,
    },
  };
}
