/** @module Generated resource names in Magnum's style: `<greek letter>-<1..24>-<kind>`. */

const GREEK = [
  'alpha',
  'beta',
  'gamma',
  'delta',
  'epsilon',
  'zeta',
  'eta',
  'theta',
  'iota',
  'kappa',
  'lambda',
  'mu',
  'nu',
  'xi',
  'omicron',
  'pi',
  'rho',
  'sigma',
  'tau',
  'upsilon',
  'phi',
  'chi',
  'psi',
  'omega',
] as const;

/** A name such as `zeta-22-cluster`; `random` returns a float in [0, 1). */
export function generateName(
  kind: 'cluster' | 'template' | 'bay' | 'model',
  random: () => number = Math.random,
): string {
  const letter = GREEK[Math.floor(random() * GREEK.length)] ?? 'alpha';
  const n = 1 + Math.floor(random() * 24);
  return `${letter}-${n}-${kind}`;
}

const UUID_LIKE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** oslo's is_uuid_like: 32 hex digits with or without dashes, any case. */
export const isUuidLike = (s: string): boolean => UUID_LIKE.test(s);

/** Canonical lower-case dashed form of a UUID-like string. */
export function canonicalUuid(s: string): string {
  const hex = s.replaceAll('-', '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
