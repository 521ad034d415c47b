/**
 * @module Request JSON parsing: Magnum's content types (application/json; also text/javascript and
 * application/javascript), Fastify's prototype-poisoning protection, and a nesting limit checked before parsing —
 * a body nested thousands deep would otherwise exhaust the stack in whatever walks it next (validation, coercion,
 * the error handler itself).
 */
import type { FastifyInstance } from 'fastify';
import { MagnumError } from '../core/errors.ts';

/** Deepest nesting of arrays and objects a request body may have (Magnum's bodies need 3). */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of `[`/`{` in JSON text, not counting brackets inside strings. Linear, no recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

const tooDeep = (): MagnumError =>
  new MagnumError(
    'InvalidInput',
    `Request is not in valid JSON format: arrays and objects nest deeper than ${MAX_JSON_DEPTH} levels.`,
  );

/** Replaces Fastify's JSON parser with one that refuses deep nesting first, and adds the JavaScript content types. */
export function registerJsonParsers(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (jsonDepth(text) > MAX_JSON_DEPTH) return done(tooDeep(), undefined);
    return parse(req, text, done);
  });
  app.addContentTypeParser(['text/javascript', 'application/javascript'], { parseAs: 'string' }, (_req, body, done) => {
    if (jsonDepth(body as string) > MAX_JSON_DEPTH) return done(tooDeep(), undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new MagnumError('InvalidInput', 'Request is not in valid JSON format'), undefined);
    }
  });
}
