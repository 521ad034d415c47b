/**
 * @module Test helper: a tiny workload image built on the host engine through the Engine API (`POST /build` with a tar
 * context: FROM scratch, the host's static busybox and a file with a random greeting), to be loaded into clusters.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFromDir } from '../../src/images/engine-build.ts';
import type { Engine } from '../../src/providers/docker/engine.ts';

export interface HelloImage {
  /** e.g. `magnetar-test/hello:1a2b3c4d` */
  ref: string;
  /** What `/greeting` holds (and the default command prints). */
  greeting: string;
  remove(): Promise<void>;
}

/** Builds `magnetar-test/hello:<random>` whose default command prints its greeting. */
export async function buildHelloImage(host: Engine): Promise<HelloImage> {
  const id = randomBytes(4).toString('hex');
  const ref = `magnetar-test/hello:${id}`;
  const greeting = `hello from the host ${id}`;
  const dir = await mkdtemp(join(tmpdir(), 'magnetar-hello-'));
  try {
    await copyFile('/bin/busybox', join(dir, 'busybox'));
    await writeFile(join(dir, 'greeting'), `${greeting}\n`);
    await writeFile(
      join(dir, 'Dockerfile'),
      'FROM scratch\nCOPY busybox /bin/busybox\nCOPY greeting /greeting\nENTRYPOINT ["/bin/busybox"]\nCMD ["cat", "/greeting"]\n',
    );
    await buildFromDir(host, dir, ref, () => {});
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { ref, greeting, remove: () => host.removeImage(ref).catch(() => undefined) };
}
