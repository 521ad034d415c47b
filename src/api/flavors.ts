/** @module Magnum's FlavorNotFound check against the configured flavor table. */
import { invalid } from '../core/errors.ts';
import { isKnownFlavor, type FlavorTable } from '../core/flavors.ts';

/** 400 "Unable to find flavor X." for the first named flavor the table does not hold (null/absent means none). */
export function checkFlavors(table: FlavorTable, ...ids: (string | null | undefined)[]): void {
  for (const id of ids) if (!isKnownFlavor(table, id)) throw invalid(`Unable to find flavor ${id}.`);
}
