/**
 * @module The local provider's image catalog (Glance's role): does an image exist, and what is its `os_distro` label.
 * Answers for existing images are kept for a few seconds, so a burst of template creates asks the engine once;
 * a missing image is always asked again, so an image built a moment ago is found at once.
 */
import type { ImageCatalog } from '../../core/ports.ts';
import type { Engine } from './engine.ts';
import { imageOsDistro } from './image-build.ts';

export function dockerImageCatalog(engine: Engine, ttlMs = 5_000, now: () => number = Date.now): ImageCatalog {
  const known = new Map<string, { osDistro: string | null; until: number }>();
  return {
    async osDistro(imageId) {
      const hit = known.get(imageId);
      if (hit && hit.until > now()) return hit.osDistro;
      const found = await imageOsDistro(engine, imageId);
      if (found === undefined) known.delete(imageId);
      else known.set(imageId, { osDistro: found, until: now() + ttlMs });
      if (known.size > 1000) known.delete(known.keys().next().value as string);
      return found;
    },
  };
}
