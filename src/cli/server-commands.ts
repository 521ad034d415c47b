/**
 * @module cli/server-commands — `serve`, `api`, `conductor`, `db upgrade` and `image build`: the server side of the
 * `magnetar` command.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError, type Command } from 'commander';
import { checkApiExposure, ConfigError, loadConfig, type Config } from '../config/load.ts';
import { StartupError } from '../config/startup-error.ts';
import { Engine } from '../providers/docker/engine.ts';
import { supportedKubeTags } from '../core/kube-versions.ts';
import { buildCacheDir, DEFAULT_BUILD_CACHE } from '../images/build-cache.ts';
import { buildKubeNodeImage } from '../images/build-kubernetes.ts';
import { buildLbImage } from '../images/lb-image.ts';
import { BuildProgress } from '../images/progress.ts';
import { buildNodeImage } from '../providers/docker/image-build.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { registerImageLoadCommand } from './commands/image-load.ts';
import type { CliContext } from './context.ts';
import { registerPolicyCommands } from './policy-commands.ts';
import { registerStateCommands } from './state-commands.ts';
import { openDb } from '../store/database.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPTS = join(REPO, 'scripts');

interface ImageBuildFlags {
  coe: string;
  kubeTag?: string;
  name?: string;
  cacheDir?: string;
  ifMissing?: boolean;
}

interface ServerFlags {
  config?: string;
  host?: string;
  port?: string;
  stateDir?: string;
  databaseUrl?: string;
  logLevel?: string;
  conductor?: boolean;
  setup?: boolean;
}

const addConfigOptions = (c: Command): Command =>
  c
    .option('--config <file>', 'YAML configuration file (env MAGNETAR_CONFIG)')
    .option('--state-dir <dir>', 'where the embedded database and local files live (env MAGNETAR_STATE_DIR)')
    .option(
      '--database-url <url>',
      'postgresql://… to use PostgreSQL, default SQLite in the state dir (env MAGNETAR_DATABASE_URL)',
    )
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env MAGNETAR_LOG_LEVEL)');

function configFrom(o: ServerFlags): Config {
  return loadConfig({
    file: o.config,
    flags: {
      'api.host': o.host,
      'api.port': o.port,
      state_dir: o.stateDir,
      'database.url': o.databaseUrl,
      'log.level': o.logLevel,
      ...(o.conductor === false ? { 'conductor.enabled': false } : {}),
    },
  });
}

/** Installs and starts what the local provider needs (docker.io, dockerd), then builds the node image if missing. */
async function ensureLocalProvider(config: Config, log: (s: string) => void): Promise<void> {
  execFileSync('bash', [join(SCRIPTS, 'ensure-system.sh'), 'docker'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const [repo, tag] = splitImage(config.docker.nodeImage);
  const engine = new Engine({ socketPath: config.docker.socket });
  try {
    const r = await buildNodeImage(engine, {
      repo,
      tag,
      scriptsDir: SCRIPTS,
      ifMissing: true,
      log,
      write: (text) => void process.stderr.write(text),
      logFile: BuildProgress.logPath(buildCacheDir(), `node-${tag}`),
    });
    if (r.imported) log(`node image ${r.image} built in ${r.seconds.toFixed(1)}s`);
  } finally {
    engine.close();
  }
}

function splitImage(ref: string): [string, string] {
  const i = ref.lastIndexOf(':');
  return i > ref.lastIndexOf('/') ? [ref.slice(0, i), ref.slice(i + 1)] : [ref, 'latest'];
}

/** How long a graceful stop may take before the process exits regardless. */
const STOP_DEADLINE_MS = 20_000;

/**
 * Runs the API and/or the conductor until SIGINT or SIGTERM, then stops gracefully: the API stops accepting and
 * finishes its requests, the conductor stops claiming and hands back what it cannot finish in time.
 */
async function runService(o: ServerFlags, parts: { api: boolean; conductor?: boolean; setup: boolean }): Promise<void> {
  const config = configFrom(o);
  if (parts.api) checkApiExposure(config);
  const say = (s: string): void => void process.stderr.write(`magnetar: ${s}\n`);
  if (parts.setup) await ensureLocalProvider(config, say);
  const { startService } = await import('../service.ts');
  const svc = await startService(config, { api: parts.api, conductor: parts.conductor });
  const db = config.databaseUrl.startsWith('postgres') ? 'PostgreSQL' : config.databaseUrl;
  const what = [
    parts.api ? `API on ${svc.url ?? '(none)'}` : undefined,
    svc.worker ? `conductor ${svc.worker.owner}` : undefined,
  ];
  say(`${what.filter(Boolean).join(', ')}; state in ${config.stateDir}; database ${db}`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      say(`${sig}: stopping`);
      // A stop that cannot finish (e.g. a database connection that never answers again) must not keep the process:
      // what was not handed back is taken over when its lease expires, as after a kill.
      setTimeout(() => {
        say(`stop did not finish within ${STOP_DEADLINE_MS / 1000} s: exiting anyway`);
        process.exit(1);
      }, STOP_DEADLINE_MS).unref();
      svc.stop().then(resolve, (e: unknown) => {
        say(`stop failed: ${(e as Error).message}`);
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/**
 * The one line printed for an error that stops a server command: start-up faults and bad configuration carry their
 * own message (problem and fix); anything else is named by its message, with the stack only when MAGNETAR_DEBUG is set.
 */
export function startupLine(e: unknown): string {
  if (e instanceof StartupError) return e.message;
  if (e instanceof ConfigError) return `${e.message}; correct it and start again (every key: src/config/schema.ts)`;
  const err = e as Error;
  const first = (err.message ?? String(e)).split('\n')[0] ?? '';
  return `${err.name ?? 'Error'}: ${first} (set MAGNETAR_DEBUG=1 to see where)`;
}

/** Wraps a server command's action: a failure prints one line on stderr and exits 1, no stack trace. */
export function oneLineErrors<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const line = startupLine(e);
      process.stderr.write(`magnetar: ${line}\n`);
      if (process.env['MAGNETAR_DEBUG'] && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
      throw new CommanderError(1, 'magnetar.failed', line);
    }
  };
}

export function registerServerCommands(program: Command, ctx: CliContext): void {
  addConfigOptions(
    program
      .command('serve')
      .description('run the API and the conductor in one process (embedded defaults: SQLite, local Docker provider)')
      .option('--host <addr>', 'bind address (env MAGNETAR_HOST, default 127.0.0.1)')
      .option('--port <port>', 'API port (env MAGNETAR_PORT, default 9511)')
      .option('--no-conductor', 'run only the API (another process runs the conductor)')
      .option('--no-setup', 'do not install/start dockerd or build the node image first'),
  ).action(oneLineErrors((o: ServerFlags) => runService(o, { api: true, setup: o.setup !== false })));

  addConfigOptions(
    program
      .command('api')
      .description('run only the API (scale-out: any number of these and of `magnetar conductor` share one PostgreSQL)')
      .option('--host <addr>', 'bind address (env MAGNETAR_HOST, default 127.0.0.1)')
      .option('--port <port>', 'API port (env MAGNETAR_PORT, default 9511)'),
  ).action(oneLineErrors((o: ServerFlags) => runService(o, { api: true, conductor: false, setup: false })));

  addConfigOptions(
    program
      .command('conductor')
      .description('run only the conductor: claims queued operations from the database, no HTTP')
      .option('--no-setup', 'do not install/start dockerd or build the node image first'),
  ).action(oneLineErrors((o: ServerFlags) => runService(o, { api: false, conductor: true, setup: o.setup !== false })));

  const db = program.command('db').description('database maintenance');
  addConfigOptions(db.command('upgrade').description('apply pending migrations (SQLite or PostgreSQL)')).action(
    oneLineErrors(async (o: ServerFlags) => {
      const config = configFrom(o);
      const handle = await openDb({ url: config.databaseUrl, migrate: false });
      try {
        const applied = await migrateToLatest(handle.kysely);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await handle.close();
      }
    }),
  );

  registerStateCommands(program, addConfigOptions, configFrom, oneLineErrors);
  registerPolicyCommands(program, addConfigOptions, configFrom, oneLineErrors);

  const image = program
    .command('image')
    .description('node images of the local Docker provider, and workload images loaded into clusters');
  registerImageLoadCommand(image, ctx);
  addConfigOptions(
    image
      .command('build')
      .description(
        'build a node image: the swarm/docker one from Debian packages (debootstrap + import), or with --coe ' +
          'kubernetes magnetar/k8s-node:<kube_tag> (Kubernetes and its add-ons compiled from pinned Go modules)',
      )
      .option('--coe <coe>', 'swarm (also docker) or kubernetes', 'swarm')
      .option('--kube-tag <tag>', `Kubernetes version with --coe kubernetes: ${supportedKubeTags().join(', ')}`)
      .option('--name <repo:tag>', 'swarm image name (default: docker.node_image, magnetar/node:bookworm)')
      .option('--cache-dir <dir>', `build outputs and logs (env MAGNETAR_BUILD_CACHE, default ${DEFAULT_BUILD_CACHE})`)
      .option(
        '--if-missing',
        'do nothing when the image exists (a Kubernetes image: built from the current sources, else brought up to date)',
      ),
  ).action(async (o: ServerFlags & ImageBuildFlags) => {
    const config = configFrom(o);
    execFileSync('bash', [join(SCRIPTS, 'ensure-system.sh'), 'docker'], { stdio: ['ignore', 'inherit', 'inherit'] });
    const engine = new Engine({ socketPath: config.docker.socket });
    const write = (text: string): void => void process.stderr.write(text);
    try {
      if (o.coe === 'kubernetes') {
        if (o.name)
          throw new Error('--name is for the swarm image; Kubernetes images are magnetar/k8s-node:<kube_tag>');
        const r = await buildKubeNodeImage(engine, {
          kubeTag: o.kubeTag,
          repoDir: REPO,
          cacheDir: o.cacheDir,
          ifMissing: o.ifMissing ?? false,
          write,
        });
        process.stdout.write(`${r.image} ${r.built ? `built in ${r.seconds.toFixed(1)}s` : 'already present'}\n`);
        // The local load balancer (Services of type LoadBalancer, multi-master API) runs on the same Debian base.
        const lb = await buildLbImage(engine, {
          repoDir: REPO,
          cacheDir: o.cacheDir,
          ifMissing: o.ifMissing ?? false,
          write,
        });
        process.stdout.write(`${lb.image} ${lb.built ? `built in ${lb.seconds.toFixed(1)}s` : 'already present'}\n`);
        return;
      }
      if (o.coe !== 'swarm' && o.coe !== 'swarm-mode' && o.coe !== 'docker') {
        throw new Error(`--coe ${o.coe}: expected swarm, docker or kubernetes`);
      }
      if (o.kubeTag) throw new Error('--kube-tag needs --coe kubernetes');
      const [repo, tag] = splitImage(o.name ?? config.docker.nodeImage);
      const r = await buildNodeImage(engine, {
        repo,
        tag,
        scriptsDir: SCRIPTS,
        ifMissing: o.ifMissing ?? false,
        log: (l) => write(`${l}\n`),
        write,
        logFile: BuildProgress.logPath(buildCacheDir(o.cacheDir), `node-${tag}`),
      });
      process.stdout.write(`${r.image} ${r.imported ? `built in ${r.seconds.toFixed(1)}s` : 'already present'}\n`);
    } catch (err) {
      // A build failure is the user's to act on: its whole message (the output's last lines, the log path), no stack.
      const message = (err as Error).message ?? String(err);
      process.stderr.write(`magnetar: ${message}\n`);
      if (process.env['MAGNETAR_DEBUG'] && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
      throw new CommanderError(1, 'magnetar.failed', message.split('\n')[0] ?? '');
    } finally {
      engine.close();
    }
  });
}
