/**
 * @module cli/commands/nodegroups — `nodegroup-create|list|show|update|delete`: python-magnumclient's node group
 * commands (`openstack coe nodegroup …`; its `magnum` shell has none) with their arguments, columns and messages.
 */

import { Argument, Option } from 'commander';
import type { Command } from 'commander';
import type { NodegroupCreateRequest } from '../api-types.ts';
import { action, describeError } from '../context.ts';
import type { CliContext } from '../context.ts';
import { parseLabels } from '../labels.ts';
import { formatOption, renderList, renderObject } from '../output-format.ts';
import type { OutputFormat } from '../output-format.ts';
import { argsToPatch, PATCH_OPS } from '../patch-args.ts';
import { formatListTable, pyStr, renderTable } from '../table.ts';
import { WAIT_CHANGE_HELP } from './cluster-changes.ts';
import { followChange, markTimeline } from './cluster-wait.ts';
import { collect, parseInteger, parseNonNegativeInteger } from './common.ts';

/** Columns of `nodegroup-list`. */
export const NODEGROUP_LIST_COLUMNS: readonly string[] = [
  'uuid',
  'name',
  'flavor_id',
  'image_id',
  'node_count',
  'status',
  'role',
];

/** Fields of `nodegroup-show`, in openstackclient's order. */
export const NODEGROUP_SHOW_FIELDS: readonly string[] = [
  'uuid',
  'name',
  'cluster_id',
  'project_id',
  'docker_volume_size',
  'labels',
  'labels_overridden',
  'labels_skipped',
  'labels_added',
  'flavor_id',
  'image_id',
  'node_addresses',
  'node_count',
  'role',
  'max_node_count',
  'min_node_count',
  'is_default',
  'stack_id',
  'status',
  'status_reason',
];

/** Parsed options of `nodegroup-create`. */
export interface NodegroupCreateOptions {
  dockerVolumeSize?: number;
  labels?: string[];
  nodeCount: number;
  minNodes: number;
  maxNodes?: number;
  role: string;
  image?: string;
  flavor?: string;
  mergeLabels?: boolean;
  wait?: boolean;
}

/** The `POST …/nodegroups` body as openstackclient builds it (node/min counts and role always sent). */
export function buildNodegroupCreateRequest(name: string, opts: NodegroupCreateOptions): NodegroupCreateRequest {
  const request: NodegroupCreateRequest = {
    name,
    node_count: opts.nodeCount,
    max_node_count: opts.maxNodes ?? null,
    min_node_count: opts.minNodes,
    role: opts.role,
  };
  if (opts.labels !== undefined) request.labels = parseLabels(opts.labels);
  if (opts.dockerVolumeSize !== undefined) request.docker_volume_size = opts.dockerVolumeSize;
  if (opts.flavor !== undefined) request.flavor_id = opts.flavor;
  if (opts.image !== undefined) request.image_id = opts.image;
  if (opts.mergeLabels) request.merge_labels = true;
  return request;
}

/** The node group's show fields in order (absent ones as `null`). */
export function nodegroupShowObject(nodegroup: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(NODEGROUP_SHOW_FIELDS.map((f) => [f, nodegroup[f] ?? null]));
}

/** openstackclient's `Field | Value` table of a node group (values as Python `str()`, so `None` for null). */
export function formatNodegroupTable(object: Record<string, unknown>): string {
  return renderTable(
    ['Field', 'Value'],
    Object.entries(object).map(([k, v]) => [k, pyStr(v)]),
  );
}

/** Registers the node group commands on `program`. */
export function registerNodegroupCommands(program: Command, ctx: CliContext): void {
  program
    .command('nodegroup-create')
    .description('Create a nodegroup.')
    .argument('<cluster>', 'ID or name of the cluster where the nodegroup is created.')
    .argument('<name>', 'Name of the nodegroup to create.')
    .option('--docker-volume-size <docker-volume-size>', 'The size in GB for the docker volume to use.', parseInteger)
    .option(
      '--labels <KEY1=VALUE1,KEY2=VALUE2;KEY3=VALUE3...>',
      'Arbitrary labels in the form of key=value pairs to associate with a nodegroup. May be used multiple times.',
      collect,
    )
    .option('--node-count <node-count>', 'The nodegroup node count.', parseInteger, 1)
    .option('--min-nodes <min-nodes>', 'The nodegroup minimum node count.', parseInteger, 0)
    .option('--max-nodes <max-nodes>', 'The nodegroup maximum node count.', parseInteger)
    .option('--role <role>', 'The role of the nodegroup.', 'worker')
    .option('--image <image>', 'The name or UUID of the base image to customize for the NodeGroup.')
    .option('--flavor <flavor>', 'The nova flavor name or UUID to use when launching the nodes in this NodeGroup.')
    .option('--merge-labels', 'The labels provided will be merged with the labels configured in the cluster.')
    .option('--wait', WAIT_CHANGE_HELP)
    .action(
      action(ctx, async (cluster: string, name: string, opts: NodegroupCreateOptions) => {
        const request = buildNodegroupCreateRequest(name, opts);
        const mark = opts.wait ? await markTimeline(ctx, cluster) : null;
        const nodegroup = await ctx.client().createNodegroup(mark?.uuid ?? cluster, request);
        ctx.print(`Request to create nodegroup ${nodegroup.uuid} accepted`);
        return mark ? followChange(ctx, mark) : 0;
      }),
    );

  program
    .command('nodegroup-list')
    .description('List nodegroups.')
    .argument('<cluster>', 'ID or name of the cluster where the nodegroup belongs.')
    .option('--limit <limit>', 'Maximum number of nodegroups to return.', parseNonNegativeInteger)
    .option('--sort-key <sort-key>', 'Column to sort results by.')
    .addOption(new Option('--sort-dir <sort-dir>', 'Direction to sort.').choices(['asc', 'desc']))
    .option('--role <role>', 'List the nodegroups in the cluster with this role.')
    .addOption(formatOption())
    .action(
      action(
        ctx,
        async (
          cluster: string,
          opts: { limit?: number; sortKey?: string; sortDir?: 'asc' | 'desc'; role?: string; format: OutputFormat },
        ) => {
          const nodegroups = await ctx.client().listNodegroups(cluster, {
            limit: opts.limit,
            sortKey: opts.sortKey,
            sortDir: opts.sortDir,
            query: opts.role ? { role: opts.role } : {},
          });
          const columns = NODEGROUP_LIST_COLUMNS.map((field) => ({ header: field, field }));
          const out = renderList(opts.format, nodegroups, columns, () => formatListTable(nodegroups, columns));
          if (out !== null) ctx.print(out);
        },
      ),
    );

  program
    .command('nodegroup-show')
    .description('Show a nodegroup.')
    .argument('<cluster>', 'ID or name of the cluster where the nodegroup belongs.')
    .argument('<nodegroup>', 'ID or name of the nodegroup to show.')
    .addOption(formatOption())
    .action(
      action(ctx, async (cluster: string, ident: string, opts: { format: OutputFormat }) => {
        const nodegroup = await ctx.client().getNodegroup(cluster, ident);
        ctx.print(renderObject(opts.format, nodegroupShowObject(nodegroup), formatNodegroupTable));
      }),
    );

  program
    .command('nodegroup-update')
    .description('Update a nodegroup.')
    .argument('<cluster>', 'ID or name of the cluster where the nodegroup belongs.')
    .argument('<nodegroup>', 'The name or UUID of the nodegroup to update.')
    .addArgument(new Argument('<op>', "Operations: one of 'add', 'replace' or 'remove'.").choices(PATCH_OPS))
    .argument('<path=value...>', 'Attributes to add/replace or remove (only PATH is necessary on remove).')
    .action(
      action(ctx, async (cluster: string, ident: string, op: string, attributes: string[]) => {
        await ctx.client().updateNodegroup(cluster, ident, argsToPatch(op, attributes));
        ctx.print(`Request to update nodegroup ${ident} has been accepted.`);
      }),
    );

  program
    .command('nodegroup-delete')
    .description('Delete a nodegroup.')
    .argument('<cluster>', 'ID or name of the cluster where the nodegroup(s) belong(s).')
    .argument('<nodegroup...>', 'ID or name of the nodegroup(s) to delete.')
    .option('--wait', WAIT_CHANGE_HELP)
    .action(
      action(ctx, async (cluster: string, idents: string[], opts: { wait?: boolean }) => {
        const mark = opts.wait ? await markTimeline(ctx, cluster) : null;
        let failed = 0;
        for (const ident of idents) {
          try {
            await ctx.client().deleteNodegroup(mark?.uuid ?? cluster, ident);
            ctx.print(`Request to delete nodegroup ${ident} has been accepted.`);
          } catch (err) {
            failed++;
            ctx.warn(`Delete for nodegroup ${ident} failed: ${describeError(err)}`);
          }
        }
        if (mark && failed < idents.length && (await followChange(ctx, mark)) !== 0) failed++;
        return failed > 0 ? 1 : 0;
      }),
    );
}
