/** @module cli/commands/clusters — `cluster-create|list|show|delete` with magnum's flags, plus `--wait` progress. */

import { Option } from 'commander';
import type { Command } from 'commander';
import { ApiConnectionError, ApiError } from '../api-client.ts';
import type { Cluster, ClusterCreateRequest, ClusterEvent, ClusterTemplate } from '../api-client.ts';
import { action, describeError } from '../context.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { parseLabels } from '../labels.ts';
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

/** How long a just-created cluster may answer 404 before `--wait` gives up, in milliseconds. */
const CREATE_NOT_FOUND_GRACE_MS = 30_000;

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
    master_lb_enabled: opts.masterLbEnabled ? true : undefined,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (request as unknown as Record<string, unknown>)[key] = value;
  }
  return request;
}

/** One progress line of `--wait`: `<time> <LEVEL> [<phase>] <message>`. */
export function formatEvent(event: ClusterEvent): string {
  return `${event.time} ${String(event.level).toUpperCase()} [${event.phase}] ${event.message}`;
}

/** What `--wait` is waiting for; `follow` (cluster-events --follow) waits for any final state. */
export type WaitMode = 'create' | 'delete' | 'follow';

async function getClusterOrNull(ctx: CliContext, ident: string): Promise<Cluster | null> {
  try {
    return await ctx.client().getCluster(ident);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

function printFinal(
  ctx: CliContext,
  prefix: string,
  cluster: Pick<Cluster, 'uuid' | 'status' | 'status_reason'>,
): void {
  ctx.print(`${prefix}Cluster ${cluster.uuid} status: ${cluster.status}`);
  if (cluster.status_reason) ctx.print(`${prefix}status_reason: ${cluster.status_reason}`);
}

/** Exit code of a final status: create wants CREATE_COMPLETE, delete only succeeds when the cluster is gone. */
function finalCode(mode: WaitMode, status: string): number {
  if (mode === 'create') return status === 'CREATE_COMPLETE' ? 0 : 1;
  if (mode === 'delete') return 1;
  return status.endsWith('_FAILED') ? 1 : 0;
}

/**
 * Follows the cluster through `GET /v1/clusters/{id}/events/stream`, reconnecting with `Last-Event-ID` when the
 * connection drops. `code` is null when the server has no stream (or it kept failing): the caller polls instead.
 */
async function followStream(
  ctx: CliContext,
  uuid: string,
  mode: WaitMode,
  afterId: number,
  prefix: string,
): Promise<{ code: number | null; lastId: number }> {
  const client = ctx.client();
  let lastId = afterId;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const stream = await client.openClusterEventStream(uuid, lastId);
      if (stream === null) return { code: null, lastId };
      for await (const item of stream) {
        if (item.type === 'event') {
          if (item.event.id !== undefined) {
            if (item.event.id <= lastId) continue;
            lastId = item.event.id;
          }
          ctx.print(prefix + formatEvent(item.event));
          continue;
        }
        if (item.gone) {
          ctx.print(`${prefix}Cluster ${uuid} has been deleted.`);
          return { code: mode === 'create' ? 1 : 0, lastId };
        }
        printFinal(ctx, prefix, { uuid, status: item.status, status_reason: item.statusReason });
        return { code: finalCode(mode, item.status), lastId };
      }
    } catch (err) {
      if (!(err instanceof ApiConnectionError)) throw err;
    }
    await ctx.sleep(ctx.pollIntervalMs);
  }
  return { code: null, lastId };
}

/**
 * Follows a cluster until its create or delete (or, for `follow`, whatever runs) finishes, printing each new event of
 * the timeline: from the server-sent event stream when the server has one, else by polling
 * `/v1/clusters/{id}/events` (or, when the server has no such route, printing each status change). Create: exit code
 * 0 on CREATE_COMPLETE, 1 on any other final status (`*_COMPLETE` / `*_FAILED`). Delete: 0 once the cluster is gone
 * (404), 1 on DELETE_FAILED. Follow: 1 on `*_FAILED`, else 0.
 *
 * @param seenEvents events already on the timeline that must not be printed again (polling).
 * @param afterId id of the last event already seen (stream, and polling of servers that send ids).
 */
export async function followCluster(
  ctx: CliContext,
  uuid: string,
  mode: WaitMode,
  seenEvents = 0,
  prefix = '',
  afterId = 0,
): Promise<number> {
  const streamed = await followStream(ctx, uuid, mode, afterId, prefix);
  if (streamed.code !== null) return streamed.code;
  const client = ctx.client();
  let seen = seenEvents;
  let lastId = streamed.lastId;
  let eventsRoute = true;
  let lastStatus: string | null = null;
  let missingPolls = 0;
  const maxMissingPolls = Math.max(1, Math.ceil(CREATE_NOT_FOUND_GRACE_MS / Math.max(1, ctx.pollIntervalMs)));
  for (;;) {
    const cluster = await getClusterOrNull(ctx, uuid);
    if (cluster === null) {
      if (mode !== 'create') {
        ctx.print(`${prefix}Cluster ${uuid} has been deleted.`);
        return 0;
      }
      if (++missingPolls > maxMissingPolls) throw new CliError(`Cluster ${uuid} could not be found.`);
    } else {
      missingPolls = 0;
      if (eventsRoute) {
        const events = await client.listClusterEvents(cluster.uuid);
        if (events === null) {
          eventsRoute = false;
        } else {
          for (const event of events.slice(seen)) {
            if (event.id !== undefined) {
              if (event.id <= lastId) continue;
              lastId = event.id;
            }
            ctx.print(prefix + formatEvent(event));
          }
          seen = Math.max(seen, events.length);
        }
      }
      const status = cluster.status ?? '';
      const final =
        mode === 'create'
          ? status.endsWith('_COMPLETE') || status.endsWith('_FAILED')
          : mode === 'delete'
            ? status === 'DELETE_FAILED'
            : !status.endsWith('_IN_PROGRESS');
      if (final) {
        printFinal(ctx, prefix, cluster);
        return finalCode(mode, status);
      }
      if (!eventsRoute && status !== lastStatus) ctx.print(`${prefix}Cluster ${uuid} status: ${status}`);
      lastStatus = status;
    }
    await ctx.sleep(ctx.pollIntervalMs);
  }
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
    .action(
      action(
        ctx,
        async (opts: {
          marker?: string;
          limit?: number;
          sortKey?: string;
          sortDir?: 'asc' | 'desc';
          fields?: string;
        }) => {
          const clusters = await ctx.client().listClusters({
            marker: opts.marker,
            limit: opts.limit,
            sortKey: opts.sortKey,
            sortDir: opts.sortDir,
          });
          ctx.print(formatListTable(clusters, listColumns(CLUSTER_LIST_COLUMNS, opts.fields, clusters)));
        },
      ),
    );

  program
    .command('cluster-show')
    .description('Show details about the given cluster.')
    .argument('<cluster>', 'ID or name of the cluster to show.')
    .option('--long', 'Display extra associated cluster template info.')
    .action(
      action(ctx, async (ident: string, opts: { long?: boolean }) => {
        const client = ctx.client();
        const cluster: Record<string, unknown> = { ...(await client.getCluster(ident)) };
        if (opts.long) {
          const template = await client.getClusterTemplate(String(cluster['cluster_template_id']));
          for (const [key, value] of Object.entries(template)) {
            if (key === 'links' || key === 'uuid') continue;
            if (!Object.hasOwn(cluster, `clustertemplate_${key}`)) cluster[`clustertemplate_${key}`] = value;
          }
        }
        ctx.print(formatPropertyTable(withoutLinks(cluster)));
      }),
    );

  program
    .command('cluster-delete')
    .description('Delete specified cluster.')
    .argument('<cluster...>', 'ID or name of the (cluster)s to delete.')
    .option('--wait', 'Wait until each cluster is gone (exit 0) or DELETE_FAILED (exit 1).')
    .action(
      action(ctx, async (idents: string[], opts: { wait?: boolean }) => {
        const client = ctx.client();
        const pending: { ident: string; uuid: string; seen: number; lastId: number }[] = [];
        let failed = 0;
        for (const ident of idents) {
          try {
            let target = ident;
            let seen = 0;
            let lastId = 0;
            if (opts.wait) {
              target = (await client.getCluster(ident)).uuid;
              const before = await client.listClusterEvents(target);
              seen = before?.length ?? 0;
              lastId = before?.at(-1)?.id ?? 0;
            }
            await client.deleteCluster(target);
            ctx.print(`Request to delete cluster ${ident} has been accepted.`);
            if (opts.wait) pending.push({ ident, uuid: target, seen, lastId });
          } catch (err) {
            failed++;
            ctx.warn(`Delete for cluster ${ident} failed: ${describeError(err)}`);
          }
        }
        for (const { ident, uuid, seen, lastId } of pending) {
          const prefix = pending.length > 1 ? `${ident}: ` : '';
          if ((await followCluster(ctx, uuid, 'delete', seen, prefix, lastId)) !== 0) failed++;
        }
        return failed > 0 ? 1 : 0;
      }),
    );
}
