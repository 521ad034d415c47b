/**
 * @module cli/commands/cluster-changes — `cluster-update` (JSON PATCH), `cluster-resize` and `cluster-upgrade`, with
 * python-magnumclient's arguments and messages, plus `--wait` to follow the queued change on the event timeline.
 */

import { Argument } from 'commander';
import type { Command } from 'commander';
import type { ResizeRequest, UpgradeRequest } from '../api-types.ts';
import { action } from '../context.ts';
import type { CliContext } from '../context.ts';
import { argsToPatch, PATCH_OPS } from '../patch-args.ts';
import { collect, parseInteger } from './common.ts';
import { followChange, markTimeline } from './cluster-wait.ts';

/** Description of `--wait` on the commands that queue a change. */
export const WAIT_CHANGE_HELP =
  'Follow the change on the event timeline until the cluster leaves *_IN_PROGRESS (exit 0 on *_COMPLETE, 1 on *_FAILED).';

/** Parsed options of `cluster-resize`. */
export interface ResizeOptions {
  nodesToRemove?: string[];
  nodegroup?: string;
  wait?: boolean;
}

/** The `POST …/actions/resize` body: only the options given, like magnumclient. */
export function buildResizeRequest(nodeCount: number, opts: ResizeOptions): ResizeRequest {
  const request: ResizeRequest = { node_count: nodeCount };
  if (opts.nodesToRemove && opts.nodesToRemove.length > 0) request.nodes_to_remove = [...opts.nodesToRemove];
  if (opts.nodegroup) request.nodegroup = opts.nodegroup;
  return request;
}

/** Parsed options of `cluster-upgrade`. */
export interface UpgradeOptions {
  maxBatchSize: number;
  nodegroup?: string;
  wait?: boolean;
}

/** The `POST …/actions/upgrade` body (magnumclient sends `max_batch_size` unless it is 0). */
export function buildUpgradeRequest(template: string, opts: UpgradeOptions): UpgradeRequest {
  const request: UpgradeRequest = { cluster_template: template };
  if (opts.maxBatchSize) request.max_batch_size = opts.maxBatchSize;
  if (opts.nodegroup) request.nodegroup = opts.nodegroup;
  return request;
}

/** Registers `cluster-update`, `cluster-resize` and `cluster-upgrade` on `program`. */
export function registerClusterChangeCommands(program: Command, ctx: CliContext): void {
  program
    .command('cluster-update')
    .description('Update information about the given cluster.')
    .argument('<cluster>', 'UUID or name of cluster.')
    .addArgument(new Argument('<op>', "Operations: 'add', 'replace' or 'remove'.").choices(PATCH_OPS))
    .argument('<path=value...>', 'Attributes to add/replace or remove (only PATH is necessary on remove).')
    .option('--rollback', 'Rollback cluster on update failure.')
    .option('--wait', WAIT_CHANGE_HELP)
    .action(
      action(
        ctx,
        async (ident: string, op: string, attributes: string[], opts: { rollback?: boolean; wait?: boolean }) => {
          const patch = argsToPatch(op, attributes);
          const mark = opts.wait ? await markTimeline(ctx, ident) : null;
          await ctx.client().updateCluster(mark?.uuid ?? ident, patch, opts.rollback === true);
          ctx.print(`Request to update cluster ${ident} has been accepted.`);
          return mark ? followChange(ctx, mark) : 0;
        },
      ),
    );

  program
    .command('cluster-resize')
    .description('Resize a cluster: set the node count of its default worker node group or of --nodegroup.')
    .argument('<cluster>', 'The name or UUID of cluster to update.')
    .argument('<node_count>', 'Desired node count of the cluster.', parseInteger)
    .option(
      '--nodes-to-remove <Server UUID>',
      'Server ID (or name) of a node to be removed. Repeat to add more server IDs.',
      collect,
    )
    .option('--nodegroup <nodegroup>', 'The name or UUID of the nodegroup of current cluster.')
    .option('--wait', WAIT_CHANGE_HELP)
    .action(
      action(ctx, async (ident: string, nodeCount: number, opts: ResizeOptions) => {
        const request = buildResizeRequest(nodeCount, opts);
        const mark = await markTimeline(ctx, ident);
        await ctx.client().resizeCluster(mark.uuid, request);
        ctx.print(`Request to resize cluster ${ident} has been accepted.`);
        return opts.wait ? followChange(ctx, mark) : 0;
      }),
    );

  program
    .command('cluster-upgrade')
    .description('Upgrade a cluster (or one node group) to another cluster template.')
    .argument('<cluster>', 'The name or UUID of cluster to update.')
    .argument('<cluster_template>', 'The new cluster template ID will be upgraded to.')
    .option('--max-batch-size <max_batch_size>', 'The max batch size for upgrading each time.', parseInteger, 1)
    .option('--nodegroup <nodegroup>', 'The name or UUID of the nodegroup of current cluster.')
    .option('--wait', WAIT_CHANGE_HELP)
    .action(
      action(ctx, async (ident: string, template: string, opts: UpgradeOptions) => {
        const request = buildUpgradeRequest(template, opts);
        const mark = await markTimeline(ctx, ident);
        await ctx.client().upgradeCluster(mark.uuid, request);
        ctx.print(`Request to upgrade cluster ${ident} has been accepted.`);
        return opts.wait ? followChange(ctx, mark) : 0;
      }),
    );
}
