/**
 * @module The inputs of the swarm node image, hashed: the rootfs build script, the node scripts (NODE-CONVENTION.md)
 * and the image config changes. The hash is the image's `magnetar.inputs` label; an image whose label differs (or that
 * has none: built before) is stale, and `buildNodeImage({ ifMissing })` builds it again. The node scripts are also
 * installed into the root filesystem before each import, so a reused (cached) rootfs carries the current ones.
 */
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The image label holding the inputs hash. */
export const INPUTS_LABEL = 'magnetar.inputs';

/** The node scripts: repository path under `scripts/` → path inside the image. */
export const NODE_SCRIPT_FILES: Readonly<Record<string, string>> = {
  'node/magnetar-node-init': 'usr/local/sbin/magnetar-node-init',
  'node/magnetar-supervise': 'usr/local/sbin/magnetar-supervise',
};

/** sha256 (hex, first 16 digits) over the build script, the node scripts and the image config changes. */
export async function nodeImageInputs(scriptsDir: string, changes: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const rel of ['build-node-rootfs.sh', ...Object.keys(NODE_SCRIPT_FILES)]) {
    h.update(`${rel}\0`);
    h.update(await readFile(join(scriptsDir, rel)));
    h.update('\0');
  }
  for (const c of changes) h.update(`${c}\0`);
  return h.digest('hex').slice(0, 16);
}

/** Copies the node scripts into a root filesystem directory (mode 0755). */
export async function installNodeScripts(scriptsDir: string, rootfs: string): Promise<void> {
  for (const [rel, target] of Object.entries(NODE_SCRIPT_FILES)) {
    const dest = join(rootfs, target);
    await mkdir(join(dest, '..'), { recursive: true });
    await copyFile(join(scriptsDir, rel), dest);
    await chmod(dest, 0o755);
  }
}
