/** @module cli/commands/cluster-events — `cluster-events <cluster> [--follow]`: the cluster's event timeline. */

import { Option } from 'commander';
import type { Command } from 'commander';
import { action } from '../context.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { OUTPUT_FORMATS, renderList } from '../output-format.ts';
import type { OutputFormat } from '../output-format.ts';
import { formatListTable } from '../table.ts';
import { parseNonNegativeInteger } from './common.ts';
import { followCluster, formatEvent } from './cluster-wait.ts';

/** Columns of `cluster-events --format …`. */
const EVENT_COLUMNS = ['id', 'time', 'level', 'phase', 'message', 'cause'].map((field) => ({ header: field, field }));

/** Registers `cluster-events` on `program`. */
export function registerClusterEventsCommand(program: Command, ctx: CliContext): void {
  program
    .command('cluster-events')
    .description(
      "Show a cluster's event timeline (what the conductor did); --follow streams new events until it settles.",
    )
    .argument('<cluster>', 'ID or name of the cluster.')
    .option('--follow', 'Keep printing new events until no operation runs on the cluster (exit 1 if it ends *_FAILED).')
    .option('--after <id>', 'Only events after this event id.', parseNonNegativeInteger)
    .addOption(
      new Option('-f, --format <format>', 'Output format (default: one line per event).')
        .choices(OUTPUT_FORMATS)
        .conflicts('follow'),
    )
    .action(
      action(ctx, async (ident: string, opts: { follow?: boolean; after?: number; format?: OutputFormat }) => {
        const client = ctx.client();
        const cluster = await client.getCluster(ident);
        const after = opts.after ?? 0;
        if (opts.follow) return followCluster(ctx, cluster.uuid, 'follow', 0, '', after);
        const events = await client.listClusterEvents(cluster.uuid);
        if (events === null) throw new CliError('The server has no event timeline (GET /v1/clusters/{id}/events).');
        const shown = events.filter((event) => event.id === undefined || event.id > after);
        if (opts.format !== undefined) {
          const items = shown as unknown as Record<string, unknown>[];
          const out = renderList(opts.format, items, EVENT_COLUMNS, () => formatListTable(items, EVENT_COLUMNS));
          if (out !== null) ctx.print(out);
          return 0;
        }
        for (const event of shown) ctx.print(formatEvent(event));
        return 0;
      }),
    );
}
