/** @module cli/commands/cluster-config — `cluster-config`: fetch client credentials and print the COE's env lines. */

import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { Cluster, ClusterTemplate } from '../api-client.ts';
import { action } from '../context.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';

/** COEs whose native client is configured with `DOCKER_*` environment variables. */
const DOCKER_COES: ReadonlySet<string> = new Set(['swarm', 'swarm-mode', 'docker']);

/** Parsed options of `cluster-config`. */
export interface ClusterConfigOptions {
  dir?: string;
  force?: boolean;
  /** Accepted for compatibility with `openstack coe cluster config`; the three PEM files are always written. */
  outputCerts?: boolean;
}

/** PEM material of a TLS-enabled cluster's client credentials. */
export interface ClientCredentials {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * The kubeconfig `cluster-config` writes (architecture doc §10): with credentials, cluster `<name>` with the CA,
 * context `default`, user `admin` with client certificate and key; without (TLS disabled), only the server address
 * and a user `<name>` with no credentials.
 */
export function renderKubeconfig(cluster: Cluster, credentials: ClientCredentials | null): string {
  const name = cluster.name ?? cluster.uuid;
  const server = cluster.api_address ?? '';
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  const doc = credentials
    ? {
        apiVersion: 'v1',
        clusters: [{ cluster: { 'certificate-authority-data': b64(credentials.caPem), server }, name }],
        contexts: [{ context: { cluster: name, user: 'admin' }, name: 'default' }],
        'current-context': 'default',
        kind: 'Config',
        preferences: {},
        users: [
          {
            name: 'admin',
            user: { 'client-certificate-data': b64(credentials.certPem), 'client-key-data': b64(credentials.keyPem) },
          },
        ],
      }
    : {
        apiVersion: 'v1',
        clusters: [{ cluster: { server }, name }],
        contexts: [{ context: { cluster: name, user: name }, name }],
        'current-context': name,
        kind: 'Config',
        preferences: {},
        users: [{ name, user: {} }],
      };
  return stringify(doc, { indentSeq: false, lineWidth: 0 });
}

/** Quotes a value for `sh`/`csh` only when it needs it. */
function shellWord(value: string): string {
  return value === '' || /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** An environment assignment in the user's shell syntax (`export A=b`, or `setenv A b` for csh). */
export function envLine(name: string, value: string, csh: boolean): string {
  return csh ? `setenv ${name} ${shellWord(value)}` : `export ${name}=${shellWord(value)}`;
}

function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writeFileMode(path: string, content: string, mode: number, force: boolean): Promise<void> {
  if (force) await chmod(path, mode).catch(() => undefined); // tighten an existing file before the secret lands in it
  try {
    await writeFile(path, content, { mode, flag: force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`File ${path} exists, aborting.`);
    throw err;
  }
  await chmod(path, mode);
}

/**
 * Runs `cluster-config`: reads the cluster and its template; for TLS clusters generates a key and CSR
 * (CN=admin, O=system:masters), fetches the CA, has the CSR signed and writes `ca.pem`, `cert.pem`, `key.pem` (0600);
 * for Kubernetes writes `config` and prints `KUBECONFIG`, for Docker-based COEs prints the `DOCKER_*` variables.
 * Existing files are only replaced with `force`.
 */
export async function runClusterConfig(ctx: CliContext, ident: string, opts: ClusterConfigOptions): Promise<number> {
  const client = ctx.client();
  const dir = resolve(ctx.cwd, opts.dir ?? '.');
  const force = opts.force === true;
  const cluster = await client.getCluster(ident);
  if (!cluster.api_address) throw new CliError(`cluster has no API address yet (status ${cluster.status})`);
  const template: ClusterTemplate = await client.getClusterTemplate(cluster.cluster_template_id);
  const kubernetes = template.coe === 'kubernetes';
  if (!kubernetes && !DOCKER_COES.has(template.coe)) {
    throw new CliError(`cluster-config does not support COE ${template.coe}`);
  }
  const tls = template.tls_disabled !== true;
  const files = [...(tls ? ['key.pem', 'cert.pem', 'ca.pem'] : []), ...(kubernetes ? ['config'] : [])];
  if (!force) {
    for (const file of files) {
      if (await exists(join(dir, file))) throw new CliError(`File ${join(dir, file)} exists, aborting.`);
    }
  }

  let credentials: ClientCredentials | null = null;
  if (tls) {
    const { keyPem, csrPem } = await ctx.generateKeyAndCsr({ commonName: 'admin', organization: 'system:masters' });
    const ca = await client.getCaCertificate(cluster.uuid);
    const signed = await client.signCertificate(cluster.uuid, csrPem);
    credentials = { caPem: withNewline(ca.pem), certPem: withNewline(signed.pem), keyPem: withNewline(keyPem) };
  }

  await mkdir(dir, { recursive: true });
  if (credentials) {
    await writeFileMode(join(dir, 'key.pem'), credentials.keyPem, 0o600, force);
    await writeFileMode(join(dir, 'cert.pem'), credentials.certPem, 0o644, force);
    await writeFileMode(join(dir, 'ca.pem'), credentials.caPem, 0o644, force);
  }

  const csh = (ctx.env['SHELL'] ?? '').includes('csh');
  if (kubernetes) {
    const path = join(dir, 'config');
    await writeFileMode(path, renderKubeconfig(cluster, credentials), 0o600, force);
    ctx.print(envLine('KUBECONFIG', path, csh));
  } else {
    ctx.print(envLine('DOCKER_HOST', cluster.api_address, csh));
    ctx.print(envLine('DOCKER_CERT_PATH', dir, csh));
    ctx.print(envLine('DOCKER_TLS_VERIFY', tls ? '1' : '', csh));
  }
  return 0;
}

/** Registers `cluster-config` on `program`. */
export function registerClusterConfigCommand(program: Command, ctx: CliContext): void {
  program
    .command('cluster-config')
    .description(
      'Configure native client to access cluster. Source its output: eval $(magnetar cluster-config <cluster>).',
    )
    .argument('<cluster>', 'ID or name of the cluster to retrieve config.')
    .option('--dir <dir>', 'Directory to save the certificate and config files.', '.')
    .option('--force', 'Overwrite files if existing.')
    .option('--output-certs', 'Output certificates in separate files (always done).')
    .action(action(ctx, (ident: string, opts: ClusterConfigOptions) => runClusterConfig(ctx, ident, opts)));
}
