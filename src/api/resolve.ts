/** @module uuid-or-name lookups with Magnum's not-found and ambiguity errors. */
import { conflict, notFound } from '../core/errors.ts';
import { canonicalUuid, isUuidLike } from '../core/names.ts';

/** Finds exactly one object by UUID (when the identifier looks like one) or by name. */
export async function resolveOne<T>(
  ident: string,
  find: (by: { uuid: string } | { name: string }) => Promise<T[]>,
  what: { notFoundCode: string; label: string; plural: string },
): Promise<T> {
  const by = isUuidLike(ident) ? { uuid: canonicalUuid(ident) } : { name: ident };
  const found = await find(by);
  if (found.length === 0) throw notFound(what.notFoundCode, `${what.label} ${ident} could not be found.`);
  if (found.length > 1) {
    throw conflict(
      'Conflict',
      `Multiple ${what.plural} exist with same name. Please use the ${what.label.toLowerCase()} uuid instead.`,
    );
  }
  return found[0] as T;
}
