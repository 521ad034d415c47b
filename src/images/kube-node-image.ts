/**
 * @module images/kube-node-image — the version layer `magnetar/k8s-node:<kube_tag>` over the shared Debian base, with
 * the layout and labels of NODE-CONVENTION.md: `/opt/k8s/bin` (the multicall `kube` and its component names, etcd,
 * etcdctl, flanneld), `/opt/k8s/images/*.tar`, `/opt/k8s/VERSION`, `/opt/k8s/versions.env`, the node bootstrap
 * scripts in `/usr/local/sbin`, and ENTRYPOINT `magnetar-node-init`.
 */
import { chmod, copyFile, mkdir, readFile, readlink, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ADDON_VERSIONS,
  INPUTS_LABEL,
  KUBE_VERSION_LABEL,
  NODE_IMAGE_LABEL,
  PRELOADED_IMAGES,
  RECIPE_LABEL,
  kubeNodeImage,
} from '../core/kube-versions.ts';
import type { Engine } from '../providers/docker/engine.ts';
import { inputsHash } from './build-cache.ts';
import { buildFromDir } from './engine-build.ts';
import { place } from './preloaded-images.ts';

/** What goes into the version layer. */
export interface NodeLayerParts {
  kubeTag: string;
  /** The base image (`magnetar/k8s-base:bookworm`) and its id. */
  baseImage: string;
  baseId: string;
  /** Output directories of the Go builds: the kube binaries and the add-ons with binaries in /opt/k8s/bin. */
  kubeDir: string;
  binDirs: { etcd: string; flannel: string };
  /** Preloaded image tars by file name. */
  tars: ReadonlyMap<string, string>;
  /** `scripts/node/` of the repository (magnetar-node-init, magnetar-supervise). */
  nodeScriptsDir: string;
  /** The build's recipe ({@link RECIPE_LABEL}), which `--if-missing` compares without building anything. */
  recipe: string;
}

/** `/opt/k8s/versions.env` of a kube tag. */
export function versionsEnv(kubeTag: string): string {
  return [
    `KUBE_VERSION=${kubeTag}`,
    `ETCD_VERSION=${ADDON_VERSIONS.etcd}`,
    `FLANNEL_VERSION=${ADDON_VERSIONS.flannel}`,
    `COREDNS_VERSION=${ADDON_VERSIONS.coredns}`,
    `METRICS_SERVER_VERSION=${ADDON_VERSIONS.metricsServer}`,
    `PROMETHEUS_VERSION=${ADDON_VERSIONS.prometheus}`,
    `PAUSE_IMAGE=${PRELOADED_IMAGES.pause}`,
    `COREDNS_IMAGE=${PRELOADED_IMAGES.coredns}`,
    `METRICS_SERVER_IMAGE=${PRELOADED_IMAGES.metricsServer}`,
    `PROMETHEUS_IMAGE=${PRELOADED_IMAGES.prometheus}`,
    `BUSYBOX_IMAGE=${PRELOADED_IMAGES.busybox}`,
    '',
  ].join('\n');
}

/** The image's labels (NODE-CONVENTION.md). */
export function nodeLayerLabels(kubeTag: string, hash: string, recipe: string): Record<string, string> {
  return {
    os_distro: 'debian',
    [NODE_IMAGE_LABEL]: 'kubernetes',
    [KUBE_VERSION_LABEL]: kubeTag,
    [INPUTS_LABEL]: hash,
    [RECIPE_LABEL]: recipe,
  };
}

/** The node scripts of `scripts/node/` the version layer installs in `/usr/local/sbin`. */
export const NODE_LAYER_SCRIPTS = ['magnetar-node-init', 'magnetar-supervise'] as const;

/** The Dockerfile of the version layer. */
export function nodeLayerDockerfile(baseImage: string, kubeTag: string, hash: string, recipe: string): string {
  const labels = Object.entries(nodeLayerLabels(kubeTag, hash, recipe))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    `FROM ${baseImage}`,
    'COPY rootfs/ /',
    'ENV PATH=/opt/k8s/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin container=docker',
    'ENTRYPOINT ["/usr/local/sbin/magnetar-node-init"]',
    `LABEL ${labels}`,
    '',
  ].join('\n');
}

/** Hash of the version layer's inputs: the base id, every output directory (each keyed by its own inputs), scripts. */
export async function nodeLayerInputs(p: NodeLayerParts): Promise<string> {
  const scripts = await Promise.all(
    NODE_LAYER_SCRIPTS.map(async (s) => [`script:${s}`, await readFile(join(p.nodeScriptsDir, s))] as const),
  );
  return inputsHash([
    ['kube_tag', p.kubeTag],
    ['base', p.baseId],
    ['kube', p.kubeDir],
    ['etcd', p.binDirs.etcd],
    ['flannel', p.binDirs.flannel],
    ['tars', JSON.stringify([...p.tars.entries()].sort())],
    ['dockerfile', nodeLayerDockerfile(p.baseImage, p.kubeTag, 'HASH', 'RECIPE')],
    ['recipe', p.recipe],
    ['versions', versionsEnv(p.kubeTag)],
    ...scripts,
  ]);
}

/** Copies (hard-links) the output files of a build directory into `to`, keeping symlinks as symlinks. */
async function placeOutputs(from: string, to: string): Promise<void> {
  for (const e of await readdir(from, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    if (e.isSymbolicLink()) await symlink(await readlink(join(from, e.name)), join(to, e.name));
    else await place(join(from, e.name), join(to, e.name));
  }
}

/**
 * Builds `magnetar/k8s-node:<kube_tag>` unless it exists with the same inputs. Returns the image and whether it was
 * already there.
 */
export async function ensureKubeNodeImage(
  engine: Engine,
  cacheDir: string,
  p: NodeLayerParts,
  raw: (line: string) => void,
): Promise<{ image: string; cached: boolean; hash: string }> {
  const image = kubeNodeImage(p.kubeTag);
  const hash = await nodeLayerInputs(p);
  const existing = await engine.inspectImage(image);
  if (existing?.Config?.Labels?.[INPUTS_LABEL] === hash) return { image, cached: true, hash };
  const dir = join(cacheDir, 'stage', `k8s-node-${p.kubeTag}-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  const root = join(dir, 'rootfs');
  const bin = join(root, 'opt', 'k8s', 'bin');
  const imagesDir = join(root, 'opt', 'k8s', 'images');
  const sbin = join(root, 'usr', 'local', 'sbin');
  try {
    for (const d of [bin, imagesDir, sbin]) await mkdir(d, { recursive: true });
    await placeOutputs(p.kubeDir, bin);
    await placeOutputs(p.binDirs.etcd, bin);
    await placeOutputs(p.binDirs.flannel, bin);
    for (const [name, tar] of p.tars) await place(tar, join(imagesDir, name));
    for (const s of NODE_LAYER_SCRIPTS) {
      await copyFile(join(p.nodeScriptsDir, s), join(sbin, s));
      await chmod(join(sbin, s), 0o755);
    }
    await writeFile(join(root, 'opt', 'k8s', 'VERSION'), `${p.kubeTag}\n`);
    await writeFile(join(root, 'opt', 'k8s', 'versions.env'), versionsEnv(p.kubeTag));
    await writeFile(join(dir, 'Dockerfile'), nodeLayerDockerfile(p.baseImage, p.kubeTag, hash, p.recipe));
    raw(`building ${image} from ${dir}`);
    await buildFromDir(engine, dir, image, raw);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (existing) await dropReplaced(engine, existing.Id, raw);
  return { image, cached: false, hash };
}

/** Removes the image a rebuild replaced (now untagged), unless a container still uses it; that is not an error. */
export async function dropReplaced(engine: Engine, id: string, raw: (line: string) => void): Promise<void> {
  try {
    await engine.requestRaw('DELETE', `/images/${id}`);
    raw(`removed the replaced image ${id}`);
  } catch (err) {
    raw(`kept the replaced image ${id}: ${(err as Error).message}`);
  }
}
