/**
 * @module Kubernetes versions the driver supports and the node image each one runs on (see NODE-CONVENTION:
 * `magnetar/k8s-node:<kube_tag>`, built by `magnetar image build --coe kubernetes --kube-tag <tag>`). Pure.
 */

/** The default `kube_tag`. */
export const DEFAULT_KUBE_TAG = 'v1.37.2';

/** Minor versions the driver's configuration is written for (kubelet config fields, flags). */
export const SUPPORTED_MINORS: readonly string[] = ['1.36', '1.37'];

/** The node image of a Kubernetes version. */
export const kubeNodeImage = (kubeTag: string): string => `magnetar/k8s-node:${kubeTag}`;

/** Why a `kube_tag` cannot be used (undefined when its form and minor version are supported). */
export function checkKubeTag(tag: string): string | undefined {
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(tag);
  if (!m) return 'must be a Kubernetes release tag such as v1.37.2';
  const minor = `${m[1]}.${m[2]}`;
  if (!SUPPORTED_MINORS.includes(minor))
    return `Kubernetes ${minor} is not supported; supported versions are ${SUPPORTED_MINORS.map((v) => `v${v}.x`).join(', ')} (default ${DEFAULT_KUBE_TAG})`;
  return undefined;
}

/**
 * Answers whether a version's node image is built (the provider's image catalog). Undefined when it is; otherwise
 * the message for the 400, which says how to build it.
 */
export type KubeImageCheck = (kubeTag: string) => Promise<string | undefined>;

/** The message for a `kube_tag` whose node image is missing. */
export function missingImageMessage(kubeTag: string): string {
  return (
    `Label kube_tag=${kubeTag} is not valid: the node image ${kubeNodeImage(kubeTag)} is not built; ` +
    `build it with: magnetar image build --coe kubernetes --kube-tag ${kubeTag}`
  );
}
