/** @module cli/commands/quotas — `quotas-create|list|show|update|delete` with python-magnumclient's flags and output. */

import { Option } from 'commander';
import type { Command } from 'commander';
import type { QuotaRequest } from '../api-types.ts';
import { action } from '../context.ts';
import type { CliContext } from '../context.ts';
import { formatOption, renderList, renderObject } from '../output-format.ts';
import type { OutputFormat } from '../output-format.ts';
import { formatListTable, formatPropertyTable } from '../table.ts';
import { parseInteger, parseNonNegativeInteger } from './common.ts';

/** Columns of `quotas-list`. */
export const QUOTA_LIST_COLUMNS: readonly string[] = ['project_id', 'resource', 'hard_limit'];

interface QuotaKeyOptions {
  projectId: string;
  resource: string;
}

/** Registers the quota commands on `program`. */
export function registerQuotaCommands(program: Command, ctx: CliContext): void {
  const show = (format: OutputFormat, quota: Record<string, unknown>): void =>
    ctx.print(renderObject(format, quota, (o) => formatPropertyTable(o)));

  // quotas-create and quotas-update take the same arguments and print the quota; only the request differs
  const writes = [
    ['quotas-create', 'Create a quota.', (r: QuotaRequest) => ctx.client().createQuota(r)],
    [
      'quotas-update',
      'Update information about the given project resource quota.',
      (r: QuotaRequest) => ctx.client().updateQuota(r),
    ],
  ] as const;
  for (const [name, description, send] of writes) {
    program
      .command(name)
      .description(description)
      .requiredOption('--project-id <project-id>', 'Project Id.')
      .requiredOption('--resource <resource>', 'Resource name.')
      .option('--hard-limit <hard-limit>', 'Max resource limit.', parseInteger, 1)
      .addOption(formatOption())
      .action(
        action(ctx, async (opts: QuotaKeyOptions & { hardLimit: number; format: OutputFormat }) => {
          show(
            opts.format,
            await send({ project_id: opts.projectId, resource: opts.resource, hard_limit: opts.hardLimit }),
          );
        }),
      );
  }

  program
    .command('quotas-show')
    .description('Show details about the given project resource quota.')
    .requiredOption('--project-id <project-id>', 'Project ID.')
    .requiredOption('--resource <resource>', 'Resource name.')
    .addOption(formatOption())
    .action(
      action(ctx, async (opts: QuotaKeyOptions & { format: OutputFormat }) => {
        show(opts.format, await ctx.client().getQuota(opts.projectId, opts.resource));
      }),
    );

  program
    .command('quotas-delete')
    .description('Delete specified resource quota.')
    .requiredOption('--project-id <project-id>', 'Project ID.')
    .requiredOption('--resource <resource>', 'Resource name.')
    .action(
      action(ctx, async (opts: QuotaKeyOptions) => {
        await ctx.client().deleteQuota(opts.projectId, opts.resource);
        ctx.print(
          `Request to delete quota for project id ${opts.projectId} and resource ${opts.resource} has been accepted.`,
        );
      }),
    );

  program
    .command('quotas-list')
    .description('Print a list of available quotas.')
    .option('--marker <marker>', 'The last quota ID of the previous page; displays list of quotas after "marker".')
    .option('--limit <limit>', 'Maximum number of quotas to return.', parseNonNegativeInteger)
    .option('--sort-key <sort-key>', 'Column to sort results by.')
    .addOption(new Option('--sort-dir <sort-dir>', 'Direction to sort.').choices(['asc', 'desc']))
    .option('--all-tenants', 'Flag to indicate list all tenant quotas.')
    .addOption(formatOption())
    .action(
      action(
        ctx,
        async (opts: {
          marker?: string;
          limit?: number;
          sortKey?: string;
          sortDir?: 'asc' | 'desc';
          allTenants?: boolean;
          format: OutputFormat;
        }) => {
          const quotas = await ctx.client().listQuotas({
            marker: opts.marker,
            limit: opts.limit,
            sortKey: opts.sortKey,
            sortDir: opts.sortDir,
            allTenants: opts.allTenants === true,
          });
          const columns = QUOTA_LIST_COLUMNS.map((field) => ({ header: field, field }));
          const out = renderList(opts.format, quotas, columns, () => formatListTable(quotas, columns));
          if (out !== null) ctx.print(out);
        },
      ),
    );
}
