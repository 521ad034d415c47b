/**
 * @module images/build-cache — where image builds keep their outputs (outside the repository, default
 * `/var/cache/magnetar`, env `MAGNETAR_BUILD_CACHE`), and how an output is keyed: a hash of every input (files,
 * tool versions, flags), so a second build with the same inputs finds its output and does nothing.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const DEFAULT_BUILD_CACHE = '/var/cache/magnetar';

/** The build cache directory: `override`, else `MAGNETAR_BUILD_CACHE`, else {@link DEFAULT_BUILD_CACHE}. */
export function buildCacheDir(override?: string): string {
  return override ?? process.env.MAGNETAR_BUILD_CACHE ?? DEFAULT_BUILD_CACHE;
}

/** One named input of a build: its name and its content (file bytes, a version string, the flags). */
export type Input = readonly [name: string, content: string | Buffer];

/** A short, stable hash of named inputs (order-independent: sorted by name). */
export function inputsHash(inputs: readonly Input[]): string {
  const h = createHash('sha256');
  for (const [name, content] of [...inputs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    h.update(`${name}\0${Buffer.byteLength(content)}\0`);
    h.update(content);
  }
  return h.digest('hex').slice(0, 16);
}

/** The files of `dir` whose names match `keep` (not recursive), as inputs named `<prefix><file>`. */
export async function fileInputs(dir: string, keep: (name: string) => boolean, prefix = ''): Promise<Input[]> {
  const names = (await readdir(dir)).filter(keep).sort();
  return Promise.all(names.map(async (n): Promise<Input> => [`${prefix}${n}`, await readFile(join(dir, n))]));
}

const MARKER = '.complete';

/** True if `dir` is a finished output (it carries the completion marker). */
export async function isComplete(dir: string): Promise<boolean> {
  try {
    await access(join(dir, MARKER));
    return true;
  } catch {
    return false;
  }
}

/**
 * Produces the output directory `dir` atomically: `fill` writes into a fresh `<dir>.partial-<pid>`, which is then
 * marked complete and renamed into place. An interrupted build leaves only a partial directory, never a half output.
 */
export async function produceDir(dir: string, fill: (partial: string) => Promise<void>): Promise<void> {
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    await fill(partial);
    await writeFile(join(partial, MARKER), `${new Date().toISOString()}\n`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dirname(dir), { recursive: true });
    await rename(partial, dir);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
}
