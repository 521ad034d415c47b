/** @module cli/commands/cluster-templates — `cluster-template-create|list|show|delete`, flag-compatible with magnum. */

import { Argument, Option } from 'commander';
import type { Command } from 'commander';
import type { ClusterTemplateCreateRequest } from '../api-client.ts';
import { action } from '../context.ts';
import type { CliContext } from '../context.ts';
import { describeError } from '../context.ts';
import { CliError } from '../errors.ts';
import { parseLabels } from '../labels.ts';
import { formatOption, renderList, renderObject } from '../output-format.ts';
import type { OutputFormat } from '../output-format.ts';
import { argsToPatch, PATCH_OPS } from '../patch-args.ts';
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

/** Columns of `cluster-template-list --detail` (magnumclient's OUTPUT_ATTRIBUTES). */
export const TEMPLATE_DETAIL_COLUMNS: readonly string[] = [
  'name',
  'image_id',
  'flavor_id',
  'master_flavor_id',
  'keypair_id',
  'external_network_id',
  'fixed_network',
  'fixed_subnet',
  'dns_nameserver',
  'docker_volume_size',
  'labels',
  'coe',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'network_driver',
  'tls_disabled',
  'public',
  'registry_enabled',
  'volume_driver',
  'server_type',
  'docker_storage_driver',
  'master_lb_enabled',
  'floating_ip_enabled',
  'hidden',
  'tags',
  'apiserver_port',
  'created_at',
  'insecure_registry',
  'links',
  'updated_at',
  'cluster_distro',
  'uuid',
];

/** Parsed options of `cluster-template-create`. */
export interface TemplateCreateOptions {
  name?: string;
  coe?: string;
  image?: string;
  imageId?: string;
  keypair?: string;
  keypairId?: string;
  externalNetwork?: string;
  externalNetworkId?: string;
  fixedNetwork?: string;
  fixedSubnet?: string;
  networkDriver?: string;
  volumeDriver?: string;
  dnsNameserver?: string;
  flavor?: string;
  flavorId?: string;
  masterFlavor?: string;
  masterFlavorId?: string;
  dockerVolumeSize?: number;
  dockerStorageDriver?: string;
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
  insecureRegistry?: string;
  labels?: string[];
  tlsDisabled?: boolean;
  public?: boolean;
  registryEnabled?: boolean;
  serverType?: string;
  masterLbEnabled?: boolean;
  floatingIpEnabled?: boolean;
  floatingIpDisabled?: boolean;
  hidden?: boolean;
  visible?: boolean;
  tags?: string[];
}

/**
 * Builds the `POST /v1/clustertemplates` body from the command line. Options not given are left out so the server
 * applies its defaults; boolean switches are always sent, like magnumclient does.
 *
 * @throws CliError for missing `--image`/`--coe`, conflicting aliases, malformed labels.
 */
export function buildTemplateCreateRequest(
  positionalName: string | undefined,
  opts: TemplateCreateOptions,
): ClusterTemplateCreateRequest {
  const name = resolveName(positionalName, opts.name);
  const image = eitherOption(opts.image, '--image', opts.imageId, '--image-id');
  if (image === undefined) throw new CliError('the following arguments are required: --image');
  if (opts.coe === undefined) throw new CliError('the following arguments are required: --coe');
  if (opts.floatingIpEnabled && opts.floatingIpDisabled) {
    throw new CliError(
      '--floating-ip-enabled and --floating-ip-disabled are mutually exclusive and should be specified only once.',
    );
  }
  const optional: Partial<ClusterTemplateCreateRequest> = {
    name,
    keypair_id: eitherOption(opts.keypair, '--keypair', opts.keypairId, '--keypair-id'),
    external_network_id: eitherOption(
      opts.externalNetwork,
      '--external-network',
      opts.externalNetworkId,
      '--external-network-id',
    ),
    fixed_network: opts.fixedNetwork,
    fixed_subnet: opts.fixedSubnet,
    network_driver: opts.networkDriver,
    volume_driver: opts.volumeDriver,
    dns_nameserver: opts.dnsNameserver,
    flavor_id: eitherOption(opts.flavor, '--flavor', opts.flavorId, '--flavor-id'),
    master_flavor_id: eitherOption(opts.masterFlavor, '--master-flavor', opts.masterFlavorId, '--master-flavor-id'),
    docker_volume_size: opts.dockerVolumeSize,
    docker_storage_driver: opts.dockerStorageDriver,
    http_proxy: opts.httpProxy,
    https_proxy: opts.httpsProxy,
    no_proxy: opts.noProxy,
    insecure_registry: opts.insecureRegistry,
    server_type: opts.serverType,
  };
  const request: ClusterTemplateCreateRequest = { image_id: image, coe: opts.coe };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (request as unknown as Record<string, unknown>)[key] = value;
  }
  request.labels = parseLabels(opts.labels);
  request.tls_disabled = opts.tlsDisabled === true;
  request.public = opts.public === true;
  request.registry_enabled = opts.registryEnabled === true;
  request.master_lb_enabled = opts.masterLbEnabled === true;
  if (opts.hidden && opts.visible) {
    throw new CliError('--hidden and --visible are mutually exclusive and should be specified only once.');
  }
  request.hidden = opts.hidden === true;
  if (opts.tags !== undefined) {
    const tags = [...new Set(opts.tags.join(',').split(','))].filter((t) => t !== '');
    if (tags.length > 0) request.tags = tags.join(',');
  }
  if (opts.floatingIpEnabled) request.floating_ip_enabled = true;
  if (opts.floatingIpDisabled) request.floating_ip_enabled = false;
  return request;
}

function stringOption(flags: string, description: string, hidden = false): Option {
  const option = new Option(flags, description);
  option.negate = false; // `--no-proxy <value>` is a plain string option, not commander's negation of `--proxy`
  if (hidden) option.hideHelp();
  return option;
}

/** Registers the cluster template commands on `program`. */
export function registerClusterTemplateCommands(program: Command, ctx: CliContext): void {
  program
    .command('cluster-template-create')
    .description('Create a cluster template.')
    .argument('[name]', 'Name of the cluster template to create.')
    .option('--name <name>', 'Name of the cluster template to create (deprecated: use the positional <name>).')
    .option('--coe <coe>', 'Specify the Container Orchestration Engine to use.')
    .option('--image <image>', 'The name or UUID of the base image to customize for the Cluster.')
    .addOption(stringOption('--image-id <image>', 'Deprecated alias of --image.', true))
    .option('--keypair <keypair>', 'The name of the SSH keypair to load into the Cluster nodes.')
    .addOption(stringOption('--keypair-id <keypair>', 'Deprecated alias of --keypair.', true))
    .option('--external-network <external-network>', 'The external Neutron network name or UUID.')
    .addOption(
      stringOption('--external-network-id <external-network>', 'Deprecated alias of --external-network.', true),
    )
    .option('--fixed-network <fixed-network>', 'The private Neutron network name to connect to this Cluster model.')
    .option('--fixed-subnet <fixed-subnet>', 'The private Neutron subnet name to connect to Cluster.')
    .option('--network-driver <network-driver>', 'The network driver name for instantiating container networks.')
    .option('--volume-driver <volume-driver>', 'The volume driver name for instantiating container volume.')
    .option('--dns-nameserver <dns-nameserver>', 'The DNS nameserver to use for this cluster template.')
    .option('--flavor <flavor>', 'The nova flavor name or UUID to use when launching the Cluster.')
    .addOption(stringOption('--flavor-id <flavor>', 'Deprecated alias of --flavor.', true))
    .option('--master-flavor <master-flavor>', 'The nova flavor name or UUID to use for the master nodes.')
    .addOption(stringOption('--master-flavor-id <master-flavor>', 'Deprecated alias of --master-flavor.', true))
    .option('--docker-volume-size <docker-volume-size>', 'Size in GB of the docker volume to use.', parseInteger)
    .option('--docker-storage-driver <docker-storage-driver>', 'Select a docker storage driver.')
    .option('--http-proxy <http-proxy>', 'The http_proxy address to use for nodes in Cluster.')
    .option('--https-proxy <https-proxy>', 'The https_proxy address to use for nodes in Cluster.')
    .addOption(stringOption('--no-proxy <no-proxy>', 'The no_proxy address to use for nodes in Cluster.'))
    .option('--insecure-registry <insecure-registry>', 'URL of the docker registry.')
    .option(
      '--labels <KEY1=VALUE1,KEY2=VALUE2;KEY3=VALUE3...>',
      'Arbitrary labels in the form of key=value pairs. May be used multiple times.',
      collect,
    )
    .option('--tls-disabled', 'Disable TLS in the Cluster.')
    .option('--public', 'Make cluster template public.')
    .option('--registry-enabled', 'Enable docker registry in the Cluster.')
    .option('--server-type <server-type>', 'Specify the server type to be used, for example vm.')
    .option('--master-lb-enabled', 'Created Clusters get a load balancer for the master nodes.')
    .option('--floating-ip-enabled', 'Created Clusters get floating ips.')
    .option('--floating-ip-disabled', 'Created Clusters get no floating ips.')
    .option('--hidden', 'Make cluster template hidden.')
    .option('--visible', 'Make cluster template visible (the default).')
    .option('--tags <tags>', 'Tags to be added to the cluster template (comma-separated; repeatable).', collect)
    .addOption(formatOption())
    .action(
      action(ctx, async (name: string | undefined, opts: TemplateCreateOptions & { format: OutputFormat }) => {
        const request = buildTemplateCreateRequest(name, opts);
        const template = await ctx.client().createClusterTemplate(request);
        ctx.print(renderObject(opts.format, withoutLinks(template), (o) => formatPropertyTable(o)));
      }),
    );

  program
    .command('cluster-template-list')
    .description('Print a list of cluster templates.')
    .option('--limit <limit>', 'Maximum number of cluster templates to return.', parseNonNegativeInteger)
    .option('--sort-key <sort-key>', 'Column to sort results by.')
    .addOption(new Option('--sort-dir <sort-dir>', 'Direction to sort.').choices(['asc', 'desc']))
    .option('--fields <fields>', 'Comma-separated list of fields to display.')
    .option('--detail', 'Show detailed information about the cluster templates.')
    .addOption(formatOption())
    .action(
      action(
        ctx,
        async (opts: {
          limit?: number;
          sortKey?: string;
          sortDir?: 'asc' | 'desc';
          fields?: string;
          detail?: boolean;
          format: OutputFormat;
        }) => {
          const templates = await ctx.client().listClusterTemplates({
            limit: opts.limit,
            sortKey: opts.sortKey,
            sortDir: opts.sortDir,
            detail: opts.detail === true,
          });
          const base = opts.detail ? TEMPLATE_DETAIL_COLUMNS : ['uuid', 'name'];
          const columns = listColumns(base, opts.fields, templates);
          const out = renderList(opts.format, templates, columns, () => formatListTable(templates, columns));
          if (out !== null) ctx.print(out);
        },
      ),
    );

  program
    .command('cluster-template-show')
    .description('Show details about the given cluster template.')
    .argument('<cluster_template>', 'ID or name of the cluster template to show.')
    .addOption(formatOption())
    .action(
      action(ctx, async (ident: string, opts: { format: OutputFormat }) => {
        const template = await ctx.client().getClusterTemplate(ident);
        ctx.print(renderObject(opts.format, withoutLinks(template), (o) => formatPropertyTable(o)));
      }),
    );

  program
    .command('cluster-template-update')
    .description('Updates one or more cluster template attributes.')
    .argument('<cluster_template>', 'UUID or name of cluster template.')
    .addArgument(new Argument('<op>', "Operations: 'add', 'replace' or 'remove'.").choices(PATCH_OPS))
    .argument('<path=value...>', 'Attributes to add/replace or remove (only PATH is necessary on remove).')
    .addOption(formatOption())
    .action(
      action(ctx, async (ident: string, op: string, attributes: string[], opts: { format: OutputFormat }) => {
        const template = await ctx.client().updateClusterTemplate(ident, argsToPatch(op, attributes));
        ctx.print(renderObject(opts.format, withoutLinks(template), (o) => formatPropertyTable(o)));
      }),
    );

  program
    .command('cluster-template-delete')
    .description('Delete specified cluster template.')
    .argument('<cluster_templates...>', 'ID or name of the (cluster template)s to delete.')
    .action(
      action(ctx, async (idents: string[]) => {
        let failed = 0;
        for (const ident of idents) {
          try {
            await ctx.client().deleteClusterTemplate(ident);
            ctx.print(`Request to delete cluster template ${ident} has been accepted.`);
          } catch (err) {
            failed++;
            ctx.warn(`Delete for cluster template ${ident} failed: ${describeError(err)}`);
          }
        }
        return failed > 0 ? 1 : 0;
      }),
    );
}
