/** @module cli/commands/services — `service-list`: the API and conductor processes and their heartbeats. */

import type { Command } from 'commander';
import { action } from '../context.ts';
import type { CliContext } from '../context.ts';
import { formatOption, renderList } from '../output-format.ts';
import type { OutputFormat } from '../output-format.ts';
import { formatListTable } from '../table.ts';

/** Columns of `service-list`. */
export const SERVICE_LIST_COLUMNS: readonly string[] = [
  'id',
  'host',
  'binary',
  'state',
  'disabled',
  'disabled_reason',
  'created_at',
  'updated_at',
];

/** Rows sorted by `id` like magnumclient's `print_list` (numbers numerically, then text). */
export function sortById<T extends Record<string, unknown>>(items: readonly T[]): T[] {
  const key = (v: unknown): [number, number, string] => (typeof v === 'number' ? [0, v, ''] : [1, 0, String(v ?? '')]);
  return [...items].sort((a, b) => {
    const [ka, na, sa] = key(a['id']);
    const [kb, nb, sb] = key(b['id']);
    return ka - kb || na - nb || (sa < sb ? -1 : sa > sb ? 1 : 0);
  });
}

/** Registers `service-list` on `program`. */
export function registerServiceListCommand(program: Command, ctx: CliContext): void {
  program
    .command('service-list')
    .description('Print a list of magnum services.')
    .addOption(formatOption())
    .action(
      action(ctx, async (opts: { format: OutputFormat }) => {
        const services = sortById(await ctx.client().listServices());
        const columns = SERVICE_LIST_COLUMNS.map((field) => ({ header: field, field }));
        const out = renderList(opts.format, services, columns, () => formatListTable(services, columns));
        if (out !== null) ctx.print(out);
      }),
    );
}
