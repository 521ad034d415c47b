/**
 * @module images/debian-base — the Debian base of every Kubernetes node image, `magnetar/k8s-base:<suite>`: a
 * debootstrap minbase with containerd, runc, the CNI plugins and the network tools kubelet and kube-proxy use, built
 * once and shared by every kube tag (its inputs hash is the image's `magnetar.inputs` label).
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { INPUTS_LABEL } from '../core/kube-versions.ts';
import type { Engine } from '../providers/docker/engine.ts';
import { inputsHash } from './build-cache.ts';
import { dropReplaced } from './kube-node-image.ts';
import { runTool } from './run-tool.ts';

export const BASE_REPO = 'magnetar/k8s-base';
export const BASE_SUITE = 'bookworm';

/** Debian packages of the base (NODE-CONVENTION.md); busybox-static is the busybox test image's source. */
export const BASE_PACKAGES = [
  'containerd',
  'runc',
  'containernetworking-plugins',
  'iptables',
  'conntrack',
  'ipset',
  'ebtables',
  'iproute2',
  'socat',
  'openssl',
  'ca-certificates',
  'curl',
  'procps',
  'busybox-static',
] as const;

const MARKER = '.magnetar-base-inputs';

/** The base image name, e.g. `magnetar/k8s-base:bookworm`. */
export const baseImage = (): string => `${BASE_REPO}:${BASE_SUITE}`;

/** Where the base's root filesystem is kept (it also provides busybox for the busybox image). */
export const baseRootfsDir = (cacheDir: string): string => join(cacheDir, `k8s-base-rootfs-${BASE_SUITE}`);

/** Hash of the base's inputs: suite, packages and the script that builds it. */
export async function baseInputs(scriptsDir: string): Promise<string> {
  const script = await readFile(join(scriptsDir, 'images', 'k8s-base-rootfs.sh'));
  return inputsHash([
    ['suite', BASE_SUITE],
    ['packages', BASE_PACKAGES.join(',')],
    ['script', script],
  ]);
}

/**
 * Makes sure `magnetar/k8s-base:<suite>` exists with the current inputs: reuses a finished rootfs with the same
 * inputs, else runs debootstrap; then imports it. Returns whether anything was done.
 */
export async function ensureDebianBase(
  engine: Engine,
  cacheDir: string,
  scriptsDir: string,
  raw: (line: string) => void,
): Promise<{ image: string; cached: boolean }> {
  const hash = await baseInputs(scriptsDir);
  const image = baseImage();
  const existing = await engine.inspectImage(image);
  if (existing?.Config?.Labels?.[INPUTS_LABEL] === hash) return { image, cached: true };
  const dir = baseRootfsDir(cacheDir);
  const done = await readFile(join(dir, MARKER), 'utf8').catch(() => '');
  if (done.trim() !== hash) {
    const script = join(scriptsDir, 'images', 'k8s-base-rootfs.sh');
    await runTool('bash', [script, dir, BASE_SUITE, ...BASE_PACKAGES], { raw });
    await writeFile(join(dir, MARKER), `${hash}\n`);
  } else {
    raw(`rootfs ${dir} is current (inputs ${hash}); importing it`);
  }
  const changes = [
    'ENV container=docker',
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'LABEL os_distro=debian',
    `LABEL ${INPUTS_LABEL}=${hash}`,
  ];
  const tar = spawn('tar', ['-C', dir, '--numeric-owner', '--exclude', `./${MARKER}`, '-c', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: tar.stderr, crlfDelay: Infinity }).on('line', (l) => raw(`tar: ${l}`));
  const tarDone = new Promise<void>((resolve, reject) => {
    tar.once('error', reject);
    tar.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar -C ${dir} failed (exit ${code})`))));
  });
  void tarDone.catch(() => {}); // awaited below
  const [repo, tag] = image.split(':') as [string, string];
  let id: string;
  try {
    id = await engine.importImage(tar.stdout, repo, tag, changes);
  } catch (err) {
    tar.kill();
    throw err;
  }
  try {
    await tarDone;
  } catch (err) {
    await engine.removeImage(id);
    throw err;
  }
  raw(`imported ${image} (${id})`);
  if (existing) await dropReplaced(engine, existing.Id, raw);
  return { image, cached: false };
}
