/** @module Test helper: a Docker Engine client for a cluster from `magnetar cluster-config` output, and a tiny workload image. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Engine } from '../../src/providers/docker/engine.ts';
import { tarFiles } from '../../src/core/tar.ts';

/** Parses the `export DOCKER_HOST=…` lines and builds an mTLS client from the files in DOCKER_CERT_PATH. */
export async function engineFromConfig(exports: string, opts: { withClientCert?: boolean } = {}): Promise<Engine> {
  const env = Object.fromEntries([...exports.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  const host = env.DOCKER_HOST ?? '';
  const dir = env.DOCKER_CERT_PATH ?? '';
  const m = /^tcp:\/\/([\d.]+):(\d+)$/.exec(host);
  if (!m) throw new Error(`unexpected DOCKER_HOST ${host}`);
  const ca = await readFile(join(dir, 'ca.pem'), 'utf8');
  const tls =
    opts.withClientCert === false
      ? { ca }
      : { ca, cert: await readFile(join(dir, 'cert.pem'), 'utf8'), key: await readFile(join(dir, 'key.pem'), 'utf8') };
  return new Engine({ host: m[1] as string, port: Number(m[2]), tls: { ...tls, servername: 'localhost' } });
}

export const WORKLOAD_IMAGE = 'magnetar-test/busybox:1';

/** Imports a one-file image holding the host's static busybox into `engine`. */
export async function importBusybox(engine: Engine): Promise<void> {
  const bin = await readFile('/bin/busybox');
  const tar = tarFiles([{ path: 'bin/busybox', content: bin, mode: 0o755 }]);
  const [repo, tag] = WORKLOAD_IMAGE.split(':') as [string, string];
  await engine.importImage(Readable.from([tar]), repo, tag, ['CMD ["/bin/busybox", "sleep", "3600"]']);
}
