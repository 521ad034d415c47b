/**
 * @module images/build-specs — what is built from which Go module of this repository (`build/kubernetes/<tag>/`,
 * `build/addons/<name>/`), with which version stamps.
 */
import { join } from 'node:path';
import { ADDON_VERSIONS, type KubeRelease } from '../core/kube-versions.ts';
import type { GoBuildSpec } from './go-build.ts';

/** The Kubernetes components of the multicall binary `kube` (each a symlink to it in `/opt/k8s/bin`). */
export const KUBE_COMPONENTS = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'kubectl',
] as const;

/** The multicall Kubernetes binary of one release. */
export function kubeSpec(buildDir: string, release: KubeRelease): GoBuildSpec {
  const [major, minor] = release.tag.replace(/^v/, '').split('.');
  const stamps: Record<string, string> = {};
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    Object.assign(stamps, {
      [`${pkg}.gitVersion`]: release.tag,
      [`${pkg}.gitMajor`]: major ?? '',
      [`${pkg}.gitMinor`]: minor ?? '',
      [`${pkg}.gitCommit`]: '', // the module proxy does not say which commit a tag is
      [`${pkg}.gitTreeState`]: 'clean',
      [`${pkg}.buildDate`]: release.releaseDate,
    });
  }
  return {
    title: `kube binaries ${release.tag}`,
    subdir: 'k8s',
    key: release.tag,
    moduleDir: join(buildDir, 'kubernetes', release.tag),
    targets: [{ pkg: '.', out: 'kube' }],
    stamps,
    links: Object.fromEntries(KUBE_COMPONENTS.map((c) => [c, 'kube'])),
  };
}

const addonDir = (buildDir: string, name: string): string => join(buildDir, 'addons', name);
const bare = (v: string): string => v.replace(/^v/, '');

/**
 * Prometheus's build tags: every service-discovery plugin left out but Kubernetes' (the only one a cluster's
 * Prometheus uses), and no `builtinassets` (the web UI is not embedded; the HTTP API is all that is served).
 */
export const PROMETHEUS_TAGS = ['remove_all_sd', 'enable_kubernetes_sd'] as const;

/** The add-on binaries (same for every kube tag): etcd + etcdctl, flanneld, CoreDNS, metrics-server, Prometheus. */
export function addonSpecs(buildDir: string): GoBuildSpec[] {
  const v = ADDON_VERSIONS;
  return [
    {
      // etcd's version is a constant of its api module (3.7.3); nothing to stamp.
      title: `etcd ${v.etcd}`,
      subdir: 'addons',
      key: `etcd-${v.etcd}`,
      moduleDir: addonDir(buildDir, 'etcd'),
      targets: [
        { pkg: 'go.etcd.io/etcd/server/v3', out: 'etcd' },
        { pkg: 'go.etcd.io/etcd/etcdctl/v3', out: 'etcdctl' },
      ],
      stamps: {},
    },
    {
      title: `flanneld ${v.flannel}`,
      subdir: 'addons',
      key: `flannel-${v.flannel}`,
      moduleDir: addonDir(buildDir, 'flannel'),
      targets: [{ pkg: 'github.com/flannel-io/flannel', out: 'flanneld' }],
      stamps: { 'github.com/flannel-io/flannel/pkg/version.Version': v.flannel },
      cgo: true,
    },
    {
      // CoreDNS's version is the constant coremain.CoreVersion; the commit is unknown from the module proxy.
      title: `coredns ${v.coredns}`,
      subdir: 'addons',
      key: `coredns-${v.coredns}`,
      moduleDir: addonDir(buildDir, 'coredns'),
      targets: [{ pkg: 'github.com/coredns/coredns', out: 'coredns' }],
      stamps: { 'github.com/coredns/coredns/coremain.GitCommit': `module-${bare(v.coredns)}` },
      tags: ['grpcnotrace'],
    },
    {
      title: `metrics-server ${v.metricsServer}`,
      subdir: 'addons',
      key: `metrics-server-${v.metricsServer}`,
      moduleDir: addonDir(buildDir, 'metrics-server'),
      targets: [{ pkg: 'sigs.k8s.io/metrics-server/cmd/metrics-server', out: 'metrics-server' }],
      stamps: { 'k8s.io/client-go/pkg/version.gitVersion': v.metricsServer },
    },
    {
      // The module version v0.316.0 is the release v3.16.0; the commit is unknown from the module proxy.
      title: `prometheus ${v.prometheus}`,
      subdir: 'addons',
      key: `prometheus-${v.prometheus}`,
      moduleDir: addonDir(buildDir, 'prometheus'),
      targets: [{ pkg: 'github.com/prometheus/prometheus/cmd/prometheus', out: 'prometheus' }],
      stamps: {
        'github.com/prometheus/common/version.Version': bare(v.prometheus),
        'github.com/prometheus/common/version.Revision': 'module-v0.316.0',
      },
      tags: PROMETHEUS_TAGS,
    },
  ];
}
