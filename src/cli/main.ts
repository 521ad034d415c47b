/** @module cli/main — the `magnetar` command line: global options, subcommand registration, entry point. */

import { setTimeout as delay } from 'node:timers/promises';
import { Command, CommanderError } from 'commander';
import { ApiClient } from './api-client.ts';
import { registerCertificateCommands } from './commands/certificates.ts';
import { registerClusterChangeCommands } from './commands/cluster-changes.ts';
import { registerClusterConfigCommand } from './commands/cluster-config.ts';
import { registerClusterEventsCommand } from './commands/cluster-events.ts';
import { registerClusterTemplateCommands } from './commands/cluster-templates.ts';
import { registerClusterCommands } from './commands/clusters.ts';
import { registerKubectlCommand, splitKubectlArgv } from './commands/kubectl.ts';
import { registerNodegroupCommands } from './commands/nodegroups.ts';
import { registerQuotaCommands } from './commands/quotas.ts';
import { registerServiceListCommand } from './commands/services.ts';
import { registerStatsListCommand } from './commands/stats.ts';
import type { CliContext, CliEnvironment } from './context.ts';
import { CliError } from './errors.ts';
import { CliKeystoneAuth, OS_OPTIONS, osAuthSettings, type OsOptions } from './os-auth.ts';
import { registerServerCommands } from './server-commands.ts';

/** Endpoint used when neither `--endpoint` nor `MAGNETAR_URL` is given (Magnum's default bind). */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:9511';

/** Interval between polls of `--wait`, in milliseconds. */
const DEFAULT_POLL_INTERVAL_MS = 500;

/** Global options of the program. */
interface GlobalOptions extends OsOptions {
  endpoint?: string;
  magnetarUrl?: string;
  token?: string;
  project?: string;
  user?: string;
  roles?: string;
}

/** The environment of a real process: `process.env`, the working directory, the standard streams, real certs. */
export function processEnvironment(): CliEnvironment {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    sleep: (ms) => delay(ms),
    pollIntervalMs: DEFAULT_POLL_INTERVAL_MS,
    // loaded on demand: only cluster-config needs the X.509 stack
    generateKeyAndCsr: async (subject) => (await import('../certs/x509.ts')).generateKeyAndCsr(subject),
    inheritStdio: true,
  };
}

/** Builds the `magnetar` program bound to `ctx`; the program throws `CommanderError` instead of exiting. */
export function buildProgram(ctx: CliContext, kubectlArgs: () => readonly string[] = () => []): Command {
  const program = new Command('magnetar');
  program
    .description('Client (and server) of Magnetar, an implementation of the OpenStack Magnum container-infra API v1.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.stdout(s), writeErr: (s) => ctx.stderr(s) })
    .showHelpAfterError('(add --help for additional information)')
    .option(
      '--endpoint <url>',
      `API endpoint (env MAGNETAR_URL; default: container-infra of the Keystone catalog with OS_AUTH_URL, else ${DEFAULT_ENDPOINT})`,
    )
    .option('--magnetar-url <url>', 'same as --endpoint')
    .option('--token <token>', 'Keystone token, sent as X-Auth-Token (env OS_TOKEN)')
    .option('--project <id>', 'project id, sent as X-Project-Id (env MAGNETAR_PROJECT)')
    .option('--user <id>', 'user id, sent as X-User-Id (env MAGNETAR_USER)')
    .option('--roles <roles>', 'comma-separated roles, sent as X-Roles (env MAGNETAR_ROLES)');
  for (const o of OS_OPTIONS) program.option(o.flag, `Keystone: ${o.what} (env ${o.env})`);
  registerClusterTemplateCommands(program, ctx);
  registerClusterCommands(program, ctx);
  registerClusterChangeCommands(program, ctx);
  registerClusterConfigCommand(program, ctx);
  registerKubectlCommand(program, ctx, kubectlArgs);
  registerClusterEventsCommand(program, ctx);
  registerNodegroupCommands(program, ctx);
  registerCertificateCommands(program, ctx);
  registerQuotaCommands(program, ctx);
  registerServiceListCommand(program, ctx);
  registerStatsListCommand(program, ctx);
  registerServerCommands(program, ctx);
  return program;
}

/**
 * Runs the command line `argv` (as in `process.argv`: node, script, arguments…) and resolves to the exit code.
 * `environment` replaces parts of the real process environment (used by tests).
 */
export async function main(argv: string[], environment: Partial<CliEnvironment> = {}): Promise<number> {
  const io: CliEnvironment = { ...processEnvironment(), ...environment };
  let exitCode = 0;
  let client: ApiClient | undefined;
  const ctx: CliContext = {
    ...io,
    client(): ApiClient {
      if (client) return client;
      const opts = program.opts<GlobalOptions>();
      const token = opts.token ?? io.env['OS_TOKEN'];
      const given = opts.magnetarUrl ?? opts.endpoint ?? (io.env['MAGNETAR_URL'] || undefined);
      if (given !== undefined && !URL.canParse(given)) throw new CliError(`invalid endpoint URL: ${given}`);
      const keystone = osAuthSettings(opts, io.env, io.cwd, token);
      if (keystone !== null) {
        // Keystone mode: a token of the process's own session; the endpoint from its catalog unless given.
        const auth = new CliKeystoneAuth(keystone);
        client = new ApiClient({
          endpoint: given ?? (() => auth.endpoint()),
          tokens: auth,
          fetch: io.fetch,
        });
        return client;
      }
      client = new ApiClient({
        endpoint: given ?? DEFAULT_ENDPOINT,
        token,
        projectId: opts.project ?? io.env['MAGNETAR_PROJECT'],
        userId: opts.user ?? io.env['MAGNETAR_USER'],
        roles: opts.roles ?? io.env['MAGNETAR_ROLES'],
        fetch: io.fetch,
      });
      return client;
    },
    print: (line) => io.stdout(`${line}\n`),
    warn: (line) => io.stderr(`${line}\n`),
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  // `kubectl`'s arguments are kubectl's, options included: commander parses only what comes before them.
  const kubectl = splitKubectlArgv(argv);
  const program = buildProgram(ctx, () => kubectl?.args ?? []);
  try {
    await program.parseAsync(kubectl?.head ?? argv, { from: 'node' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return exitCode;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv);
}
