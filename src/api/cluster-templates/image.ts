/**
 * @module A template's `image_id`: a Glance image (by id or name, with the caller's token) where Keystone is
 * configured, else — or when Glance has no such image — a local node image. A Glance image chooses the driver by its
 * `os_distro`, as in Magnum, and on the local provider must name the local node image its nodes run
 * (`magnetar_local_image`); a template naming one without it is refused with a 400 saying so.
 */
import { MagnumError } from '../../core/errors.ts';
import { checkImageReference } from '../../core/image-reference.ts';
import { checkNodeImage } from '../../core/kube-versions.ts';
import {
  findGlanceImage,
  GlanceUnavailable,
  imageNotFound,
  LOCAL_IMAGE_PROPERTY,
  localImageOf,
  osDistroOf,
} from '../../openstack/glance.ts';
import type { ApiDeps } from '../deps.ts';

/** A resolved template image: its os_distro and the local node image nodes run. */
export interface TemplateImage {
  osDistro: string;
  localImage: string;
  /** Glance's id when the image is a Glance image. */
  glanceId: string | null;
}

const osMissing = (ref: string): MagnumError =>
  new MagnumError('OSDistroFieldNotFound', `Image ${ref} doesn't contain os_distro field.`);

/**
 * Resolves `ref` for a request carrying `token` (the caller's Keystone token, when there is one).
 * @param nodeImage also require a Magnetar node image (template create and update).
 */
export async function resolveTemplateImage(
  deps: ApiDeps,
  token: string | undefined,
  ref: string,
  opts: { nodeImage: boolean },
): Promise<TemplateImage> {
  const endpoint = deps.cloud && token ? await deps.cloud.imageEndpoint() : undefined;
  if (endpoint && token) {
    try {
      const image = await findGlanceImage(endpoint, token, ref);
      const os = osDistroOf(image);
      if (os === null) throw osMissing(ref);
      const local = localImageOf(image);
      if (local === null) {
        throw new MagnumError(
          'InvalidParameterValue',
          `Image ${ref} is a Glance image without the ${LOCAL_IMAGE_PROPERTY} property: the local provider runs nodes ` +
            `from a local node image, so set ${LOCAL_IMAGE_PROPERTY} on the Glance image to one built by ` +
            `"magnetar image build" (e.g. magnetar/node:bookworm), or give that local image as image_id.`,
        );
      }
      checkImageReference(LOCAL_IMAGE_PROPERTY, local);
      if (opts.nodeImage) await checkNodeImage(deps.images, local);
      return { osDistro: os, localImage: local, glanceId: image.id };
    } catch (e) {
      if (e instanceof GlanceUnavailable)
        throw new MagnumError('ServiceUnavailable', `${e.message}.`, { status: 503, cause: e });
      if (!(e instanceof MagnumError) || e.code !== 'ImageNotFound') throw e;
      // Not in Glance: a local image, if there is one.
    }
  }
  checkImageReference('image_id', ref);
  const os = await deps.images.osDistro(ref);
  if (os === undefined) throw imageNotFound(ref);
  if (os === null) throw osMissing(ref);
  if (opts.nodeImage) await checkNodeImage(deps.images, ref);
  return { osDistro: os, localImage: ref, glanceId: null };
}

/**
 * Where an image is given after template create (upgrade's template, a node group's image_id): in Keystone mode with
 * Glance it is resolved as at template create (a Glance name need not be a Docker reference); otherwise only its
 * Docker reference grammar is checked, as before.
 */
export async function checkGivenImage(deps: ApiDeps, token: string | undefined, ref: string): Promise<void> {
  if (deps.cloud && token) await resolveTemplateImage(deps, token, ref, { nodeImage: false });
  else checkImageReference('image_id', ref);
}
