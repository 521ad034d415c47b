/**
 * @module The Kubernetes versions Magnetar builds and supports (a template's `kube_tag` label picks one), the add-on
 * versions built with them, and the names of the node images and the container images they carry. Pure data and
 * rules; the build is in src/images/, the image lookup in providers/docker/image-catalog.ts.
 */
import { invalid, MagnumError } from './errors.ts';
import type { ImageCatalog } from './ports.ts';

/** One supported Kubernetes release: the tag, and what its version stamp says. */
export interface KubeRelease {
  /** The `kube_tag` label value and the k8s.io/kubernetes module version, e.g. `v1.37.2`. */
  tag: string;
  /** Release date of the tag on the Go module proxy; stamped as the binaries' build date (reproducible). */
  releaseDate: string;
}

/** Supported releases, the default first. Each has its Go module at `build/kubernetes/<tag>/`. */
export const KUBE_RELEASES: readonly KubeRelease[] = [
  { tag: 'v1.37.2', releaseDate: '2026-10-27T12:01:04Z' },
  { tag: 'v1.36.3', releaseDate: '2026-07-22T18:07:38Z' },
];

/** The `kube_tag` used when a template does not set one. */
export const DEFAULT_KUBE_TAG = 'v1.37.2';

/** The label that picks the Kubernetes version. */
export const KUBE_TAG_LABEL = 'kube_tag';

/** Add-ons built from their Go modules (`build/addons/<name>/`) and carried by every Kubernetes node image. */
export const ADDON_VERSIONS = {
  etcd: 'v3.7.3',
  flannel: 'v0.28.10',
  coredns: 'v1.15.0',
  metricsServer: 'v0.9.0',
  /** Prometheus 3.16.0: its Go module publishes v3 releases as v0.316.0 (`build/addons/prometheus/`). */
  prometheus: 'v3.16.0',
} as const;

/** Container images preloaded in every Kubernetes node image (`/opt/k8s/images/*.tar`); no registry is ever asked. */
export const PRELOADED_IMAGES = {
  pause: 'magnetar.local/pause:3.10',
  coredns: `magnetar.local/coredns:${ADDON_VERSIONS.coredns}`,
  metricsServer: `magnetar.local/metrics-server:${ADDON_VERSIONS.metricsServer}`,
  prometheus: `magnetar.local/prometheus:${ADDON_VERSIONS.prometheus}`,
  busybox: 'magnetar.local/busybox:1',
} as const;

/** Repository of the Kubernetes node images. */
export const KUBE_NODE_REPO = 'magnetar/k8s-node';

/** Image labels of node images (NODE-CONVENTION.md). */
export const NODE_IMAGE_LABEL = 'magnetar.node-image';
export const KUBE_VERSION_LABEL = 'magnetar.kube_version';
export const INPUTS_LABEL = 'magnetar.inputs';
/** A Kubernetes node image's recipe: the hash of every source input of its build, computed without building. */
export const RECIPE_LABEL = 'magnetar.recipe';

/** The node image of a kube tag, e.g. `magnetar/k8s-node:v1.37.2`. */
export const kubeNodeImage = (tag: string): string => `${KUBE_NODE_REPO}:${tag}`;

/** The command that builds the node image of a kube tag. */
export const kubeImageBuildCommand = (tag: string): string =>
  tag === DEFAULT_KUBE_TAG
    ? 'magnetar image build --coe kubernetes'
    : `magnetar image build --coe kubernetes --kube-tag ${tag}`;

export const supportedKubeTags = (): string[] => KUBE_RELEASES.map((r) => r.tag);

/** The release of a tag, or undefined when it is not supported. */
export const kubeRelease = (tag: string): KubeRelease | undefined => KUBE_RELEASES.find((r) => r.tag === tag);

/**
 * The kube tag a template's labels pick (the default when unset); a 400 naming the label and the supported versions
 * when the value is not one of them.
 */
export function checkKubeTag(labels: Readonly<Record<string, string>>): string {
  const tag = labels[KUBE_TAG_LABEL] ?? DEFAULT_KUBE_TAG;
  if (!kubeRelease(tag)) {
    throw invalid(
      `Label ${KUBE_TAG_LABEL}=${tag} is not a supported Kubernetes version; supported: ${supportedKubeTags().join(', ')}.`,
    );
  }
  return tag;
}

/**
 * The node-image family (`docker` or `kubernetes`) of a template's image; a 400 saying it is not a Magnetar node
 * image when the image lacks the {@link NODE_IMAGE_LABEL} label (such an image has no bootstrap entrypoint, and would
 * otherwise fail only when the first node starts). The caller has already checked that the image exists.
 */
export async function checkNodeImage(images: ImageCatalog, imageId: string): Promise<string> {
  const family = (await images.labels(imageId))?.[NODE_IMAGE_LABEL];
  if (!family) {
    throw invalid(
      `Image ${imageId} is not a Magnetar node image (it has no ${NODE_IMAGE_LABEL} label); ` +
        `build one with "magnetar image build" (swarm, docker) or "${kubeImageBuildCommand(DEFAULT_KUBE_TAG)}".`,
    );
  }
  return family;
}

/**
 * The node image for a Kubernetes template's labels: the `kube_tag` must be supported ({@link checkKubeTag}) and its
 * image built, else a 400 naming the label and the exact command that builds the image.
 */
export async function checkKubeImage(images: ImageCatalog, labels: Readonly<Record<string, string>>): Promise<string> {
  const tag = checkKubeTag(labels);
  const image = kubeNodeImage(tag);
  const found = await images.labels(image);
  if (found === undefined || found[KUBE_VERSION_LABEL] !== tag) {
    const state = found === undefined ? 'is not built' : `is not a Kubernetes ${tag} node image`;
    throw invalid(
      `Label ${KUBE_TAG_LABEL}=${tag}: the node image ${image} ${state}; build it with "${kubeImageBuildCommand(tag)}".`,
    );
  }
  return image;
}

/** The numbers of a kube tag (`v1.37.2` → 1, 37, 2); undefined when it is not `vX.Y.Z`. */
export function parseKubeTag(tag: string): { major: number; minor: number; patch: number } | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(tag);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** The minor version of a tag as Kubernetes names it, e.g. `v1.37`. */
const minorOf = (v: { major: number; minor: number }): string => `v${v.major}.${v.minor}`;

/**
 * The rules for moving a node group from `current` to `next` by an upgrade: never down — Magnum's own rule and its
 * message, `InvalidVersion` "Received invalid tag for kube_tag." (400) — and, Kubernetes' version-skew rule, one minor
 * version at a time (Magnum does not check it; a control plane that skips a minor is not supported upstream). The
 * same version is allowed (a template switch). Tags that do not parse are not compared, as Magnum skips them.
 * @throws MagnumError 400 `InvalidVersion` naming the label, both versions and the reason.
 */
export function checkKubeUpgrade(current: string, next: string): void {
  const from = parseKubeTag(current);
  const to = parseKubeTag(next);
  if (!from || !to) return;
  const refuse = (why: string): MagnumError =>
    new MagnumError('InvalidVersion', `Received invalid tag for ${KUBE_TAG_LABEL}. ${why}`);
  const order = to.major - from.major || to.minor - from.minor || to.patch - from.patch;
  if (order < 0)
    throw refuse(`${next} is older than ${current}, the version the node group runs: downgrades are not supported.`);
  const skipped = to.major !== from.major || to.minor - from.minor > 1;
  if (skipped) {
    throw refuse(
      `${current} to ${next} skips a minor version: Kubernetes is upgraded one minor version at a time ` +
        `(to ${minorOf({ major: from.major, minor: from.minor + 1 })}.x first).`,
    );
  }
}

/**
 * The Kubernetes version a node group runs: its own `kube_tag` label (an upgrade of one node group moves only its
 * label, as Magnum's), else the cluster's, else the default.
 */
export const groupKubeTag = (
  groupLabels: Readonly<Record<string, string>>,
  clusterLabels: Readonly<Record<string, string>>,
): string => groupLabels[KUBE_TAG_LABEL] ?? clusterLabels[KUBE_TAG_LABEL] ?? DEFAULT_KUBE_TAG;
