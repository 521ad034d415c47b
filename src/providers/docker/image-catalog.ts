/**
 * @module The local provider's image catalog (Glance's role): does an image exist, and what is its `os_distro` label.
 * Answers for existing images are kept for a few seconds, so a burst of template creates asks the engine once;
 * a missing image is always asked again, so an image built a moment ago is found at once. The answers kept are bounded
 * by their bytes (1 MiB by default), whatever the length of the names asked for.
 */
import { SizedCache, stringBytes } from '../../core/sized-cache.ts';
import type { ImageCatalog } from '../../core/ports.ts';
import type { Engine } from './engine.ts';
import { imageOsDistro } from './image-build.ts';

/** Bytes of image answers the catalog keeps by default. */
export const IMAGE_CACHE_BYTES = 1024 * 1024;

export function dockerImageCatalog(
  engine: Engine,
  ttlMs = 5_000,
  now: () => number = Date.now,
  maxBytes = IMAGE_CACHE_BYTES,
): ImageCatalog {
  const known = new SizedCache<{ osDistro: string | null; until: number }>(
    maxBytes,
    (e) => stringBytes(e.osDistro ?? '') + 8,
  );
  return {
    async osDistro(imageId) {
      const hit = known.get(imageId);
      if (hit && hit.until > now()) return hit.osDistro;
      const found = await imageOsDistro(engine, imageId);
      if (found === undefined) known.delete(imageId);
      else known.set(imageId, { osDistro: found, until: now() + ttlMs });
      return found;
    },
  };
}
