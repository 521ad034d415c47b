/**
 * @module The Kubernetes labels a template or cluster may carry, validated and turned into typed settings. Used at
 * template and cluster create (a 400 naming the label) and again by the driver when it renders the nodes. Pure.
 *
 * Defaults follow Magnum's Kubernetes driver: services 10.254.0.0/16, pods 10.100.0.0/16 (`pods_network_cidr`, or
 * Magnum's older `flannel_network_cidr`), node pod ranges /24 (`flannel_network_subnetlen`), flannel vxlan,
 * `dns_cluster_domain` cluster.local, metrics-server enabled. One difference: Magnum's `dns_service_ip` default is
 * the fixed 10.254.0.10 even when `service_cluster_ip_range` moves (leaving DNS outside the range); Magnetar takes
 * the 10th address of the service range.
 */
import { invalid, type MagnumError } from '../../core/errors.ts';
import { checkKubeTag } from '../../core/kube-versions.ts';
import { parseBool, type Labels } from '../../core/labels.ts';
import { contains, nthAddress, overlaps, parseCidr, parseIpv4, type Ipv4Net } from './cidr.ts';
import { apiserverFlags, flagWords, kubeletFlags } from './flags.ts';

export const DEFAULT_SERVICE_CIDR = '10.254.0.0/16';
export const DEFAULT_PODS_CIDR = '10.100.0.0/16';
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
export const DEFAULT_NODE_MASK = 24;

export type FlannelBackend = 'vxlan' | 'host-gw';

/** Everything the labels decide about a Kubernetes cluster. */
export interface KubeSettings {
  kubeTag: string;
  flannelBackend: FlannelBackend;
  serviceCidr: Ipv4Net;
  podsCidr: Ipv4Net;
  /** Prefix length of each node's pod range (`--node-cidr-mask-size`). */
  nodeCidrMask: number;
  /** The `kubernetes` Service address: the first of the service range. */
  apiServiceIp: string;
  dnsServiceIp: string;
  clusterDomain: string;
  /** Extra kubelet / kube-apiserver argv words from `kubelet_options` / `kubeapi_options`. */
  kubeletArgs: string[];
  apiserverArgs: string[];
  metricsServer: boolean;
  /** Prometheus scraping the kubelets, cAdvisor and the apiserver (`prometheus_monitoring` or `monitoring_enabled`). */
  monitoring: boolean;
  autoHealing: boolean;
  /** GB of the masters' etcd volume; null: no size limit (a plain local volume). */
  etcdVolumeGb: number | null;
  minNodeCount: number | null;
  maxNodeCount: number | null;
}

/** The labels validated here (others are stored, as Magnum does, and unused). */
export const KUBE_LABELS = [
  'kube_tag',
  'flannel_backend',
  'service_cluster_ip_range',
  'pods_network_cidr',
  'flannel_network_cidr',
  'flannel_network_subnetlen',
  'dns_service_ip',
  'dns_cluster_domain',
  'kubelet_options',
  'kubeapi_options',
  'metrics_server_enabled',
  'prometheus_monitoring',
  'monitoring_enabled',
  'grafana_admin_passwd',
  'grafana_tag',
  'influx_grafana_dashboard_enabled',
  'auto_healing_enabled',
  'etcd_volume_size',
  'docker_volume_size',
  'min_node_count',
  'max_node_count',
] as const;

const bad = (label: string, value: string, why: string): MagnumError =>
  invalid(`Label ${label}=${value} is not valid: ${why}.`);

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function bool(labels: Labels, key: string, dflt: boolean): boolean {
  const v = labels[key];
  if (v === undefined) return dflt;
  const b = parseBool(v);
  if (b === undefined) throw bad(key, v, 'must be true or false');
  return b;
}

function int(labels: Labels, key: string, min: number, max: number): number | null {
  const v = labels[key];
  if (v === undefined || v === '') return null;
  if (!/^\d+$/.test(v.trim())) throw bad(key, v, 'must be a non-negative integer');
  const n = Number(v.trim());
  if (n < min || n > max) throw bad(key, v, `must be between ${min} and ${max}`);
  return n;
}

function cidr(labels: Labels, key: string, dflt: string, minBits: number, maxBits: number): Ipv4Net {
  const v = labels[key];
  if (v === undefined || v === '') return parseCidr(dflt) as Ipv4Net;
  const net = parseCidr(v);
  if (!net) throw bad(key, v, 'must be an IPv4 CIDR such as 10.254.0.0/16, with no host bits set');
  if (net.bits < minBits || net.bits > maxBits) throw bad(key, v, `the prefix must be /${minBits} to /${maxBits}`);
  return net;
}

const NO_GRAFANA =
  'Grafana is not available in Magnetar (it cannot be built here); prometheus_monitoring or monitoring_enabled ' +
  'deploy Prometheus alone, queried through its HTTP API';

/**
 * The monitoring labels: Magnum's `prometheus_monitoring` (its Heat fragment) and `monitoring_enabled` (its
 * prometheus-operator chart) both deploy Prometheus here. What asks for Grafana is refused: its password and image tag
 * (`grafana_admin_passwd`, `grafana_tag`, whatever their value) and `influx_grafana_dashboard_enabled=true`.
 */
function monitoringLabels(labels: Labels): boolean {
  for (const key of ['grafana_admin_passwd', 'grafana_tag'] as const) {
    const v = labels[key];
    if (v !== undefined) throw bad(key, key === 'grafana_admin_passwd' ? '***' : v, NO_GRAFANA);
  }
  if (bool(labels, 'influx_grafana_dashboard_enabled', false))
    throw bad('influx_grafana_dashboard_enabled', labels.influx_grafana_dashboard_enabled ?? '', NO_GRAFANA);
  const prometheus = bool(labels, 'prometheus_monitoring', false);
  const monitoring = bool(labels, 'monitoring_enabled', false);
  return prometheus || monitoring;
}

/** What the settings are checked against besides the labels themselves. */
export interface SettingsContext {
  networkDriver: string | null;
  /** The cluster's node network when it is fixed (template or cluster `fixed_subnet`). */
  fixedSubnet?: string | null;
}

/**
 * Validates the labels and the network driver and returns the settings.
 * @throws MagnumError (400 InvalidParameterValue) naming the label and why.
 */
export function kubeSettings(labels: Labels, ctx: SettingsContext): KubeSettings {
  const nd = ctx.networkDriver ?? 'flannel';
  if (nd === 'calico') {
    throw invalid(
      'Network driver type calico is not supported by the kubernetes driver: Calico cannot be built here (it has no ' +
        'tagged release usable as a Go module) and this kernel lacks IPIP; use flannel (flannel_backend vxlan or host-gw).',
    );
  }
  if (nd !== 'flannel')
    throw invalid(`Network driver type ${nd} is not supported by the kubernetes driver, expecting flannel.`);

  const kubeTag = checkKubeTag(labels);

  const backend = labels.flannel_backend ?? 'vxlan';
  if (backend !== 'vxlan' && backend !== 'host-gw') {
    throw bad(
      'flannel_backend',
      backend,
      backend === 'udp'
        ? 'the udp backend is not supported (it is slow and deprecated in flannel); use vxlan or host-gw'
        : 'must be vxlan or host-gw',
    );
  }

  // The apiserver allows at most 2^20 service addresses (/12); a node range must leave room for nodes.
  const serviceCidr = cidr(labels, 'service_cluster_ip_range', DEFAULT_SERVICE_CIDR, 12, 28);
  const podsKey =
    labels.pods_network_cidr === undefined && labels.flannel_network_cidr !== undefined
      ? 'flannel_network_cidr'
      : 'pods_network_cidr';
  const podsCidr = cidr(labels, podsKey, DEFAULT_PODS_CIDR, 8, 28);
  const nodeCidrMask = int(labels, 'flannel_network_subnetlen', 16, 30) ?? DEFAULT_NODE_MASK;
  if (nodeCidrMask <= podsCidr.bits) {
    throw bad(
      'flannel_network_subnetlen',
      String(nodeCidrMask),
      `each node's pod range (/${nodeCidrMask}) must be smaller than ${podsKey} ${podsCidr.text}`,
    );
  }
  if (overlaps(serviceCidr, podsCidr)) {
    throw bad(podsKey, podsCidr.text, `overlaps service_cluster_ip_range ${serviceCidr.text}`);
  }
  const fixed = ctx.fixedSubnet ? parseCidr(ctx.fixedSubnet) : undefined;
  if (fixed) {
    if (overlaps(serviceCidr, fixed))
      throw bad('service_cluster_ip_range', serviceCidr.text, `overlaps the cluster's fixed_subnet ${fixed.text}`);
    if (overlaps(podsCidr, fixed))
      throw bad(podsKey, podsCidr.text, `overlaps the cluster's fixed_subnet ${fixed.text}`);
  }

  const apiServiceIp = nthAddress(serviceCidr, 1);
  const dnsText = labels.dns_service_ip?.trim() || nthAddress(serviceCidr, 10);
  const dnsIp = parseIpv4(dnsText);
  if (dnsIp === undefined) throw bad('dns_service_ip', dnsText, 'must be an IPv4 address');
  if (!contains(serviceCidr, dnsIp) || dnsIp === serviceCidr.first || dnsIp === serviceCidr.last)
    throw bad('dns_service_ip', dnsText, `must be a host address inside service_cluster_ip_range ${serviceCidr.text}`);
  if (dnsText === apiServiceIp)
    throw bad('dns_service_ip', dnsText, `${apiServiceIp} is the kubernetes Service's address`);

  const clusterDomain = (labels.dns_cluster_domain ?? DEFAULT_CLUSTER_DOMAIN).trim().toLowerCase();
  if (!DNS_NAME.test(clusterDomain))
    throw bad('dns_cluster_domain', labels.dns_cluster_domain ?? '', 'must be a DNS domain such as cluster.local');

  const kubelet = kubeletFlags(labels.kubelet_options ?? '');
  if (typeof kubelet === 'string') throw bad('kubelet_options', labels.kubelet_options ?? '', kubelet);
  const apiserver = apiserverFlags(labels.kubeapi_options ?? '');
  if (typeof apiserver === 'string') throw bad('kubeapi_options', labels.kubeapi_options ?? '', apiserver);

  const etcdVolumeGb = int(labels, 'etcd_volume_size', 0, 100_000);
  int(labels, 'docker_volume_size', 0, 100_000);
  const minNodeCount = int(labels, 'min_node_count', 0, 1_000);
  const maxNodeCount = int(labels, 'max_node_count', 0, 1_000);
  if (minNodeCount !== null && maxNodeCount !== null && minNodeCount > maxNodeCount)
    throw bad('max_node_count', String(maxNodeCount), `must be at least min_node_count (${minNodeCount})`);

  return {
    kubeTag,
    flannelBackend: backend,
    serviceCidr,
    podsCidr,
    nodeCidrMask,
    apiServiceIp,
    dnsServiceIp: dnsText,
    clusterDomain,
    kubeletArgs: flagWords(kubelet),
    apiserverArgs: flagWords(apiserver),
    metricsServer: bool(labels, 'metrics_server_enabled', true),
    monitoring: monitoringLabels(labels),
    autoHealing: bool(labels, 'auto_healing_enabled', false),
    etcdVolumeGb: etcdVolumeGb || null,
    minNodeCount,
    maxNodeCount,
  };
}
