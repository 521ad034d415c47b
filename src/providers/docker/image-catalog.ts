/**
 * @module The local provider's image catalog (Glance's role): does an image exist, and what are its labels
 * (`os_distro`, `magnetar.node-image`, `magnetar.kube_version`, …). Answers for existing images are kept for a few
 * seconds, so a burst of template creates asks the engine once; a missing image is always asked again, so an image
 * built a moment ago is found at once.
 */
import type { ImageCatalog } from '../../core/ports.ts';
import type { Engine } from './engine.ts';

export function dockerImageCatalog(engine: Engine, ttlMs = 5_000, now: () => number = Date.now): ImageCatalog {
  const known = new Map<string, { labels: Readonly<Record<string, string>>; until: number }>();
  const labels = async (imageId: string): Promise<Readonly<Record<string, string>> | undefined> => {
    const hit = known.get(imageId);
    if (hit && hit.until > now()) return hit.labels;
    const inspected = await engine.inspectImage(imageId);
    if (!inspected) {
      known.delete(imageId);
      return undefined;
    }
    const found = { ...(inspected.Config?.Labels ?? {}) };
    known.set(imageId, { labels: found, until: now() + ttlMs });
    if (known.size > 1000) known.delete(known.keys().next().value as string);
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
