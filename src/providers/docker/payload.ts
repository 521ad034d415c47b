/**
 * @module How the local provider delivers a machine's cloud-init payload (NODE-CONVENTION.md): ONE tar archive, PUT
 * into the created container at `/` before it starts, holding every `write_files` entry (mode and numeric owner
 * honoured, base64 decoded), the raw user-data at `/var/lib/cloud/seed/nocloud/user-data` and runcmd rendered as
 * cloud-init renders it at `/var/lib/cloud/instance/scripts/runcmd`. The image's `magnetar-node-init` runs that script
 * at every boot. Pure.
 */
import { CLOUD_INIT_PATHS, fileContent, fileMode, fileOwner, parseUserData, renderRuncmd } from '../cloud-config.ts';
import { tarFiles, type TarFile } from '../../core/tar.ts';

/** The files of the payload archive (paths absolute). Throws CloudConfigError for user-data outside the subset. */
export function payloadFiles(userData: string): TarFile[] {
  const config = parseUserData(userData);
  const files: TarFile[] = (config.write_files ?? []).map((f) => {
    const { uid, gid } = fileOwner(f.owner);
    return { path: f.path, content: fileContent(f), mode: fileMode(f.permissions), uid, gid };
  });
  files.push({ path: CLOUD_INIT_PATHS.userData, content: userData, mode: 0o600 });
  if (config.runcmd?.length)
    files.push({ path: CLOUD_INIT_PATHS.runcmd, content: renderRuncmd(config.runcmd), mode: 0o700 });
  return files;
}

/**
 * The archive to PUT at `/`. It has no directory entries: the engine makes missing parents (0755, root) and leaves
 * existing directories (`/tmp`, `/root`) as they are.
 */
export function payloadArchive(userData: string): Buffer {
  return tarFiles(payloadFiles(userData), { parents: false });
}
