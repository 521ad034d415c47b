/**
 * @module cli/commands/certificates — `ca-show`, `ca-sign` and `ca-rotate` with python-magnumclient's arguments: the
 * PEM is printed as it is (`--format json|yaml|value` give the certificate object or only the PEM).
 */

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Certificate } from '../api-client.ts';
import { action } from '../context.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { formatOption, renderObject } from '../output-format.ts';
import type { OutputFormat } from '../output-format.ts';
import { withoutLinks } from './common.ts';

/** The certificate in `format`; `table` (the default) prints the PEM as magnumclient does. */
export function renderCertificate(format: OutputFormat, cert: Certificate): string {
  const object = withoutLinks(cert);
  if (format === 'value') return cert.pem.replace(/\n$/, '');
  return renderObject(format, object, () => cert.pem.replace(/\n$/, ''));
}

/** Picks the cluster given positionally or with `--cluster`; both at once, or neither, is an error. */
export function resolveCluster(positional: string | undefined, option: string | undefined): string {
  if (positional !== undefined && option !== undefined) {
    throw new CliError(`Duplicate "<cluster>" arguments: ${positional}, ${option}`);
  }
  const cluster = positional ?? option;
  if (cluster === undefined) throw new CliError('Missing arguments: cluster');
  return cluster;
}

/** Registers the certificate commands on `program`. */
export function registerCertificateCommands(program: Command, ctx: CliContext): void {
  program
    .command('ca-show')
    .description('Show details about the CA certificate for a cluster.')
    .argument('[cluster]', 'ID or name of the cluster.')
    .option('--cluster <cluster>', 'ID or name of the cluster (deprecated: use the positional <cluster>).')
    .addOption(formatOption())
    .action(
      action(ctx, async (positional: string | undefined, opts: { cluster?: string; format: OutputFormat }) => {
        const client = ctx.client();
        const cluster = await client.getCluster(resolveCluster(positional, opts.cluster));
        ctx.print(renderCertificate(opts.format, await client.getCaCertificate(cluster.uuid)));
      }),
    );

  program
    .command('ca-sign')
    .description("Have the cluster's CA sign a certificate signing request; prints the certificate.")
    .argument('[cluster]', 'ID or name of the cluster.')
    .argument('[csr]', 'File path of the csr file to send to Magnum to get signed.')
    .option('--cluster <cluster>', 'ID or name of the cluster.')
    .option('--csr <csr>', 'File path of the csr file to send to Magnum to get signed.')
    .addOption(formatOption())
    .action(
      action(
        ctx,
        async (
          first: string | undefined,
          second: string | undefined,
          opts: { cluster?: string; csr?: string; format: OutputFormat },
        ) => {
          // `ca-sign --cluster C file.csr`: the only positional is then the CSR
          const shifted = opts.cluster !== undefined && second === undefined;
          const positional = shifted ? undefined : first;
          const positionalCsr = shifted ? first : second;
          const ident = resolveCluster(positional, opts.cluster);
          if (positionalCsr !== undefined && opts.csr !== undefined) {
            throw new CliError(`Duplicate "<csr>" arguments: ${positionalCsr}, ${opts.csr}`);
          }
          const path = positionalCsr ?? opts.csr;
          if (path === undefined) throw new CliError('A CSR must be provided.');
          let csr: string;
          try {
            csr = await readFile(resolve(ctx.cwd, path), 'utf8');
          } catch (err) {
            throw new CliError(`A CSR must be provided: cannot read ${path} (${(err as Error).message})`);
          }
          const client = ctx.client();
          const cluster = await client.getCluster(ident);
          ctx.print(renderCertificate(opts.format, await client.signCertificate(cluster.uuid, csr)));
        },
      ),
    );

  program
    .command('ca-rotate')
    .description('Rotate the CA certificate for a cluster to revoke access.')
    .argument('[cluster]', 'ID or name of the cluster.')
    .option('--cluster <cluster>', 'ID or name of the cluster.')
    .action(
      action(ctx, async (positional: string | undefined, opts: { cluster?: string }) => {
        const ident = resolveCluster(positional, opts.cluster);
        const client = ctx.client();
        const cluster = await client.getCluster(ident);
        await client.rotateCa(cluster.uuid);
        ctx.print(`Request to rotate the CA certificate for cluster ${ident} has been accepted.`);
      }),
    );
}
