/**
 * @module Who may create clusters on the local Docker provider. Its node containers are near-privileged (every
 * capability but one, seccomp and AppArmor off), so owning a cluster there means reaching the host; operators who
 * serve several projects restrict it with `providers.local.allowed_projects`. Pure: no I/O.
 */
import type { Caller } from './types.ts';
import { forbidden, type MagnumError } from './errors.ts';

/** Drivers of the local Docker provider carry this suffix in their name (`swarm-local`, `docker-local`). */
export const LOCAL_DRIVER_SUFFIX = '-local';

/** Whether the driver named `driverName` builds its nodes on the local Docker provider. */
export const isLocalDriver = (driverName: string): boolean => driverName.endsWith(LOCAL_DRIVER_SUFFIX);

/**
 * The 403 for a caller who may not create a cluster with driver `driverName`, or undefined when it may: always for
 * admins and for drivers of other providers; otherwise when `allowedProjects` is empty (the default: everyone) or
 * holds the caller's project.
 */
export function localProviderRefusal(
  allowedProjects: readonly string[],
  caller: Caller,
  driverName: string,
): MagnumError | undefined {
  if (!isLocalDriver(driverName) || caller.isAdmin || allowedProjects.length === 0) return undefined;
  if (allowedProjects.includes(caller.projectId)) return undefined;
  return forbidden(
    'PolicyNotAuthorized',
    `Policy doesn't allow cluster:create to be performed. Project ${caller.projectId} may not create clusters on the local provider (driver ${driverName}); see providers.local.allowed_projects.`,
  );
}
