/**
 * @module cli/commands/image-load — `magnetar image load <cluster> <image…>`: copies images from the host's Docker
 * engine into every node of a cluster of the local provider, so pods and services run them without a registry. Node
 * engines of swarm/docker clusters are reached with a client certificate signed by the cluster CA (as
 * `cluster-config` gets one); Kubernetes nodes get them in containerd through the host engine.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { Engine } from '../../docker-api/engine.ts';
import { loadImagesIntoCluster, type NodeEngineTls } from '../../providers/docker/load-images.ts';
import { action, type CliContext } from '../context.ts';
import { CliError } from '../errors.ts';

const ENGINE_COES: ReadonlySet<string> = new Set(['swarm', 'swarm-mode', 'docker']);

/** Runs `image load`. */
export async function runImageLoad(ctx: CliContext, ident: string, images: readonly string[]): Promise<number> {
  const client = ctx.client();
  const cluster = await client.getCluster(ident);
  const template = await client.getClusterTemplate(cluster.cluster_template_id);
  const kubernetes = template.coe === 'kubernetes';
  if (!kubernetes && !ENGINE_COES.has(template.coe))
    throw new CliError(`image load does not support COE ${template.coe}`);
  let tls: NodeEngineTls = null;
  if (!kubernetes && template.tls_disabled !== true) {
    const { keyPem, csrPem } = await ctx.generateKeyAndCsr({ commonName: 'admin', organization: 'system:masters' });
    const ca = await client.getCaCertificate(cluster.uuid);
    const signed = await client.signCertificate(cluster.uuid, csrPem);
    tls = { ca: ca.pem, cert: signed.pem, key: keyPem };
  }
  const config = loadConfig({ env: ctx.env });
  const host = new Engine({ socketPath: config.docker.socket });
  try {
    const started = performance.now();
    const r = await loadImagesIntoCluster(host, {
      clusterUuid: cluster.uuid,
      runtime: kubernetes ? 'containerd' : 'docker',
      images,
      tls,
      say: (line) => ctx.print(line),
    });
    const mb = (r.bytes / 1e6).toFixed(1);
    const s = ((performance.now() - started) / 1000).toFixed(1);
    ctx.print(`${images.length} image(s), ${mb} MB, loaded into ${r.nodes.length} node(s) in ${s}s`);
    return 0;
  } finally {
    host.close();
  }
}

/** Registers `load` on the `image` command group. */
export function registerImageLoadCommand(image: Command, ctx: CliContext): void {
  image
    .command('load')
    .description(
      "copy images from the host's Docker engine into every node of a cluster (no registry needed); nodes added " +
        'later do not have them: load again after a resize',
    )
    .argument('<cluster>', 'ID or name of the cluster')
    .argument('<image...>', 'images of the host engine, e.g. hello:1')
    .action(action(ctx, (ident: string, images: string[]) => runImageLoad(ctx, ident, images)));
}
