/**
 * @module Docker image references (the grammar of distribution/reference, which the engine parses): a Glance-style
 * name such as `Fedora-CoreOS-38` is not one (repository names are lowercase), and the engine answers such a name
 * with a 400 of its own. Checked wherever an image is given, so it is a 400 naming the field instead of a 500.
 */
import { invalidField, type MagnumError } from './errors.ts';

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:__|[._]|-+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const PATH = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
/** No IPv6 literal: the engine's parser (Debian's docker.io) refuses `[::1]:5000/…`. */
const DOMAIN = new RegExp(`^${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?$`);
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** An image id (full or `sha256:`-prefixed), which the engine also takes where a name goes. */
const IMAGE_ID = /^(?:sha256:)?[a-f0-9]{64}$/;
const NAME_MAX = 255;

/** Why `ref` is not an image reference the engine parses, or undefined when it is one. */
export function imageReferenceProblem(ref: string): string | undefined {
  if (IMAGE_ID.test(ref)) return undefined;
  let rest = ref;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (!DIGEST.test(rest.slice(at + 1))) return 'invalid digest';
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    if (!TAG.test(rest.slice(colon + 1))) return 'invalid tag';
    rest = rest.slice(0, colon);
  }
  if (rest === '') return 'repository name is empty';
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const isDomain = slash >= 0 && (/[.:]/.test(first) || first === 'localhost');
  // The limit holds for the normalized name: `debian` is `docker.io/library/debian`.
  const normalized = (isDomain ? 0 : 'docker.io/'.length) + (slash < 0 ? 'library/'.length : 0) + rest.length;
  if (normalized > NAME_MAX) return `repository name must not be more than ${NAME_MAX} characters`;
  if (isDomain && !DOMAIN.test(first)) return 'invalid registry host';
  const path = isDomain ? rest.slice(slash + 1) : rest;
  if (PATH.test(path)) return undefined;
  if (PATH.test(path.toLowerCase())) return 'repository name must be lowercase';
  return 'invalid reference format';
}

/** The 400 for an image reference the provider cannot parse: `Invalid input for field/attribute <field>. …`. */
export function invalidImageReference(field: string, ref: string, problem: string): MagnumError {
  return invalidField(field, ref, `Value should be a Docker image reference: ${problem}.`);
}

/** 400 naming `field` unless `ref` is an image reference the engine parses. */
export function checkImageReference(field: string, ref: string): void {
  const problem = imageReferenceProblem(ref);
  if (problem !== undefined) throw invalidImageReference(field, ref, problem);
}
