/**
 * @module images/lb-image — the local load balancer's image `magnetar/lb-haproxy:<suite>`: Debian's haproxy (what
 * Octavia's amphorae run) unpacked over the Kubernetes images' Debian base (`magnetar/k8s-base`, shared layers), its
 * ENTRYPOINT haproxy in master-worker mode on `/etc/haproxy/haproxy.cfg` (written by the provider). Built by
 * `magnetar image build --coe kubernetes` after the node image, cached by its inputs (base id, package versions,
 * script, Dockerfile): seconds when the base exists.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INPUTS_LABEL } from '../core/kube-versions.ts';
import type { Engine } from '../providers/docker/engine.ts';
import { withBuildLock } from '../providers/docker/image-build.ts';
import { HAPROXY_CONFIG } from '../providers/docker/haproxy-config.ts';
import { LB_IMAGE } from '../providers/docker/load-balancers.ts';
import { buildCacheDir, inputsHash } from './build-cache.ts';
import { baseRootfsDir, ensureDebianBase } from './debian-base.ts';
import { buildFromDir } from './engine-build.ts';
import { dropReplaced } from './kube-node-image.ts';
import { BuildProgress } from './progress.ts';
import { runTool, toolOutput } from './run-tool.ts';

/** The Debian packages unpacked into the image (their missing libraries come along). */
export const LB_PACKAGES = ['haproxy'] as const;

/** The image's Dockerfile: haproxy checked to start (`-vv` resolves every library) during the build. */
export function lbDockerfile(baseImage: string, hash: string): string {
  return [
    `FROM ${baseImage}`,
    'COPY rootfs/ /',
    'RUN ["/usr/sbin/haproxy", "-vv"]',
    `ENTRYPOINT ["/usr/sbin/haproxy", "-W", "-db", "-f", "${HAPROXY_CONFIG}"]`,
    `LABEL os_distro=debian magnetar.load-balancer=haproxy ${INPUTS_LABEL}=${hash}`,
    '',
  ].join('\n');
}

/** The candidate version of each package in the host's apt (the base's suite), e.g. `haproxy=2.6.12-1+deb12u4`. */
async function packageVersions(): Promise<string> {
  const stdout = await toolOutput('apt-cache', ['show', '--no-all-versions', ...LB_PACKAGES]);
  return [...stdout.matchAll(/^Package: (\S+)\n(?:.*\n)*?Version: (\S+)$/gm)].map((m) => `${m[1]}=${m[2]}`).join(' ');
}

export interface LbImageBuildOptions {
  /** The repository root (holds scripts/). */
  repoDir: string;
  cacheDir?: string;
  /** Do nothing when the image exists (whatever its inputs). */
  ifMissing?: boolean;
  write: (text: string) => void;
}

/** Builds (or finds current) `magnetar/lb-haproxy`; `built` is false when nothing had to be done. */
export async function buildLbImage(
  engine: Engine,
  opts: LbImageBuildOptions,
): Promise<{ image: string; built: boolean; seconds: number; logFile: string | null }> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const image = LB_IMAGE;
  const cacheDir = buildCacheDir(opts.cacheDir);
  if (opts.ifMissing && (await engine.inspectImage(image))) {
    opts.write(`[image] ${image} exists\n`);
    return { image, built: false, seconds: seconds(), logFile: null };
  }
  // The base is shared with the Kubernetes images: the same lock as their build.
  return withBuildLock(
    join(cacheDir, 'kube-build'),
    (l) => opts.write(`[image] ${l}\n`),
    async () => {
      const logFile = BuildProgress.logPath(cacheDir, 'lb-haproxy');
      const progress = new BuildProgress({ total: 2, logFile, write: opts.write });
      try {
        const scriptsDir = join(opts.repoDir, 'scripts');
        const base = await progress.step('debian base magnetar/k8s-base (debootstrap)', async (ctx) => {
          const r = await ensureDebianBase(engine, cacheDir, scriptsDir, ctx.raw);
          if (r.cached) ctx.cached();
          return r.image;
        });
        let built = false;
        await progress.step(`load balancer image ${image} (haproxy)`, async (ctx) => {
          const baseId = (await engine.inspectImage(base))?.Id ?? base;
          const script = join(scriptsDir, 'images', 'lb-rootfs.sh');
          const hash = inputsHash([
            ['base', baseId],
            ['packages', await packageVersions()],
            ['script', await readFile(script)],
            ['dockerfile', lbDockerfile(base, 'HASH')],
          ]);
          const existing = await engine.inspectImage(image);
          if (existing?.Config?.Labels?.[INPUTS_LABEL] === hash) return ctx.cached();
          const dir = join(cacheDir, 'stage', `lb-haproxy-${process.pid}`);
          try {
            await runTool('bash', [script, dir, baseRootfsDir(cacheDir), ...LB_PACKAGES], { raw: ctx.raw });
            await mkdir(dir, { recursive: true });
            await writeFile(join(dir, 'Dockerfile'), lbDockerfile(base, hash));
            await buildFromDir(engine, dir, image, ctx.raw);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
          if (existing) await dropReplaced(engine, existing.Id, ctx.raw);
          built = true;
        });
        progress.say(`${image} ${built ? 'built' : 'up to date'} after ${seconds().toFixed(1)} s`);
        return { image, built, seconds: seconds(), logFile };
      } finally {
        await progress.close();
      }
    },
  );
}
