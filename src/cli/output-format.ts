/**
 * @module cli/output-format — `--format table|json|yaml|value` of every show and list command. `table` is
 * magnumclient's own prettytable output; `json` and `yaml` give the API's values as they are (keys are field names);
 * `value` is openstackclient's `-f value`: values only, Python `str()` of each, one per line for an object and
 * space-separated per row for a list.
 */

import { Option } from 'commander';
import { stringify } from 'yaml';
import { pyStr } from './table.ts';
import type { ListColumn } from './table.ts';

/** The output formats a show or list command accepts. */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'value'] as const;

/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The `-f, --format` option (default `table`). */
export function formatOption(): Option {
  return new Option('-f, --format <format>', 'Output format.').choices(OUTPUT_FORMATS).default('table');
}

/** Renders one object (a show command); `table` renders through `table`, which receives the object. */
export function renderObject(
  format: OutputFormat,
  object: Record<string, unknown>,
  table: (object: Record<string, unknown>) => string,
): string {
  switch (format) {
    case 'json':
      return JSON.stringify(object, null, 2);
    case 'yaml':
      return stringify(object).replace(/\n$/, '');
    case 'value':
      return Object.values(object)
        .map((v) => pyStr(v))
        .join('\n');
    case 'table':
      return table(object);
  }
}

/** The item reduced to the listed columns, keyed by field name (absent fields as `null`). */
function pick(item: Record<string, unknown>, columns: readonly ListColumn[]): Record<string, unknown> {
  return Object.fromEntries(columns.map(({ field }) => [field, item[field] ?? null]));
}

/** Renders a list (a list command) with its columns; `table` renders the magnumclient table. */
export function renderList(
  format: OutputFormat,
  items: readonly Record<string, unknown>[],
  columns: readonly ListColumn[],
  table: () => string,
): string | null {
  switch (format) {
    case 'json':
      return JSON.stringify(
        items.map((item) => pick(item, columns)),
        null,
        2,
      );
    case 'yaml':
      return items.length === 0 ? '[]' : stringify(items.map((item) => pick(item, columns))).replace(/\n$/, '');
    case 'value':
      if (items.length === 0) return null;
      return items.map((item) => columns.map(({ field }) => pyStr(item[field] ?? null)).join(' ')).join('\n');
    case 'table':
      return table();
  }
}
