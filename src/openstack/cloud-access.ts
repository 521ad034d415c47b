/**
 * @module What the API asks the cloud in Keystone mode: Glance's endpoint (image look-ups are made with the caller's
 * token), whether a project exists (quota create), the trustee domain (policy's `deny_cluster_user`), and the sealed
 * trust row a new cluster is written with.
 */
import { randomBytes } from 'node:crypto';
import type { KeySealer } from '../certs/key-sealing.ts';
import type { Caller } from '../core/types.ts';
import type { NewClusterTrust } from '../store/trusts.ts';
import { MagnumError } from '../core/errors.ts';
import { EndpointNotFound } from './catalog.ts';
import { OpenStackError } from './http.ts';
import type { KeystoneSession } from './session.ts';
import type { TrustKeystone } from './keystone-trusts.ts';

export interface CloudAccess {
  /** Glance's endpoint from the catalog; undefined when the catalog has none. */
  imageEndpoint(): Promise<string | undefined>;
  /** Whether project `id` exists in Keystone. */
  projectExists(id: string): Promise<boolean>;
  /** The trustee domain's id (trustee users of clusters live there); asks Keystone once when not configured. */
  trusteeDomainId(): Promise<string>;
  /**
   * The trustee domain's id when known without a Keystone call (configured, or learned at start): for the policy's
   * `deny_cluster_user` rule (`not domain_id:%(trustee_domain_id)s`), which is checked synchronously.
   */
  knownTrusteeDomainId(): string | undefined;
  /**
   * The trust row of a new cluster: trustee name `<uuid>_<project>`, a new random password and the caller's token,
   * both sealed; the roles the trust delegates (`trust.roles`, else the caller's).
   */
  newTrust(clusterUuid: string, caller: Caller, token: string): NewClusterTrust;
}

/** A trustee password: 32 characters from 24 random bytes (Magnum makes 18). */
export const trusteePassword = (): string => randomBytes(24).toString('base64url');

/** Keystone could not answer a look-up the request needs: 503 naming the call. */
async function orUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!(e instanceof OpenStackError)) throw e;
    throw new MagnumError('ServiceUnavailable', `${e.message}.`, { status: 503, cause: e });
  }
}

/**
 * @param service the service's own session (`keystone.*`): other services' endpoints come from its catalog; without
 * one, from the trustee domain admin's.
 */
export function cloudAccess(keystone: TrustKeystone, sealer: KeySealer, service?: KeystoneSession): CloudAccess {
  const imageEndpoint = async (): Promise<string | undefined> => {
    if (!service) return keystone.endpoint('image');
    try {
      return await service.endpoint('image');
    } catch (e) {
      if (e instanceof EndpointNotFound) return undefined;
      throw e;
    }
  };
  return {
    imageEndpoint: () => orUnavailable(imageEndpoint),
    projectExists: (id) => orUnavailable(() => keystone.projectExists(id)),
    trusteeDomainId: () => keystone.trusteeDomainId(),
    knownTrusteeDomainId: () => keystone.knownTrusteeDomainId(),
    newTrust(clusterUuid, caller, token) {
      const roles = keystone.settings.roles.length > 0 ? keystone.settings.roles : caller.roles;
      return {
        clusterId: clusterUuid,
        trusteeName: `${clusterUuid}_${caller.projectId}`,
        trusteePasswordSealed: sealer.seal(trusteePassword()),
        trustorUserId: caller.userId,
        trustorProjectId: caller.projectId,
        roles: [...roles],
        trustorTokenSealed: sealer.seal(token),
      };
    },
  };
}
