/**
 * @module The trust of a cluster (Keystone mode), as Magnum's trust_manager but reconciled: the trustee user
 * `<cluster uuid>_<project id>` in the trustee domain and a trust from the creating user to it. Every step observes
 * Keystone first (the user by name, the trust among the trustee's trusts), so a conductor killed at any point converges
 * on one user and one trust. Each operation acts for the cluster with a fresh trust-scoped token; the trustee and trust
 * are removed only once the cluster's resources are gone, and a trustee or trust that is already gone never stops a
 * delete.
 */
import type { KeySealer } from '../certs/key-sealing.ts';
import { DriverError } from '../drivers/contract.ts';
import { findEndpoint } from '../openstack/catalog.ts';
import type { AuthToken } from '../openstack/session.ts';
import { isTransient, OpenStackError, type TrustKeystone } from '../openstack/keystone-trusts.ts';
import type { ClusterTrust, TrustRepository } from '../store/trusts.ts';

/** How the conductor acts in the cloud for one cluster during one operation: a trust-scoped token and its catalog. */
export interface CloudSession {
  token: string;
  /** The user the token acts as (the trustor: the trust impersonates). */
  userId: string;
  projectId: string | undefined;
  expiresAt: number;
  /** The endpoint of service `type` (image, compute, network, …) at the configured interface and region. */
  endpoint(type: string): string | undefined;
}

export interface ClusterTrustDeps {
  trusts: TrustRepository;
  sealer: KeySealer;
  keystone: TrustKeystone;
}

/** Keystone compares revocation times in whole seconds: a token issued in the second of a password change is revoked. */
const PASSWORD_CHANGE_PAUSE_MS = 1_100;

const failed = (uuid: string): string => `Failed to create trustee or trust for Cluster: ${uuid}`;

/** A Keystone failure as the conductor reports it: transient ones are retried, the rest end the operation. */
function asDriverError(phase: string, prefix: string, e: unknown): DriverError {
  if (e instanceof DriverError) return e;
  const retryable = isTransient(e);
  return new DriverError(phase, `${prefix}: ${(e as Error).message}`, { retryable, cause: e });
}

/** A trust row's decoded password. */
function passwordOf(deps: ClusterTrustDeps, row: ClusterTrust): string {
  return deps.sealer.open(row.trusteePasswordSealed);
}

export class ClusterTrusts {
  readonly #deps: ClusterTrustDeps;
  constructor(deps: ClusterTrustDeps) {
    this.#deps = deps;
  }

  /**
   * Makes what is missing of the cluster's trustee and trust (cluster create); a no-op for a cluster without a trust
   * row (made without Keystone trusts) or whose trust is recorded.
   * @throws DriverError phase `trust` (retryable when Keystone could not be reached).
   */
  async ensure(clusterUuid: string): Promise<void> {
    const { trusts, keystone } = this.#deps;
    const row = await trusts.get(clusterUuid);
    if (!row || (row.trustId && row.trusteeUserId)) return;
    const password = passwordOf(this.#deps, row);
    let userId = row.trusteeUserId;
    try {
      if (!userId) {
        // Observe first: an earlier attempt may have made the user and died before recording it.
        const existing = await keystone.findUser(row.trusteeName);
        if (existing) {
          await this.#adoptPassword(existing.id, password);
          userId = existing.id;
        } else {
          try {
            userId = (await keystone.createUser(row.trusteeName, password)).id;
          } catch (e) {
            // Another conductor made it between our look-up and create: take that one.
            if (!(e instanceof OpenStackError) || e.status !== 409) throw e;
            const raced = await keystone.findUser(row.trusteeName);
            if (!raced) throw e;
            await this.#adoptPassword(raced.id, password);
            userId = raced.id;
          }
        }
        await trusts.setTrustee(clusterUuid, userId);
      }
      // The trust may exist already (made by an attempt that died before recording it): the trustee lists its own.
      const own = await keystone.trustsOfTrustee(await keystone.trusteeToken(userId, password));
      const found = own.find(
        (t) => t.trustor_user_id === row.trustorUserId && (t.project_id ?? '') === row.trustorProjectId,
      );
      if (found) {
        await trusts.setTrust(clusterUuid, found.id);
        return;
      }
    } catch (e) {
      throw asDriverError('trust', failed(clusterUuid), e);
    }
    if (!row.trustorTokenSealed) {
      throw new DriverError('trust', `${failed(clusterUuid)}: the creating user's token is no longer held`);
    }
    let trustId: string;
    try {
      const trust = await keystone.createTrust(this.#deps.sealer.open(row.trustorTokenSealed), {
        trustorUserId: row.trustorUserId,
        trusteeUserId: userId,
        projectId: row.trustorProjectId,
        roles: row.roles,
      });
      trustId = trust.id;
    } catch (e) {
      if (e instanceof OpenStackError && (e.status === 401 || e.status === 404)) {
        throw new DriverError(
          'trust',
          `${failed(clusterUuid)}: the creating user's token is no longer valid (${e.message})`,
          { cause: e },
        );
      }
      throw asDriverError('trust', failed(clusterUuid), e);
    }
    await trusts.setTrust(clusterUuid, trustId);
  }

  /**
   * Makes `password` the password of trustee `userId` (made by an earlier attempt): nothing when it already is (the
   * usual case: it was stored before the user was made); else set, then a pause, since Keystone revokes every token of
   * a user whose password changes, including tokens issued later within the same second.
   */
  async #adoptPassword(userId: string, password: string): Promise<void> {
    const { keystone } = this.#deps;
    try {
      await keystone.trusteeToken(userId, password);
      return;
    } catch (e) {
      if (!(e instanceof OpenStackError) || e.status !== 401) throw e;
    }
    await keystone.setPassword(userId, password);
    await new Promise((resolve) => setTimeout(resolve, PASSWORD_CHANGE_PAUSE_MS));
  }

  /**
   * The trust-scoped session the conductor acts for the cluster with during one operation; null for a cluster without
   * a trust row.
   * @throws DriverError phase `trust`: the trust is not made yet, was deleted, or Keystone could not be reached.
   */
  async session(clusterUuid: string): Promise<CloudSession | null> {
    const row = await this.#deps.trusts.get(clusterUuid);
    if (!row) return null;
    if (!row.trusteeUserId || !row.trustId)
      throw new DriverError('trust', `cluster ${clusterUuid} has no trust yet (its create did not make one)`);
    let issued: AuthToken;
    try {
      issued = await this.#deps.keystone.trusteeToken(row.trusteeUserId, passwordOf(this.#deps, row), row.trustId);
    } catch (e) {
      if (e instanceof OpenStackError && !isTransient(e)) {
        throw new DriverError(
          'trust',
          `the trust of cluster ${clusterUuid} cannot be used (its trustee or trust was deleted?): ${e.message}`,
          { cause: e },
        );
      }
      throw asDriverError('trust', `cannot get a token for the trust of cluster ${clusterUuid}`, e);
    }
    const filter = this.#deps.keystone.endpoints;
    return {
      token: issued.token,
      userId: issued.info.userId,
      projectId: issued.info.project?.id,
      expiresAt: issued.info.expiresAt,
      endpoint: (type) => findEndpoint(issued.info.catalog ?? [], type, filter) ?? undefined,
    };
  }

  /**
   * Removes the cluster's trust and trustee (after every cloud resource of the cluster is gone). Whatever is already
   * gone is skipped; the trustee is also found by name, so one made by a create that died before recording it goes too.
   * @throws DriverError phase `trust`, retryable, only when Keystone could not be reached.
   */
  async remove(clusterUuid: string): Promise<{ trust: boolean; trustee: boolean }> {
    const { trusts, keystone } = this.#deps;
    const row = await trusts.get(clusterUuid);
    const removed = { trust: false, trustee: false };
    if (!row) return removed;
    const password = passwordOf(this.#deps, row);
    try {
      if (row.trusteeUserId && row.trustId) {
        // As Magnum for a member other than the creator: the trustee, impersonating the trustor, deletes the trust.
        try {
          const t = await keystone.trusteeToken(row.trusteeUserId, password, row.trustId);
          removed.trust = await keystone.deleteTrust(t.token, row.trustId);
        } catch (e) {
          // Trustee or trust already gone (401/403/404): deleting the user below removes any trust left anyway.
          if (!(e instanceof OpenStackError) || isTransient(e)) throw e;
        }
      }
      const userId = row.trusteeUserId ?? (await keystone.findUser(row.trusteeName))?.id;
      if (userId) removed.trustee = await keystone.deleteUser(userId);
      // A user of the same name made after the id was recorded cannot exist (names are unique in a domain), but a
      // create that died between making the user and recording its id leaves one only findable by name.
      if (row.trusteeUserId) {
        const stray = await keystone.findUser(row.trusteeName);
        if (stray) removed.trustee = (await keystone.deleteUser(stray.id)) || removed.trustee;
      }
    } catch (e) {
      throw asDriverError('trust', `removing the trustee of cluster ${clusterUuid}`, e);
    }
    await trusts.setTrust(clusterUuid, null);
    await trusts.setTrustee(clusterUuid, null);
    return removed;
  }
}
