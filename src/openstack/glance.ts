/**
 * @module Glance v2 image look-up as Magnum does it (`get_openstack_resource` + `validate_image`): an id-shaped
 * reference is fetched by id, anything else listed by name (none: not found, several: 409 asking for the id); 404 is
 * ImageNotFound (400), 403 ImageNotAuthorized. The caller's token (API) or the cluster's trust-scoped token (conductor)
 * is sent; the endpoint comes from the catalog.
 */
import { MagnumError } from '../core/errors.ts';
import { osRequest, type OsResponse } from './http.ts';

/** A Glance image: its id, name and every property (os_distro and the custom ones are top-level in v2). */
export interface GlanceImage {
  id: string;
  name: string | null;
  properties: Readonly<Record<string, unknown>>;
}

/** oslo's is_uuid_like: a UUID with or without dashes, any case. */
export function isUuidLike(s: string): boolean {
  return /^[0-9a-f]{32}$/i.test(s.replace(/-/g, '')) && /^[0-9a-f-]+$/i.test(s) && [32, 36].includes(s.length);
}

/** Glance could not be asked (no answer, or 5xx): worth trying again, not the client's fault. */
export class GlanceUnavailable extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
    this.name = 'GlanceUnavailable';
  }
}

const TIMEOUT_MS = 15_000;

export const imageNotFound = (ref: string): MagnumError =>
  new MagnumError('ImageNotFound', `Image ${ref} could not be found.`);

/**
 * Finds image `ref` (id or name) in the Glance at `endpoint` (the catalog URL, with or without /v2) with `token`.
 * @throws MagnumError ImageNotFound (400), ImageNotAuthorized (403), Conflict (409); GlanceUnavailable.
 */
export async function findGlanceImage(endpoint: string, token: string, ref: string): Promise<GlanceImage> {
  const base = endpoint.replace(/\/+$/, '').replace(/\/v2(\.\d+)?$/, '');
  const get = async (path: string): Promise<unknown> => {
    let res: OsResponse;
    try {
      res = await osRequest({
        service: 'glance',
        method: 'GET',
        url: `${base}/v2${path}`,
        headers: { 'x-auth-token': token },
        timeoutMs: TIMEOUT_MS,
        expect: [200, 403, 404],
      });
    } catch (e) {
      throw new GlanceUnavailable((e as Error).message, { cause: e });
    }
    if (res.status === 404) throw imageNotFound(ref);
    if (res.status === 403)
      throw new MagnumError('ImageNotAuthorized', `Not authorized for image ${ref}.`, { status: 403 });
    return res.body;
  };
  if (isUuidLike(ref)) return toImage((await get(`/images/${encodeURIComponent(ref)}`)) as Record<string, unknown>);
  // `eq:` always: Glance reads a bare name holding ':' (e.g. magnetar/node:bookworm) as `<operator>:<value>` and
  // answers 400 (Magnum sends the bare name, so such names fail there).
  const query = new URLSearchParams({ name: `eq:${ref}` });
  const body = (await get(`/images?${query}`)) as { images?: Record<string, unknown>[] };
  const images = body?.images ?? [];
  if (images.length === 0) throw imageNotFound(ref);
  if (images.length > 1) {
    throw new MagnumError(
      'Conflict',
      `Multiple images exist with same name ${ref}. Please use the resource id instead.`,
      {
        status: 409,
      },
    );
  }
  return toImage(images[0] as Record<string, unknown>);
}

function toImage(body: Record<string, unknown>): GlanceImage {
  return {
    id: String(body.id),
    name: typeof body.name === 'string' ? body.name : null,
    properties: body,
  };
}

/** The image's `os_distro` (Magnum's driver choice), or null when it has none. */
export function osDistroOf(image: GlanceImage): string | null {
  const v = image.properties.os_distro;
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * Glance property naming the local node image (a Docker image built by `magnetar image build`) that nodes of a Glance
 * image run from on the local provider.
 */
export const LOCAL_IMAGE_PROPERTY = 'magnetar_local_image';

/** The local node image a Glance image maps to on the local provider, or null when it names none. */
export function localImageOf(image: GlanceImage): string | null {
  const v = image.properties[LOCAL_IMAGE_PROPERTY];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}
