/** @module cli/commands/clusters — `cluster-create|list|show|delete` with magnum's flags, plus `--wait` progress. */

import { Option } from 'commander';
import type { Command } from 'commander';
import type { ClusterCreateRequest, ClusterTemplate } from '../api-client.ts';
import { action, describeError } from '../context.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { parseLabels } from '../labels.ts';
import { formatOption, renderList, renderObject } from '../output-format.ts';
import type { OutputFormat } from '../output-format.ts';
import { formatListTable, formatPropertyTable } from '../table.ts';
import {
  collect,
  eitherOption,
  listColumns,
  parseInteger,
  parseNonNegativeInteger,
  resolveName,
  withoutLinks,
} from './common.ts';
import { followCluster, markTimeline } from './cluster-wait.ts';

/** Columns of `cluster-list` (those of `openstack coe cluster list`). */
export const CLUSTER_LIST_COLUMNS: readonly string[] = [
  'uuid',
  'name',
  'keypair',
  'node_count',
  'master_count',
  'status',
  'health_status',
];

/** Parsed options of `cluster-create`. */
export interface ClusterCreateOptions {
  name?: string;
  clusterTemplate: string;
  keypair?: string;
  keypairId?: string;
  dockerVolumeSize?: number;
  labels?: string[];
  mergeLabels?: boolean;
  masterCount?: number;
  nodeCount?: number;
  timeout?: number;
  discoveryUrl?: string;
  masterFlavor?: string;
  flavor?: string;
  fixedNetwork?: string;
  fixedSubnet?: string;
  floatingIpEnabled?: boolean;
  floatingIpDisabled?: boolean;
  masterLbEnabled?: boolean;
  masterLbDisabled?: boolean;
  wait?: boolean;
}

/**
 * Builds the `POST /v1/clusters` body; `template` is the already resolved cluster template. Options not given are
 * left out so the server inherits them from the template.
 *
 * @throws CliError for conflicting options or malformed labels.
 */
export function buildClusterCreateRequest(
  positionalName: string | undefined,
  opts: ClusterCreateOptions,
  template: ClusterTemplate,
): ClusterCreateRequest {
  const name = resolveName(positionalName, opts.name);
  if (opts.floatingIpEnabled && opts.floatingIpDisabled) {
    throw new CliError(
      '--floating-ip-enabled and --floating-ip-disabled are mutually exclusive and should be specified only once.',
    );
  }
  if (opts.masterLbEnabled && opts.masterLbDisabled) {
    throw new CliError(
      '--master-lb-enabled and --master-lb-disabled are mutually exclusive and should be specified only once.',
    );
  }
  const request: ClusterCreateRequest = { cluster_template_id: template.uuid };
  const optional: Partial<ClusterCreateRequest> = {
    name,
    keypair: eitherOption(opts.keypair, '--keypair', opts.keypairId, '--keypair-id'),
    docker_volume_size: opts.dockerVolumeSize,
    labels: opts.labels === undefined ? undefined : parseLabels(opts.labels),
    merge_labels: opts.mergeLabels ? true : undefined,
    master_count: opts.masterCount,
    node_count: opts.nodeCount,
    create_timeout: opts.timeout,
    discovery_url: opts.discoveryUrl,
    master_flavor_id: opts.masterFlavor,
    flavor_id: opts.flavor,
    fixed_network: opts.fixedNetwork,
    fixed_subnet: opts.fixedSubnet,
    floating_ip_enabled: opts.floatingIpEnabled ? true : opts.floatingIpDisabled ? false : undefined,
    master_lb_enabled: opts.masterLbEnabled ? true : opts.masterLbDisabled ? false : undefined,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (request as unknown as Record<string, unknown>)[key] = value;
  }
  return request;
}

/** Registers the cluster commands on `program`. */
export function registerClusterCommands(program: Command, ctx: CliContext): void {
  const keypairId = new Option('--keypair-id <keypair>', 'Deprecated alias of --keypair.').hideHelp();
  program
    .command('cluster-create')
    .description('Create a cluster.')
    .argument('[name]', 'Name of the cluster to create.')
    .option('--name <name>', 'Name of the cluster to create (deprecated: use the positional <name>).')
    .requiredOption('--cluster-template <cluster_template>', 'ID or name of the cluster template.')
    .option('--keypair <keypair>', 'Name of the keypair to use for this cluster.')
    .addOption(keypairId)
    .option('--docker-volume-size <docker-volume-size>', 'The size in GB for the docker volume to use.', parseInteger)
    .option(
      '--labels <KEY1=VALUE1,KEY2=VALUE2;KEY3=VALUE3...>',
      'Arbitrary labels in the form of key=value pairs. May be used multiple times.',
      collect,
    )
    .option('--merge-labels', "Merge the given labels with the cluster template's labels.")
    .option('--master-count <master-count>', 'The number of master nodes for the cluster.', parseInteger)
    .option('--node-count <node-count>', 'The cluster node count.', parseInteger)
    .option('--timeout <timeout>', 'The timeout for cluster creation in minutes (server default 60).', parseInteger)
    .option('--discovery-url <discovery-url>', 'Specifies custom discovery url for node discovery.')
    .option('--master-flavor <master-flavor>', 'The nova flavor name or UUID to use for the master nodes.')
    .option('--flavor <flavor>', 'The nova flavor name or UUID to use when launching the Cluster.')
    .option('--fixed-network <fixed-network>', 'The private Neutron network name to connect to this Cluster.')
    .option('--fixed-subnet <fixed-subnet>', 'The private Neutron subnet name to connect to Cluster.')
    .option('--floating-ip-enabled', 'The Cluster gets floating ips.')
    .option('--floating-ip-disabled', 'The Cluster gets no floating ips.')
    .option('--master-lb-enabled', 'The Cluster gets a load balancer for its master nodes.')
    .option('--master-lb-disabled', 'The Cluster gets no load balancer for its master nodes.')
    .option('--wait', 'Follow the progress until the cluster is CREATE_COMPLETE (exit 0) or failed (exit 1).')
    .action(
      action(ctx, async (name: string | undefined, opts: ClusterCreateOptions) => {
        const client = ctx.client();
        const template = await client.getClusterTemplate(opts.clusterTemplate);
        const request = buildClusterCreateRequest(name, opts, template);
        const uuid = await client.createCluster(request);
        ctx.print(`Request to create cluster ${uuid} has been accepted.`);
        return opts.wait ? followCluster(ctx, uuid, 'create') : 0;
      }),
    );

  program
    .command('cluster-list')
    .description('Print a list of available clusters.')
    .option('--marker <marker>', 'The last cluster UUID of the previous page.')
    .option('--limit <limit>', 'Maximum number of clusters to return.', parseNonNegativeInteger)
    .option('--sort-key <sort-key>', 'Column to sort results by.')
    .addOption(new Option('--sort-dir <sort-dir>', 'Direction to sort.').choices(['asc', 'desc']))
    .option('--fields <fields>', 'Comma-separated list of fields to display.')
    .addOption(formatOption())
    .action(
      action(
        ctx,
        async (opts: {
          marker?: string;
          limit?: number;
          sortKey?: string;
          sortDir?: 'asc' | 'desc';
          fields?: string;
          format: OutputFormat;
        }) => {
          const clusters = await ctx.client().listClusters({
            marker: opts.marker,
            limit: opts.limit,
            sortKey: opts.sortKey,
            sortDir: opts.sortDir,
          });
          const columns = listColumns(CLUSTER_LIST_COLUMNS, opts.fields, clusters);
          const out = renderList(opts.format, clusters, columns, () => formatListTable(clusters, columns));
          if (out !== null) ctx.print(out);
        },
      ),
    );

  program
    .command('cluster-show')
    .description('Show details about the given cluster.')
    .argument('<cluster>', 'ID or name of the cluster to show.')
    .option('--long', 'Display extra associated cluster template info.')
    .addOption(formatOption())
    .action(
      action(ctx, async (ident: string, opts: { long?: boolean; format: OutputFormat }) => {
        const client = ctx.client();
        const cluster: Record<string, unknown> = { ...(await client.getCluster(ident)) };
        if (opts.long) {
          const template = await client.getClusterTemplate(String(cluster['cluster_template_id']));
          for (const [key, value] of Object.entries(template)) {
            if (key === 'links' || key === 'uuid') continue;
            if (!Object.hasOwn(cluster, `clustertemplate_${key}`)) cluster[`clustertemplate_${key}`] = value;
          }
        }
        ctx.print(renderObject(opts.format, withoutLinks(cluster), (o) => formatPropertyTable(o)));
      }),
    );

  program
    .command('cluster-delete')
    .description('Delete specified cluster.')
    .argument('<cluster...>', 'ID or name of the (cluster)s to delete.')
    .option(
      '--wait',
      "Print each cluster's teardown timeline until it is gone (exit 0) or DELETE_FAILED with its reason (exit 1).",
    )
    .action(
      action(ctx, async (idents: string[], opts: { wait?: boolean }) => {
        const client = ctx.client();
        const pending: { ident: string; uuid: string; seen: number; lastId: number }[] = [];
        let failed = 0;
        for (const ident of idents) {
          try {
            const mark = opts.wait ? await markTimeline(ctx, ident) : null;
            await client.deleteCluster(mark?.uuid ?? ident);
            ctx.print(`Request to delete cluster ${ident} has been accepted.`);
            if (mark) pending.push({ ident, ...mark });
          } catch (err) {
            failed++;
            ctx.warn(`Delete for cluster ${ident} failed: ${describeError(err)}`);
          }
        }
        // In parallel: a cluster's timeline is removed with it, so each must be followed while it is torn down.
        const codes = await Promise.all(
          pending.map(({ ident, uuid, seen, lastId }) =>
            followCluster(ctx, uuid, 'delete', seen, pending.length > 1 ? `${ident}: ` : '', lastId),
          ),
        );
        failed += codes.filter((code) => code !== 0).length;
        return failed > 0 ? 1 : 0;
      }),
    );
}
