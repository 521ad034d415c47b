/** @module Interfaces the domain needs from the outside world, implemented by providers and wired in main. */

/** Like Glance: does an image exist, and what is its `os_distro`? */
export interface ImageCatalog {
  /** undefined: no such image; null: the image has no os_distro property; else the os_distro value. */
  osDistro(imageId: string): Promise<string | null | undefined>;
}
