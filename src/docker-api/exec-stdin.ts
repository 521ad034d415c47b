/**
 * @module docker-api/exec-stdin — runs a command in a container of an engine with a stream on its standard input
 * (`POST /containers/{id}/exec`, then `POST /exec/{id}/start` on a hijacked connection: the input is written to the
 * socket and its write side closed, the multiplexed output read until the engine closes it), and returns the exit
 * code and the output.
 */
import * as http from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { Engine } from './engine.ts';

/** What a finished exec printed and how it ended. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Splits Docker's multiplexed stream (8-byte headers: stream 1 stdout, 2 stderr, then a big-endian length). */
export function demuxOutput(data: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let at = 0;
  while (at + 8 <= data.length) {
    const kind = data[at];
    const size = data.readUInt32BE(at + 4);
    const chunk = data.subarray(at + 8, at + 8 + size);
    (kind === 2 ? err : out).push(chunk);
    at += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** Starts exec `execId` hijacked, writes `input` to it and resolves with its raw multiplexed output. */
function startHijacked(engine: Engine, execId: string, input: Readable, timeoutMs: number): Promise<Buffer> {
  const e = engine.endpoint;
  if (!e.socketPath) throw new Error('exec with input needs the host engine (a unix socket)');
  const body = JSON.stringify({ Detach: false, Tty: false });
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath: e.socketPath,
      method: 'POST',
      path: `/${engine.apiVersion}/exec/${encodeURIComponent(execId)}/start`,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        connection: 'Upgrade',
        upgrade: 'tcp',
      },
    });
    let hijacked: Duplex | undefined;
    const timer = setTimeout(() => {
      const err = new Error(`exec ${execId} did not finish within ${timeoutMs / 1000}s`);
      hijacked?.destroy();
      req.destroy(err);
      fail(err);
    }, timeoutMs);
    const fail = (err: unknown): void => {
      clearTimeout(timer);
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => fail(new Error(`exec start: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString()}`)));
    });
    req.on('upgrade', (_res, socket: Duplex, head: Buffer) => {
      hijacked = socket;
      const chunks: Buffer[] = [head];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', fail);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks));
      });
      input.on('error', (err) => {
        socket.destroy();
        fail(err);
      });
      input.pipe(socket, { end: true }); // the end closes the write side: the command sees EOF on its input
    });
    req.end(body);
  });
}

/** Runs `cmd` in container `id` with `input` on its standard input; resolves when it has exited. */
export async function execWithInput(
  engine: Engine,
  id: string,
  cmd: readonly string[],
  input: Readable,
  timeoutMs = 10 * 60_000,
): Promise<ExecResult> {
  const created = await engine.request<{ Id: string }>('POST', `/containers/${encodeURIComponent(id)}/exec`, {
    body: { AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false, Cmd: cmd },
  });
  const raw = await startHijacked(engine, created.Id, input, timeoutMs);
  const { stdout, stderr } = demuxOutput(raw);
  const inspect = await engine.request<{ ExitCode: number | null; Running: boolean }>(
    'GET',
    `/exec/${encodeURIComponent(created.Id)}/json`,
  );
  return { exitCode: inspect.ExitCode ?? -1, stdout, stderr };
}
