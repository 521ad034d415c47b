/** @module Test helper: runs `bin/magnetar serve` as a real child process (so tests can kill -9 it) and the CLI. */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findFreePort } from '../../src/providers/docker/free-port.ts';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(REPO, 'bin', 'magnetar');

export interface ServeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGKILL, and wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts `magnetar serve` on a free port with the given state dir; resolves once the API answers. */
export async function startServe(stateDir: string, opts: { port?: number; env?: Record<string, string> } = {}): Promise<ServeProcess> {
  const port = opts.port ?? (await findFreePort());
  const child = spawn(BIN, ['serve', '--no-setup', '--port', String(port), '--state-dir', stateDir, '--log-level', 'warn'], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`magnetar serve exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${url}/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`magnetar serve did not answer within 30s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const waitExit = async (sig: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    await once(child, 'exit');
  };
  return { url, port, child, output: () => out, kill9: () => waitExit('SIGKILL'), stop: () => waitExit('SIGTERM') };
}

/** Runs the `magnetar` CLI; resolves with its output and exit code (never rejects on a non-zero exit). */
export async function cli(url: string, args: string[], timeoutMs = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
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
    if (Date.now() > deadline) throw new Error(`cluster ${ident} still ${String(r.body.status)} after ${timeoutMs} ms: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
