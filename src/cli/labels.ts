/** @module cli/labels — parsing of repeated `--labels` options the way magnumclient merges them. */

import { CliError } from './errors.ts';

/**
 * Turns the values of every `--labels` occurrence into a label map, following magnumclient's `handle_labels`:
 *
 * - a single `--labels` holding more than one `=` is split on `,` and `;` (`a=1,b=2;c=3`);
 * - otherwise each occurrence is one `KEY=VALUE` (the value may then contain commas: `--labels a=1,2`);
 * - each item is split at its first `=`; a repeated key appends `,VALUE` to the earlier value.
 *
 * @throws CliError when an item has no `=` or an empty key.
 */
export function parseLabels(values: readonly string[] | undefined): Record<string, string> {
  if (!values || values.length === 0) return {};
  let items: string[] = [...values];
  const only = values.length === 1 ? values[0] : undefined;
  if (only !== undefined && only.split('=').length - 1 > 1) items = only.replace(/;/g, ',').split(',');
  const labels: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new CliError(`labels must be a list of KEY=VALUE not ${JSON.stringify(item)}`);
    }
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    labels[key] = Object.hasOwn(labels, key) ? `${labels[key]},${value}` : value;
  }
  return labels;
}
