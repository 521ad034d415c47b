/** @module cli/commands/common — option parsers and output helpers shared by the commands. */

import { InvalidArgumentError } from 'commander';
import { CliError } from '../errors.ts';
import { fieldTitle, pyRepr } from '../table.ts';
import type { ListColumn } from '../table.ts';

/** Commander argument parser for integer options (`--node-count 3`). */
export function parseInteger(value: string): number {
  if (!/^[+-]?\d+$/.test(value.trim())) throw new InvalidArgumentError('not an integer.');
  return Number.parseInt(value, 10);
}

/** Commander argument parser for non-negative integer options (`--limit 0`). */
export function parseNonNegativeInteger(value: string): number {
  const n = parseInteger(value);
  if (n < 0) throw new InvalidArgumentError('must not be negative.');
  return n;
}

/** Commander reducer for repeatable options (`--labels a=b --labels c=d`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Picks the name given positionally or with the deprecated `--name`; both at once is an error, as in magnumclient. */
export function resolveName(positional: string | undefined, option: string | undefined): string | undefined {
  if (positional !== undefined && option !== undefined) {
    throw new CliError(`Duplicate "<name>" arguments: ${positional}, ${option}`);
  }
  return positional ?? option;
}

/** Picks the value of an option or of its deprecated alias (`--image` / `--image-id`); both at once is an error. */
export function eitherOption<T>(
  current: T | undefined,
  currentFlag: string,
  old: T | undefined,
  oldFlag: string,
): T | undefined {
  if (current !== undefined && old !== undefined) {
    throw new CliError(`argument ${currentFlag}: not allowed with argument ${oldFlag}`);
  }
  return current ?? old;
}

/**
 * Columns of a list table: the fixed ones, then those named in `--fields` (comma-separated, titled like
 * magnumclient: `image_id` → `Image Id`). Fields are only checked against the first item; with no items `--fields`
 * is ignored.
 *
 * @throws CliError for fields the items do not have.
 */
export function listColumns(
  base: readonly string[],
  fields: string | undefined,
  items: readonly Record<string, unknown>[],
): ListColumn[] {
  const columns: ListColumn[] = base.map((field) => ({ header: field, field }));
  const first = items[0];
  if (!fields || first === undefined) return columns;
  const seen = new Set(base.map((f) => f.toLowerCase()));
  const missing: string[] = [];
  for (const field of fields.split(',')) {
    if (!Object.hasOwn(first, field)) {
      missing.push(field);
      continue;
    }
    if (seen.has(field)) continue;
    seen.add(field);
    columns.push({ header: fieldTitle(field), field });
  }
  if (missing.length > 0) throw new CliError(`Non-existent fields are specified: ${pyRepr(missing)}`);
  return columns;
}

/** A copy of an API object without its `links`, which the *-show tables leave out. */
export function withoutLinks<T extends Record<string, unknown>>(object: T): Record<string, unknown> {
  const { links: _links, ...rest } = object;
  return rest;
}
