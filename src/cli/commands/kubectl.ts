/**
 * @module cli/commands/kubectl — `magnetar kubectl [args…]`: runs the kubectl of the cluster's Kubernetes version (the
 * multicall binary of the image build cache, invoked as `kubectl`) with the arguments as given, and returns its exit
 * code. The cluster is the one the kubeconfig's current context points at (`KUBECONFIG`, else `~/.kube/config`),
 * matched by name and API address; `MAGNETAR_KUBE_TAG` picks the version instead.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { DEFAULT_KUBE_TAG, kubeImageBuildCommand, kubeRelease } from '../../core/kube-versions.ts';
import { buildCacheDir } from '../../images/build-cache.ts';
import { findKubectl } from '../../images/kubectl-binary.ts';
import type { Cluster } from '../api-client.ts';
import { action, describeError, type CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { OS_OPTIONS } from '../os-auth.ts';

/** Global options of `magnetar` that take a value (they may come before `kubectl`). */
const VALUE_OPTIONS: ReadonlySet<string> = new Set([
  '--endpoint',
  '--magnetar-url',
  '--token',
  '--project',
  '--user',
  '--roles',
  ...OS_OPTIONS.map((o) => o.flag.split(' ')[0] as string),
]);

/**
 * Splits a `magnetar … kubectl …` command line (`argv` as in `process.argv`) into the part commander parses (up to and
 * including `kubectl`) and kubectl's own arguments, which are passed through untouched; null for other commands.
 */
export function splitKubectlArgv(argv: readonly string[]): { head: string[]; args: string[] } | null {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === 'kubectl') return { head: argv.slice(0, i + 1), args: argv.slice(i + 1) };
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return null;
  }
  return null;
}

/** The server and cluster name of the kubeconfig's current context, when there is one. */
export async function currentKubeCluster(env: CliContext['env']): Promise<{ name: string; server: string } | null> {
  const path = (env['KUBECONFIG'] ?? '').split(delimiter).find((p) => p !== '') ?? join(homedir(), '.kube', 'config');
  let doc: unknown;
  try {
    doc = parse(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
  const cfg = doc as {
    'current-context'?: string;
    contexts?: Array<{ name?: string; context?: { cluster?: string } }>;
    clusters?: Array<{ name?: string; cluster?: { server?: string } }>;
  } | null;
  const ctxName = cfg?.['current-context'];
  const clusterName = cfg?.contexts?.find((c) => c.name === ctxName)?.context?.cluster;
  const server = cfg?.clusters?.find((c) => c.name === clusterName)?.cluster?.server;
  return clusterName && server ? { name: clusterName, server } : null;
}

/** The kube tag of the Magnetar cluster the kubeconfig points at: its `coe_version`, else its `kube_tag` label. */
async function clusterKubeTag(ctx: CliContext): Promise<string | null> {
  const current = await currentKubeCluster(ctx.env);
  if (!current) return null;
  const client = ctx.client();
  let cluster: Cluster | null = await client.getCluster(current.name).catch(() => null);
  if (cluster?.api_address !== current.server) {
    cluster = null;
    for (const c of await client.listClusters()) {
      const full = await client.getCluster(c.uuid);
      if (full.api_address === current.server) cluster = full;
    }
  }
  if (!cluster) return null;
  const version = typeof cluster['coe_version'] === 'string' ? cluster['coe_version'] : '';
  if (kubeRelease(version)) return version;
  const labels = (cluster['labels'] ?? {}) as Record<string, string>;
  return labels['kube_tag'] ?? DEFAULT_KUBE_TAG;
}

/** Runs `kubectl` with `args`; resolves to its exit code (128 + signal number when it was killed). */
function runKubectl(ctx: CliContext, path: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, {
      env: { ...ctx.env },
      cwd: ctx.cwd,
      stdio: ctx.inheritStdio ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => ctx.stdout(c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => ctx.stderr(c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber(signal) ?? 1) : 1)));
  });
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return (
    { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 } as Record<string, number | undefined>
  )[signal];
}

/** Runs `magnetar kubectl`. */
export async function runKubectlCommand(ctx: CliContext, args: readonly string[]): Promise<number> {
  let tag = ctx.env['MAGNETAR_KUBE_TAG'] || null;
  if (!tag) {
    try {
      tag = await clusterKubeTag(ctx);
      if (!tag)
        ctx.warn(`magnetar kubectl: the kubeconfig names no Magnetar cluster; using kubectl ${DEFAULT_KUBE_TAG}`);
    } catch (err) {
      ctx.warn(`magnetar kubectl: cluster version unknown (${describeError(err)}); using kubectl ${DEFAULT_KUBE_TAG}`);
    }
    tag ??= DEFAULT_KUBE_TAG;
  }
  const cacheDir = buildCacheDir(ctx.env['MAGNETAR_BUILD_CACHE']);
  const path = await findKubectl(cacheDir, tag);
  if (!path) {
    throw new CliError(
      `kubectl ${tag} is not in the build cache ${cacheDir}/k8s; build it with: ${kubeImageBuildCommand(tag)}`,
    );
  }
  return runKubectl(ctx, path, args);
}

/** Registers `kubectl` (its arguments are taken from the command line by {@link splitKubectlArgv}). */
export function registerKubectlCommand(program: Command, ctx: CliContext, args: () => readonly string[]): void {
  program
    .command('kubectl')
    .description(
      "Run the kubectl of the current kubeconfig cluster's Kubernetes version (from the image build cache) with " +
        'the arguments given: eval $(magnetar cluster-config <cluster>) first.',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'kubectl arguments')
    .action(action(ctx, () => runKubectlCommand(ctx, args())));
}
