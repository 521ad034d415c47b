/** @module Interfaces the domain needs from the outside world, implemented by providers and wired in main. */

/** Like Glance: does an image exist, what is its `os_distro`, and what are its other properties (labels)? */
export interface ImageCatalog {
  /** undefined: no such image; null: the image has no os_distro property; else the os_distro value. */
  osDistro(imageId: string): Promise<string | null | undefined>;
  /** The image's labels (Glance's image properties); undefined: no such image. */
  labels(imageId: string): Promise<Readonly<Record<string, string>> | undefined>;
}
