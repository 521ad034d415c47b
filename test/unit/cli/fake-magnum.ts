/** @module test/unit/cli/fake-magnum — a tiny canned Magnum API on 127.0.0.1 and a runner for the CLI's `main`. */

import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { main } from '../../../src/cli/main.ts';
import type { CliEnvironment } from '../../../src/cli/context.ts';

/** A request as the fake server received it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/clusters?limit=2`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or `undefined` when there was none. */
  body: unknown;
}

/** What the fake server answers. */
export interface Reply {
  status: number;
  body?: unknown;
  /** Raw text body (sent instead of `body`, with `text/plain`). */
  text?: string;
  headers?: Record<string, string>;
}

/** Decides the answer to one request. */
export type Handler = (req: RecordedRequest) => Reply | Promise<Reply>;

/** A running fake server. */
export interface FakeMagnum {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Magnum's error body (§4.1) for `status` and `message`. */
export function magnumError(status: number, message: string): Reply {
  const title = message.includes('.') ? message.slice(0, message.indexOf('.')) : message;
  return {
    status,
    body: { errors: [{ request_id: '', code: 'client', status, title, detail: message, links: [] }] },
  };
}

/** Starts a fake API on 127.0.0.1 (random port) answering through `handler`; unhandled paths answer 404. */
export async function startFakeMagnum(handler: Handler): Promise<FakeMagnum> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: raw === '' ? undefined : (JSON.parse(raw) as unknown),
      };
      requests.push(recorded);
      Promise.resolve()
        .then(() => handler(recorded))
        .then(
          (reply) => {
            const headers: Record<string, string> = { ...reply.headers };
            let payload = '';
            if (reply.text !== undefined) {
              headers['Content-Type'] ??= 'text/plain';
              payload = reply.text;
            } else if (reply.body !== undefined) {
              headers['Content-Type'] ??= 'application/json';
              payload = JSON.stringify(reply.body);
            }
            res.writeHead(reply.status, headers);
            res.end(payload);
          },
          (err: unknown) => {
            res.writeHead(500, { 'Content-Type': 'text/plain' });
            res.end(String(err));
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Outcome of one CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `magnetar --endpoint <url> <args>` in-process with captured output, no real waiting between polls, and an
 * environment holding only `env`.
 */
export async function runCli(
  url: string,
  args: string[],
  env: Record<string, string> = {},
  overrides: Partial<CliEnvironment> = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'magnetar', '--endpoint', url, ...args], {
    env,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    sleep: () => new Promise((resolve) => setImmediate(resolve)),
    pollIntervalMs: 1,
    ...overrides,
  });
  return { code, stdout, stderr };
}
