/**
 * @module The local provider's image catalog (Glance's role): does an image exist, and what are its labels
 * (`os_distro`, `magnetar.node-image`, `magnetar.kube_version`, …). Answers for existing images are kept for a few
 * seconds, so a burst of template creates asks the engine once; a missing image is always asked again, so an image
 * built a moment ago is found at once. A name the engine cannot parse is a 400 naming `image_id`. The answers kept
 * are bounded by their bytes (1 MiB by default), whatever the length of the names asked for.
 */
import { SizedCache, stringBytes } from '../../core/sized-cache.ts';
import type { ImageCatalog } from '../../core/ports.ts';
import type { Engine } from './engine.ts';
import { inspectImageId } from './image-build.ts';

/** Bytes of image answers the catalog keeps by default. */
export const IMAGE_CACHE_BYTES = 1024 * 1024;

type Labels = Readonly<Record<string, string>>;

/** Bytes an image's labels hold, at most. */
const labelBytes = (labels: Labels): number =>
  Object.entries(labels).reduce((n, [k, v]) => n + stringBytes(k) + stringBytes(v), 8);

export function dockerImageCatalog(
  engine: Engine,
  ttlMs = 5_000,
  now: () => number = Date.now,
  maxBytes = IMAGE_CACHE_BYTES,
): ImageCatalog {
  const known = new SizedCache<{ labels: Labels; until: number }>(maxBytes, (e) => labelBytes(e.labels) + 8);
  const labels = async (imageId: string): Promise<Labels | undefined> => {
    const hit = known.get(imageId);
    if (hit && hit.until > now()) return hit.labels;
    const inspected = await inspectImageId(engine, imageId);
    if (!inspected) {
      known.delete(imageId);
      return undefined;
    }
    const found = { ...(inspected.Config?.Labels ?? {}) };
    known.set(imageId, { labels: found, until: now() + ttlMs });
    return found;
  };
  return {
    labels,
    async osDistro(imageId) {
      const found = await labels(imageId);
      return found === undefined ? undefined : (found.os_distro ?? null);
    },
  };
}
