/** @module providers/docker/image-build: builds the node image (Debian rootfs → `POST /images/create?fromSrc=-`). */
import { spawn } from 'node:child_process';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { invalidImageReference } from '../../core/image-reference.ts';
import { NODE_IMAGE_LABEL } from '../../core/kube-versions.ts';
import { BuildProgress } from '../../images/progress.ts';
import { EngineError, type Engine } from './engine.ts';
import type { ImageInspect } from './engine-types.ts';
import { INPUTS_LABEL, installNodeScripts, nodeImageInputs } from './image-inputs.ts';

/** Written into the rootfs directory after a successful build; holds the suite. */
export const ROOTFS_MARKER = '.magnetar-rootfs-ok';

/** Default rootfs directory. */
export const DEFAULT_ROOTFS_DIR = '/var/tmp/magnetar-rootfs';

/** Label set on node images (its value: the COE family, `docker` here). */
export { NODE_IMAGE_LABEL };

/** Options of {@link buildNodeImage}. */
export interface BuildNodeImageOptions {
  /** Image repository, e.g. `magnetar/node`. */
  repo: string;
  /** Image tag, e.g. `bookworm`. */
  tag: string;
  /** Debian suite, default `bookworm`. */
  suite?: string;
  /** Where the root filesystem is built, default {@link DEFAULT_ROOTFS_DIR}. */
  rootfsDir?: string;
  /** The repository's `scripts/` directory (holds `build-node-rootfs.sh`). */
  scriptsDir: string;
  /** Receives progress lines. */
  log?: (line: string) => void;
  /** Do nothing if the image already exists and was built from the current inputs (its `magnetar.inputs` label). */
  ifMissing?: boolean;
  /** Where raw tool output (debootstrap, dpkg) goes; without it, raw lines go to `log` too. */
  logFile?: string;
  /** Receives the step lines as text (e.g. `process.stderr.write`); default: line by line to `log`. */
  write?: (text: string) => void;
}

/** The Dockerfile changes applied on import. */
export function nodeImageChanges(): string[] {
  return [
    'ENTRYPOINT ["/usr/local/sbin/magnetar-node-init"]',
    'ENV container=docker',
    'EXPOSE 2376',
    'LABEL os_distro=debian',
    `LABEL ${NODE_IMAGE_LABEL}=docker`,
  ];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * True if `dir` holds a finished rootfs of `suite`: the marker says so, or (a build from before the marker existed)
 * the node init script, the build script's last step, is in place and `/etc/os-release` names the suite.
 */
export async function rootfsReady(dir: string, suite: string): Promise<boolean> {
  try {
    return (await readFile(join(dir, ROOTFS_MARKER), 'utf8')).trim() === suite;
  } catch {
    /* no marker */
  }
  if (!(await exists(join(dir, 'usr/local/bin/magnetar-node-init')))) return false;
  try {
    const osRelease = await readFile(join(dir, 'etc/os-release'), 'utf8');
    return new RegExp(`^VERSION_CODENAME=${suite}$`, 'm').test(osRelease);
  } catch {
    return false;
  }
}

function forwardLines(stream: Readable, log: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', log);
}

function waitExit(child: ReturnType<typeof spawn>, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}

/**
 * Holds `<dir>.lock` (a directory holding the owner's pid) while `fn` runs, so that two builders (two test files, two
 * conductors) never debootstrap into the same directory at once. A lock whose owner is gone is taken over.
 */
export async function withBuildLock<T>(dir: string, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 30 * 60_000;
  let announced = false;
  await mkdir(dirname(lock), { recursive: true });
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), `${process.pid}\n`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await readFile(join(lock, 'pid'), 'utf8').catch(() => '')).trim());
    if (pid > 0 && !processAlive(pid)) {
      log(`rootfs: taking over the stale lock ${lock} of pid ${pid}`);
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`buildNodeImage: ${lock} is still held by pid ${pid || '?'}`);
    if (!announced) log(`rootfs: waiting for ${lock} (pid ${pid || '?'})`);
    announced = true;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Builds the node image `repo:tag`: runs `scripts/build-node-rootfs.sh <dir> <suite>` unless the directory already
 * holds a finished build, then streams `tar -C <dir> -c .` into {@link Engine.importImage} with
 * {@link nodeImageChanges}. With `ifMissing`, does nothing when the image exists (checked under the build lock).
 * Returns the image name, the seconds it took and whether an image was imported.
 */
export async function buildNodeImage(
  engine: Engine,
  opts: BuildNodeImageOptions,
): Promise<{ image: string; seconds: number; imported: boolean }> {
  const started = performance.now();
  const suite = opts.suite ?? 'bookworm';
  const dir = opts.rootfsDir ?? DEFAULT_ROOTFS_DIR;
  const log = opts.log ?? ((): void => {});
  const image = `${opts.repo}:${opts.tag}`;
  const elapsed = (): number => (performance.now() - started) / 1000;

  return withBuildLock(dir, log, async () => {
    const inputs = await nodeImageInputs(opts.scriptsDir, nodeImageChanges());
    const existing = opts.ifMissing ? await engine.inspectImage(image) : null;
    if (existing && existing.Config?.Labels?.[INPUTS_LABEL] === inputs) {
      log(`image ${image} exists`);
      return { image, seconds: elapsed(), imported: false };
    }
    const progress = new BuildProgress({
      total: 2,
      logFile: opts.logFile ?? null,
      write: opts.write ?? ((text) => text.split('\n').forEach((l) => l && log(l))),
    });
    try {
      const reuse = await rootfsReady(dir, suite);
      if (existing) progress.say(`${image} is stale (its inputs changed); building it again`);
      progress.say(
        `${image}: 2 steps, Debian ${suite} root filesystem (debootstrap${reuse ? ', already built' : ', about 3-5 min'}) ` +
          `and import (under 1 min)${opts.logFile ? `; raw output: ${opts.logFile}` : ''}`,
      );
      await progress.step(`debian rootfs ${dir} (debootstrap)`, async (ctx) => {
        if (reuse) {
          ctx.raw(`rootfs: reusing ${dir}`);
          ctx.cached();
        } else {
          await rm(join(dir, ROOTFS_MARKER), { force: true });
          const script = join(opts.scriptsDir, 'build-node-rootfs.sh');
          const child = spawn('bash', [script, dir, suite], { stdio: ['ignore', 'pipe', 'pipe'] });
          forwardLines(child.stdout, ctx.raw);
          forwardLines(child.stderr, ctx.raw);
          await waitExit(child, `${script} ${dir} ${suite}`);
        }
        await writeFile(join(dir, ROOTFS_MARKER), `${suite}\n`);
        await installNodeScripts(opts.scriptsDir, dir);
      });
      const changes = [...nodeImageChanges(), `LABEL ${INPUTS_LABEL}=${inputs}`];
      const id = await progress.step(`import ${image}`, (ctx) => importRootfs(engine, dir, opts, changes, ctx.raw));
      progress.say(`${image} (${id}) ready after ${elapsed().toFixed(1)} s`);
    } finally {
      await progress.close();
    }
    return { image, seconds: elapsed(), imported: true };
  });
}

/** Streams `tar -C <dir> -c .` into {@link Engine.importImage}; an archive cut short never stays as the image. */
async function importRootfs(
  engine: Engine,
  dir: string,
  opts: BuildNodeImageOptions,
  changes: readonly string[],
  raw: (line: string) => void,
): Promise<string> {
  const tar = spawn('tar', ['-C', dir, '--numeric-owner', '--exclude', `./${ROOTFS_MARKER}`, '-c', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tarDone = waitExit(tar, `tar -C ${dir} -c .`);
  void tarDone.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
  forwardLines(tar.stderr, (line) => raw(`tar: ${line}`));
  let id: string;
  try {
    id = await engine.importImage(tar.stdout, opts.repo, opts.tag, changes);
  } catch (err) {
    tar.kill();
    await tarDone.catch(() => {});
    throw err;
  }
  try {
    await tarDone;
  } catch (err) {
    await engine.removeImage(id); // an archive cut short must not stay as the node image
    throw err;
  }
  return id;
}

/**
 * The image's details, or null if it does not exist. A name the engine cannot parse (its 400) is the API's 400 naming
 * `image_id`, with the engine's reason.
 */
export async function inspectImageId(engine: Engine, image: string): Promise<ImageInspect | null> {
  try {
    return await engine.inspectImage(image);
  } catch (e) {
    if (e instanceof EngineError && e.status === 400) {
      const reason = /invalid reference format.*$/.exec(e.message)?.[0] ?? e.message;
      throw invalidImageReference('image_id', image, reason);
    }
    throw e;
  }
}

/** The image's `os_distro` label: undefined if the image does not exist, null if it has no such label. */
export async function imageOsDistro(engine: Engine, image: string): Promise<string | null | undefined> {
  const inspected = await inspectImageId(engine, image);
  if (!inspected) return undefined;
  return inspected.Config?.Labels?.os_distro ?? null;
}
