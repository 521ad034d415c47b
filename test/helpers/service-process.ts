/**
 * @module Test helper: runs `bin/magnetar serve`, `api` and `conductor` as real child processes (so tests can kill -9
 * them), and the CLI.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findFreePort } from '../../src/providers/docker/free-port.ts';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO, 'bin', 'magnetar');

/** A running `magnetar` server process (`serve`, `api` or `conductor`). */
export interface MagnetarProcess {
  child: ChildProcess;
  output(): string;
  /** SIGKILL, and wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM, and wait for the exit; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
}

/** A process that serves the API. */
export interface ServeProcess extends MagnetarProcess {
  url: string;
  port: number;
}

/** Options of {@link startServe}, {@link startApi} and {@link startConductor}. */
export interface ProcessOptions {
  port?: number;
  env?: Record<string, string>;
  /** `postgresql://…`; default: SQLite in the state dir. */
  databaseUrl?: string;
  /** Log level of the process. @default 'warn' */
  logLevel?: string;
}

function spawnMagnetar(
  command: 'serve' | 'api' | 'conductor',
  stateDir: string,
  opts: ProcessOptions,
  extra: string[],
): MagnetarProcess {
  const args = [command, ...extra, '--state-dir', stateDir, '--log-level', opts.logLevel ?? 'warn'];
  if (opts.databaseUrl) args.push('--database-url', opts.databaseUrl);
  const child = spawn(BIN, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const waitExit = async (sig: NodeJS.Signals): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    return (await exited)[0];
  };
  return {
    child,
    output: () => out,
    kill9: async () => void (await waitExit('SIGKILL')),
    stop: () => waitExit('SIGTERM'),
  };
}

/**
 * Waits until `ready` (60 s: a start on a loaded 2-core host has taken over 30 s). A process not ready in time is
 * killed before the error is thrown: left running, it would go on acting on the test's clusters (a restarted conductor
 * resuming an operation after the test's clean-up) and keep the test runner from exiting.
 */
async function waitUntil(p: MagnetarProcess, what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`magnetar ${what} exited with ${p.child.exitCode}:\n${p.output()}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      await p.kill9();
      throw new Error(`magnetar ${what} not ready within 60s (killed):\n${p.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startHttp(command: 'serve' | 'api', stateDir: string, opts: ProcessOptions): Promise<ServeProcess> {
  const port = opts.port ?? (await findFreePort());
  const p = spawnMagnetar(command, stateDir, opts, [
    ...(command === 'serve' ? ['--no-setup'] : []),
    '--port',
    String(port),
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(p, command, async () => (await fetch(`${url}/`)).ok);
  return { ...p, url, port };
}

/** Starts `magnetar serve` (API + conductor) on a free port with the given state dir; resolves once the API answers. */
export function startServe(stateDir: string, opts: ProcessOptions = {}): Promise<ServeProcess> {
  return startHttp('serve', stateDir, opts);
}

/** Starts `magnetar api` (API only); resolves once it answers. */
export function startApi(stateDir: string, opts: ProcessOptions = {}): Promise<ServeProcess> {
  return startHttp('api', stateDir, opts);
}

/** Starts `magnetar conductor` (no HTTP); resolves once it says it runs, with the worker's lease owner name. */
export async function startConductor(
  stateDir: string,
  opts: ProcessOptions = {},
): Promise<MagnetarProcess & { owner: string }> {
  const p = spawnMagnetar('conductor', stateDir, opts, ['--no-setup']);
  const owner = (): string | undefined => /conductor (\S+);/.exec(p.output())?.[1];
  await waitUntil(p, 'conductor', () => Promise.resolve(owner() !== undefined));
  return { ...p, owner: owner() ?? '' };
}

/** Runs the `magnetar` CLI; resolves with its output and exit code (never rejects on a non-zero exit). */
export async function cli(
  url: string,
  args: string[],
  timeoutMs = 180_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(BIN, ['--endpoint', url, ...args], { timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** GET a JSON document from the API (status and body). */
export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { headers: { 'OpenStack-API-Version': 'container-infra latest' } });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Polls a cluster until `done(status)` or the timeout; returns the last detail document. */
export async function waitCluster(
  url: string,
  ident: string,
  done: (status: string | undefined, code: number) => boolean,
  timeoutMs = 180_000,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getJson(`${url}/v1/clusters/${ident}`);
    if (done(r.body.status as string | undefined, r.status)) return r;
    if (Date.now() > deadline)
      throw new Error(
        `cluster ${ident} still ${String(r.body.status)} after ${timeoutMs} ms: ${JSON.stringify(r.body)}`,
      );
    await new Promise((res) => setTimeout(res, 200));
  }
}
