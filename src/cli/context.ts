/** @module cli/context — what every command receives: I/O, environment, the API client and the exit-code slot. */

import { ApiConnectionError, ApiError } from './api-client.ts';
import type { ApiClient } from './api-client.ts';
import { CliError } from './errors.ts';

/** A freshly generated private key and the CSR for it, both PEM. */
export interface KeyAndCsr {
  keyPem: string;
  csrPem: string;
}

/** Subject of a generated CSR. */
export interface CsrSubject {
  commonName: string;
  organization?: string;
}

/** Generator of a private key and CSR (the real one lives in `src/certs/x509.ts`). */
export type GenerateKeyAndCsr = (subject: CsrSubject) => KeyAndCsr | Promise<KeyAndCsr>;

/** Everything the CLI takes from the outside world; `main` fills it from `process`, tests pass their own. */
export interface CliEnvironment {
  /** Environment variables (`MAGNETAR_URL`, `OS_TOKEN`, `SHELL`, …). */
  env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. */
  cwd: string;
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Waits between polls of `--wait`. */
  sleep(ms: number): Promise<void>;
  /** Interval between polls of `--wait`, in milliseconds. */
  pollIntervalMs: number;
  /** `fetch` used by the API client. */
  fetch?: typeof fetch;
  /** Key and CSR generator used by `cluster-config`. */
  generateKeyAndCsr: GenerateKeyAndCsr;
  /** Child programs (`kubectl`) get the process's own standard streams (a terminal); otherwise their output is piped. */
  inheritStdio?: boolean;
}

/** The environment plus per-invocation helpers handed to command actions. */
export interface CliContext extends CliEnvironment {
  /** The API client configured from the global options (built on first use). */
  client(): ApiClient;
  /** Prints one line on standard output. */
  print(line: string): void;
  /** Prints one line on standard error. */
  warn(line: string): void;
  /** Records the process exit code of the running command. */
  setExitCode(code: number): void;
}

/** One-line description of an error as the CLI prints it after `ERROR: `. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    return `${err.message} (HTTP ${err.status})${err.requestId ? ` (Request-ID: ${err.requestId})` : ''}`;
  }
  if (err instanceof CliError || err instanceof ApiConnectionError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Wraps a command body: its resolved number (default 0) becomes the exit code; a thrown error is printed as
 * `ERROR: <message>` on standard error and gives exit code 1.
 */
export function action<A extends unknown[]>(
  ctx: CliContext,
  body: (...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A): Promise<void> => {
    try {
      ctx.setExitCode((await body(...args)) ?? 0);
    } catch (err) {
      ctx.warn(`ERROR: ${describeError(err)}`);
      if (ctx.env['MAGNETAR_DEBUG'] && err instanceof Error && err.stack) ctx.warn(err.stack);
      ctx.setExitCode(1);
    }
  };
}
