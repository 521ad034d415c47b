/**
 * @module A cluster's node images as the local provider runs them: an image the template names in Glance is looked up
 * with the cluster's trust-scoped token and stands for the local node image its `magnetar_local_image` property names;
 * any other reference is a local image already. Without a session (no Keystone, or a cluster made without trusts)
 * every reference is local.
 */
import { MagnumError } from '../core/errors.ts';
import { DriverError, type ClusterSpec } from '../drivers/contract.ts';
import { findGlanceImage, GlanceUnavailable, LOCAL_IMAGE_PROPERTY, localImageOf } from '../openstack/glance.ts';
import type { CloudSession } from './cluster-trust.ts';

/** `spec` with every Glance image reference replaced by the local node image it maps to. */
export async function withLocalImages(spec: ClusterSpec, cloud: CloudSession | null): Promise<ClusterSpec> {
  const endpoint = cloud?.endpoint('image');
  if (!cloud || !endpoint) return spec;
  const refs = new Set([spec.imageId, ...spec.nodegroups.map((g) => g.imageId)]);
  const mapped = new Map<string, string>();
  for (const ref of refs) {
    try {
      const image = await findGlanceImage(endpoint, cloud.token, ref);
      const local = localImageOf(image);
      if (!local) {
        throw new DriverError(
          'image',
          `Glance image ${ref} has no ${LOCAL_IMAGE_PROPERTY} property naming the local node image to run`,
        );
      }
      mapped.set(ref, local);
    } catch (e) {
      if (e instanceof DriverError) throw e;
      if (e instanceof MagnumError && e.code === 'ImageNotFound') continue; // a local image
      if (e instanceof GlanceUnavailable) throw new DriverError('image', e.message, { retryable: true, cause: e });
      throw new DriverError('image', `image ${ref}: ${(e as Error).message}`, { cause: e });
    }
  }
  if (mapped.size === 0) return spec;
  const local = (ref: string): string => mapped.get(ref) ?? ref;
  return {
    ...spec,
    imageId: local(spec.imageId),
    nodegroups: spec.nodegroups.map((g) => ({ ...g, imageId: local(g.imageId) })),
  };
}
