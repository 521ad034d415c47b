/**
 * @module images/engine-build — builds an image from a directory holding a Dockerfile through the Engine API
 * (`POST /build` with a tar of the directory as the context; the classic builder, no registry: every `FROM` names
 * `scratch` or a local image), and saves an image as a `docker save` tar (`GET /images/{name}/get`).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createInterface } from 'node:readline';
import { EngineError, parseJsonStream, type Engine } from '../providers/docker/engine.ts';

/**
 * Builds `dir` (a Dockerfile and what it copies) as image `tag`; the build output goes to `raw`. Symlinks are
 * archived as symlinks. Returns the image id.
 */
export async function buildFromDir(
  engine: Engine,
  dir: string,
  tag: string,
  raw: (line: string) => void,
  labels: Readonly<Record<string, string>> = {},
): Promise<string> {
  const tar = spawn('tar', ['-C', dir, '--numeric-owner', '--owner=0', '--group=0', '-c', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: tar.stderr, crlfDelay: Infinity }).on('line', (l) => raw(`tar: ${l}`));
  const tarDone = new Promise<void>((resolve, reject) => {
    tar.once('error', reject);
    tar.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar -C ${dir} failed (exit ${code})`))));
  });
  void tarDone.catch(() => {}); // awaited below
  const path = '/build';
  let body: string;
  try {
    const res = await engine.requestRaw('POST', path, {
      query: { t: tag, rm: 1, forcerm: 1, labels: JSON.stringify(labels) },
      raw: tar.stdout,
      timeoutMs: 30 * 60_000,
    });
    body = res.body.toString('utf8');
  } catch (err) {
    tar.kill();
    throw err;
  }
  await tarDone;
  const messages = parseJsonStream(body);
  let id: string | undefined;
  for (const m of messages) {
    if (typeof m.stream === 'string') for (const l of m.stream.split('\n')) if (l.trim()) raw(l);
    const aux = m.aux as { ID?: unknown } | undefined;
    if (typeof aux?.ID === 'string') id = aux.ID;
    const error = m.error ?? (m.errorDetail as { message?: unknown } | undefined)?.message;
    if (typeof error === 'string') throw new EngineError(error, 200, 'POST', path);
  }
  return id ?? tag;
}

/** Writes `docker save <name>` to `file` (atomically: a partial file is never left under that name). */
export async function saveImageTar(engine: Engine, name: string, file: string): Promise<void> {
  const partial = `${file}.partial-${process.pid}`;
  try {
    await pipeline(await engine.saveImage(name), createWriteStream(partial));
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
}
