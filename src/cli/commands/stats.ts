/** @module cli/commands/stats — `stats-list`: cluster and node counts of a project (admins: of all projects). */

import type { Command } from 'commander';
import { action } from '../context.ts';
import type { CliContext } from '../context.ts';
import { formatOption, renderObject } from '../output-format.ts';
import type { OutputFormat } from '../output-format.ts';
import { formatPropertyTable } from '../table.ts';

/** Registers `stats-list` on `program`. */
export function registerStatsListCommand(program: Command, ctx: CliContext): void {
  program
    .command('stats-list')
    .description('Show stats for the given project_id.')
    .argument('[project_id]', 'Project ID (as openstackclient takes it).')
    .option('--project-id <project-id>', 'Project ID.')
    .addOption(formatOption())
    .action(
      action(ctx, async (positional: string | undefined, opts: { projectId?: string; format: OutputFormat }) => {
        const stats = await ctx.client().getStats(opts.projectId ?? positional);
        ctx.print(renderObject(opts.format, stats, (o) => formatPropertyTable(o)));
      }),
    );
}
