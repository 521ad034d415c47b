/**
 * @module cli/commands/services — `service-list` (magnumclient's: the conductor hosts, as Magnum lists them) and
 * Magnetar's `process-list` (every api and conductor process and its heartbeat).
 */

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

/** Registers `service-list` and `process-list` on `program`. */
export function registerServiceListCommand(program: Command, ctx: CliContext): void {
  const commands = [
    ['service-list', 'Print a list of magnum services.', () => ctx.client().listServices()],
    [
      'process-list',
      'Print every Magnetar api and conductor process with its heartbeat (GET /v1/processes).',
      () => ctx.client().listProcesses(),
    ],
  ] as const;
  for (const [name, description, list] of commands) {
    program
      .command(name)
      .description(description)
      .addOption(formatOption())
      .action(
        action(ctx, async (opts: { format: OutputFormat }) => {
          const services = sortById(await list());
          const columns = SERVICE_LIST_COLUMNS.map((field) => ({ header: field, field }));
          const out = renderList(opts.format, services, columns, () => formatListTable(services, columns));
          if (out !== null) ctx.print(out);
        }),
      );
  }
}
