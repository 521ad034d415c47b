/**
 * @module images/preloaded-images — the container images every Kubernetes node image carries as `docker save` tars
 * for `ctr -n k8s.io images import` (no registry anywhere): the pause sandbox image from our own static `pause.c`,
 * CoreDNS, metrics-server, Prometheus and busybox, each FROM scratch, under fully qualified `magnetar.local/…`
 * references.
 */
import { access, chmod, copyFile, link, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INPUTS_LABEL, PRELOADED_IMAGES } from '../core/kube-versions.ts';
import type { Engine } from '../providers/docker/engine.ts';
import { inputsHash, type Input } from './build-cache.ts';
import { buildFromDir, saveImageTar } from './engine-build.ts';
import { runTool, toolOutput } from './run-tool.ts';

/** Where the pieces of the preloaded images come from. */
export interface PreloadSources {
  /** `build/images/pause/` (holds pause.c). */
  pauseDir: string;
  /** Output directories of the add-on builds. */
  corednsDir: string;
  metricsServerDir: string;
  prometheusDir: string;
  /** The Debian base rootfs (holds the static busybox). */
  baseRootfs: string;
}

/** One preloaded image: its reference, tar name and how its build context is made. */
interface PreloadImage {
  ref: string;
  file: string;
  inputs: () => Promise<Input[]>;
  context: (dir: string, raw: (line: string) => void) => Promise<void>;
}

/** Hard-links (or copies, across file systems) `from` to `to`. */
export async function place(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, to);
  }
}

const scratchBinary = (name: string, extra = ''): string =>
  `FROM scratch\nCOPY rootfs/ /\n${extra}ENTRYPOINT ["/${name}"]\n`;

function images(src: PreloadSources): PreloadImage[] {
  return [
    {
      ref: PRELOADED_IMAGES.pause,
      file: 'pause.tar',
      inputs: async () => [
        ['pause.c', await readFile(join(src.pauseDir, 'pause.c'))],
        ['gcc', await toolOutput('gcc', ['-dumpfullversion'])],
      ],
      context: async (dir, raw) => {
        await mkdir(join(dir, 'rootfs'), { recursive: true });
        const out = join(dir, 'rootfs', 'pause');
        await runTool('gcc', ['-static', '-Os', '-Wall', '-o', out, join(src.pauseDir, 'pause.c')], { raw });
        await runTool('strip', [out], { raw });
        await writeFile(join(dir, 'Dockerfile'), scratchBinary('pause', 'USER 65535:65535\n'));
      },
    },
    {
      ref: PRELOADED_IMAGES.coredns,
      file: 'coredns.tar',
      inputs: async () => [['coredns', src.corednsDir]],
      context: async (dir) => {
        await mkdir(join(dir, 'rootfs'), { recursive: true });
        await place(join(src.corednsDir, 'coredns'), join(dir, 'rootfs', 'coredns'));
        await writeFile(join(dir, 'Dockerfile'), scratchBinary('coredns', 'EXPOSE 53 53/udp\n'));
      },
    },
    {
      ref: PRELOADED_IMAGES.metricsServer,
      file: 'metrics-server.tar',
      inputs: async () => [['metrics-server', src.metricsServerDir]],
      context: async (dir) => {
        await mkdir(join(dir, 'rootfs', 'tmp'), { recursive: true });
        await chmod(join(dir, 'rootfs', 'tmp'), 0o1777);
        await place(join(src.metricsServerDir, 'metrics-server'), join(dir, 'rootfs', 'metrics-server'));
        await writeFile(join(dir, 'Dockerfile'), scratchBinary('metrics-server', 'USER 65534:65534\n'));
      },
    },
    {
      // Config from a ConfigMap at /etc/prometheus, the TSDB on a volume at /prometheus (both mounted by the driver).
      ref: PRELOADED_IMAGES.prometheus,
      file: 'prometheus.tar',
      inputs: async () => [['prometheus', src.prometheusDir]],
      context: async (dir) => {
        for (const d of ['tmp', 'prometheus', 'etc/prometheus'])
          await mkdir(join(dir, 'rootfs', d), { recursive: true });
        await chmod(join(dir, 'rootfs', 'tmp'), 0o1777);
        await place(join(src.prometheusDir, 'prometheus'), join(dir, 'rootfs', 'prometheus-server'));
        await writeFile(
          join(dir, 'Dockerfile'),
          'FROM scratch\nCOPY rootfs/ /\nUSER 65534:65534\nEXPOSE 9090\nWORKDIR /prometheus\n' +
            'ENTRYPOINT ["/prometheus-server"]\nCMD ["--config.file=/etc/prometheus/prometheus.yml", ' +
            '"--storage.tsdb.path=/prometheus"]\n',
        );
      },
    },
    {
      ref: PRELOADED_IMAGES.busybox,
      file: 'busybox.tar',
      inputs: async () => [['busybox', await readFile(join(src.baseRootfs, 'bin', 'busybox'))]],
      context: async (dir) => {
        const bin = join(dir, 'rootfs', 'bin');
        await mkdir(bin, { recursive: true });
        await mkdir(join(dir, 'rootfs', 'tmp'), { recursive: true });
        await chmod(join(dir, 'rootfs', 'tmp'), 0o1777);
        const busybox = join(src.baseRootfs, 'bin', 'busybox');
        await place(busybox, join(bin, 'busybox'));
        for (const applet of (await toolOutput(busybox, ['--list'])).split('\n')) {
          if (applet && applet !== 'busybox') await symlink('busybox', join(bin, applet));
        }
        await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin\nCMD ["sh"]\n');
      },
    },
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
 * Builds each preloaded image whose tar (keyed by its inputs) is not in `<cacheDir>/images/` yet, and returns the
 * tar files by name (`pause.tar` → path) and whether all were cached.
 */
export async function ensurePreloadedImages(
  engine: Engine,
  cacheDir: string,
  src: PreloadSources,
  raw: (line: string) => void,
): Promise<{ tars: Map<string, string>; cached: boolean }> {
  const tars = new Map<string, string>();
  let cached = true;
  await mkdir(join(cacheDir, 'images'), { recursive: true });
  for (const img of images(src)) {
    const hash = inputsHash([['ref', img.ref], ...(await img.inputs())]);
    const tar = join(cacheDir, 'images', `${img.file.replace(/\.tar$/, '')}-${hash}.tar`);
    tars.set(img.file, tar);
    if (await exists(tar)) continue;
    cached = false;
    const dir = join(cacheDir, 'stage', `${img.file}-${process.pid}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    try {
      await img.context(dir, raw);
      raw(`building ${img.ref}`);
      await buildFromDir(engine, dir, img.ref, raw, { [INPUTS_LABEL]: hash });
      await saveImageTar(engine, img.ref, tar);
      raw(`saved ${img.ref} -> ${tar}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { tars, cached };
}
