/** @module images/run-tool — runs a build tool (go, gcc, debootstrap, tar) with its output going line by line to a sink. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface RunToolOptions {
  cwd?: string;
  /** The whole environment of the tool (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Receives each output line (stdout and stderr). */
  raw: (line: string) => void;
  /** Stops the tool (SIGTERM) when aborted; the promise then rejects. */
  signal?: AbortSignal;
}

/** Runs `cmd args…`; resolves on exit code 0, rejects naming the command and its exit status otherwise. */
export function runTool(cmd: string, args: readonly string[], opts: RunToolOptions): Promise<void> {
  opts.raw(`$ ${[cmd, ...args].join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
    });
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', opts.raw);
    createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', opts.raw);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}

/** Runs a tool and returns its stdout (trimmed); stderr goes to `raw`. */
export function toolOutput(cmd: string, args: readonly string[], opts: Partial<RunToolOptions> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    if (opts.raw) createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', opts.raw);
    else child.stderr.resume();
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8').trim());
      else reject(new Error(`${cmd} ${args.join(' ')} failed (exit code ${code})`));
    });
  });
}
