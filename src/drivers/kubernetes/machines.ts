/**
 * @module What the Kubernetes driver asks the provider for, per planned node: the node image of the cluster's
 * Kubernetes version, the flavor, the fixed address, the volumes (containerd's on every node, etcd's on masters), the
 * API port of masters, and the cloud-init payload with the node's own certificates.
 */
import { checkKubeImage } from '../../core/kube-versions.ts';
import type { Labels } from '../../core/labels.ts';
import type { ClusterPki, ClusterSpec } from '../contract.ts';
import type { PlannedNode } from '../local-common/node-plan.ts';
import { renderUserData } from '../../providers/cloud-config.ts';
import type { MachineSpec, Network, Provider } from '../../providers/contract.ts';
import { nodeLabels, selfLabels } from './addons.ts';
import type { ControlPlane } from './control-plane.ts';
import { nthAddress, parseCidr } from './cidr.ts';
import { APISERVER_PORT, CONTAINERD_DIR, ETCD_DATA_DIR } from './layout.ts';
import { nodeCloudConfig, type NodeCloudConfig } from './payload.ts';
import {
  issueMasterCerts,
  issueNodeCerts,
  newClusterSecret,
  SECRET_KINDS,
  type ClusterCaIssuer,
  type ClusterSecrets,
} from './pki.ts';
import type { KubeSettings } from './settings.ts';

/** The port name the conductor reaches a master's apiserver by. */
export const KUBE_API_PORT = 'kube-api';

/** The cluster CA as the PKI module wants it. */
export function caIssuer(pki: ClusterPki): ClusterCaIssuer {
  return {
    caPem: pki.caPem,
    server: (cn, dns, ips) => pki.issueServer(cn, dns, ips),
    client: (cn, org) => pki.issueClient(cn, org),
  };
}

/** The cluster-wide secrets: made on the first run, the same on every later one. */
export async function clusterSecrets(pki: ClusterPki, clusterName: string): Promise<ClusterSecrets> {
  const [etcdCa, frontProxyCa, serviceAccount] = await Promise.all(
    (['etcdCa', 'frontProxyCa', 'serviceAccount'] as const).map((k) =>
      pki.secret(SECRET_KINDS[k], () => newClusterSecret(k, clusterName)),
    ),
  );
  return { etcdCa, frontProxyCa, serviceAccount } as ClusterSecrets;
}

/**
 * The node image of the cluster's Kubernetes version: `magnetar/k8s-node:<kube_tag>` (the default version when the
 * label is absent), checked to be built and to be that version's image (`core/kube-versions.ts`). The template's own
 * image only names the OS (`os_distro`), as a Glance image does for Magnum.
 * @throws MagnumError (400) naming the label and the command that builds the image.
 */
export function kubeImage(provider: Pick<Provider, 'image'>, labels: Labels, signal?: AbortSignal): Promise<string> {
  const properties = async (ref: string): Promise<Readonly<Record<string, string>> | undefined> =>
    (await provider.image(ref, signal))?.properties;
  const osDistro = async (ref: string): Promise<string | null | undefined> => {
    const p = await properties(ref);
    return p === undefined ? undefined : (p.os_distro ?? null);
  };
  return checkKubeImage({ labels: properties, osDistro }, labels);
}

/** A planned node's fixed address on the cluster network. */
export function nodeAddress(network: Pick<Network, 'cidr'>, p: Pick<PlannedNode, 'host'>): string {
  const net = parseCidr(network.cidr);
  if (!net) throw new RangeError(`the cluster network ${network.cidr} is not an IPv4 CIDR`);
  return nthAddress(net, p.host);
}

/** Everything a node's spec is built from besides the node itself. */
export interface SpecContext {
  cluster: ClusterSpec;
  pki: ClusterPki;
  settings: KubeSettings;
  network: Network;
  /** The masters and the one address nodes reach the API servers at (the load balancer's, or the only master's). */
  controlPlane: ControlPlane;
  resolvers: readonly string[];
  /** Made once per run (masters only need them). */
  secrets: () => Promise<ClusterSecrets>;
}

/**
 * A planned node's cloud-config (certificates issued now), its certificate files and kubeconfigs trusting `caPem`
 * (default: the cluster CA; ca-rotate passes the bundle of the new and the replaced CAs).
 */
export async function nodeConfig(c: SpecContext, p: PlannedNode, caPem = c.pki.caPem): Promise<NodeCloudConfig> {
  const master = p.role === 'master';
  const group = c.cluster.nodegroups.find((g) => g.name === p.nodegroup);
  const issuer = caIssuer(c.pki);
  const node = { hostname: p.hostname, ip: nodeAddress(c.network, p) };
  const certs = await issueNodeCerts(issuer, node);
  const masterPart = master
    ? await (async () => {
        const secrets = await c.secrets();
        return { certs: await issueMasterCerts(issuer, secrets, node, c.settings, c.controlPlane), secrets };
      })()
    : undefined;
  return nodeCloudConfig({
    node: { ...node, master },
    labels: selfLabels(nodeLabels({ name: p.nodegroup, role: group?.role ?? p.role })),
    controlPlane: c.controlPlane,
    settings: c.settings,
    caPem,
    certs,
    ...(masterPart ? { master: masterPart } : {}),
    resolvers: c.resolvers,
  });
}

/** The provider spec of one planned node, with its payload (certificates issued now). */
export async function machineSpec(
  c: SpecContext,
  p: PlannedNode,
  image: string,
  previousEndpoints?: MachineSpec['previousEndpoints'],
): Promise<MachineSpec> {
  const master = p.role === 'master';
  const address = nodeAddress(c.network, p);
  const group = c.cluster.nodegroups.find((g) => g.name === p.nodegroup);
  const payload = await nodeConfig(c, p);
  const volumeGb = group?.dockerVolumeSize ?? null;
  return {
    name: p.name,
    hostname: p.hostname,
    clusterUuid: c.cluster.uuid,
    role: p.role,
    nodegroup: p.nodegroup,
    index: p.index,
    image,
    flavor: group?.flavorId ? { name: group.flavorId, limits: group.flavor } : null,
    network: { id: c.network.id, address },
    volumes: [
      // containerd's overlayfs snapshotter cannot stack on the node's own overlay root; a worker starts empty.
      { name: `${p.name}-containerd`, mountPath: CONTAINERD_DIR, sizeGb: volumeGb || null, keep: false },
      // etcd's data survives the master's machine being made again (heal, upgrade).
      ...(master
        ? [{ name: `${p.name}-etcd`, mountPath: ETCD_DATA_DIR, sizeGb: c.settings.etcdVolumeGb, keep: true }]
        : []),
    ],
    labels: {},
    ports: master ? [{ name: KUBE_API_PORT, port: APISERVER_PORT }] : [],
    userData: renderUserData(payload),
    ...(previousEndpoints ? { previousEndpoints } : {}),
  };
}
