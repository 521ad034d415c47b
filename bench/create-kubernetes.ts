/**
 * @module bench/create-kubernetes: the floor of bench/create for Kubernetes: a 1 (or N) master + 2 worker cluster made
 * with the driver's pure modules (node plan, certificates, settings, the cloud-init payload, the add-on objects) and direct
 * engine and apiserver calls, with no store, API, conductor or events: network on a free /24; the node containers
 * (same image, volumes, published apiserver port and payload archive as DockerProvider) and, with several masters,
 * the API load balancer, in parallel; then the apiservers polled every 100 ms: readyz of each master (and through the
 * load balancer), the add-ons applied, nodes labelled and Ready, CoreDNS available.
 */
import { createCa, issueClientCert, issueServerCert } from '../src/certs/x509.ts';
import { DEFAULT_KUBE_TAG, kubeNodeImage } from '../src/core/kube-versions.ts';
import type { ClusterPki, ClusterSpec } from '../src/drivers/contract.ts';
import { addons, DEFAULT_ADDON_IMAGES, nodeLabels } from '../src/drivers/kubernetes/addons.ts';
import { apiBalancerSpec } from '../src/drivers/kubernetes/api-balancer.ts';
import { controlPlane } from '../src/drivers/kubernetes/control-plane.ts';
import { KubeApi, nodeReady } from '../src/drivers/kubernetes/kube-api.ts';
import { APISERVER_PORT } from '../src/drivers/kubernetes/layout.ts';
import { clusterSecrets, machineSpec, nodeAddress, type SpecContext } from '../src/drivers/kubernetes/machines.ts';
import { kubeSettings } from '../src/drivers/kubernetes/settings.ts';
import { planNodes } from '../src/drivers/local-common/node-plan.ts';
import { probeNodeSecurity, securityHostConfig } from '../src/providers/docker/node-security.ts';
import { DockerLoadBalancers } from '../src/providers/docker/load-balancers.ts';
import { payloadArchive } from '../src/providers/docker/payload.ts';
import { hostResolvers } from '../src/providers/docker/provider.ts';
import {
  BENCH_LABEL,
  FloorClock,
  floorNetwork,
  floorStartNode,
  sleep,
  type FloorHost,
  type FloorResult,
} from './create-shared.ts';

export const KUBE_NODE_IMAGE = kubeNodeImage(DEFAULT_KUBE_TAG);
const POLL_MS = 100;
const WAIT_MS = 180_000;

/** Polls `check` every {@link POLL_MS} until it returns true; errors count as "not yet" until the deadline. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let last = 'no answer yet';
  for (;;) {
    try {
      if (await check()) return;
      last = 'not yet';
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`floor: ${what} after ${WAIT_MS / 1000} s (${last})`);
    await sleep(POLL_MS);
  }
}

/** An in-memory cluster CA with the calls the driver's payload builder makes. */
async function memoryPki(name: string): Promise<ClusterPki> {
  const ca = await createCa({ commonName: name });
  let conductor: Promise<{ certPem: string; keyPem: string }> | undefined;
  return {
    caPem: ca.certPem,
    issueServer: (commonName, dnsNames, ipAddresses) => issueServerCert(ca, { commonName, dnsNames, ipAddresses }),
    issueClient: (commonName, organization) =>
      issueClientCert(ca, { commonName, ...(organization ? { organization } : {}) }),
    conductorClient: () =>
      (conductor ??= issueClientCert(ca, { commonName: 'magnetar-conductor', organization: 'system:masters' })),
    secret: (_kind, make) => make(),
    previousCaPem: () => Promise.resolve(undefined),
    forgetPreviousCa: () => Promise.resolve(),
  };
}

/**
 * Creates a `masters` master + 2 worker Kubernetes cluster and waits for what the driver waits for (every master's
 * apiserver ready, all nodes Ready, CoreDNS available). With several masters the API load balancer (the provider's
 * haproxy container, same spec as the driver's) is made alongside the nodes and the cluster is reached through it.
 * Returns the milliseconds it took. Everything it makes carries `magnetar.bench=<id>`; the caller removes it with
 * `floorCleanup`.
 */
export async function kubernetesFloorCreate(fh: FloorHost, id: string, masterCount = 1): Promise<FloorResult> {
  const { host } = fh;
  const clock = new FloorClock();
  fh.security ??= await probeNodeSecurity(host, KUBE_NODE_IMAGE);
  const sec = fh.security;
  const labels = { [BENCH_LABEL]: id };
  const name = `bench-${id}`;

  const pki = await memoryPki(name);
  const netName = `magnetar-bench-${id}`;
  const net = await floorNetwork(host, netName, labels);
  const network = { ...net, name: netName, created: true };
  clock.mark(`network created on ${net.cidr}`);
  const settings = kubeSettings({}, { networkDriver: 'flannel', fixedSubnet: null });
  const group = (role: 'master' | 'worker', nodeCount: number): ClusterSpec['nodegroups'][number] => ({
    name: `default-${role}`,
    role,
    nodeCount,
    flavorId: null,
    flavor: null,
    imageId: KUBE_NODE_IMAGE,
    isDefault: true,
    dockerVolumeSize: null,
    labels: {},
  });
  const cluster: ClusterSpec = {
    uuid: name,
    name,
    projectId: 'bench',
    coe: 'kubernetes',
    imageId: KUBE_NODE_IMAGE,
    tlsDisabled: false,
    fixedSubnet: null,
    dnsNameservers: [],
    networkDriver: 'flannel',
    masterLbEnabled: false,
    labels: {},
    nodegroups: [group('master', masterCount), group('worker', 2)],
  };
  const plan = planNodes({
    uuid: name,
    name,
    groups: cluster.nodegroups.map((g) => ({ name: g.name, role: g.role, nodeCount: g.nodeCount, imageId: g.imageId })),
    observed: [],
  });
  const masters = plan.nodes
    .filter((p) => p.role === 'master')
    .map((p) => ({ hostname: p.hostname, ip: nodeAddress(network, p) }));
  const lbSpec = masterCount > 1 ? { ...apiBalancerSpec({ clusterUuid: name, network, masters }), labels } : undefined;
  const resolvers = await hostResolvers();
  let secrets: ReturnType<SpecContext['secrets']> | undefined;
  const specCtx: SpecContext = {
    cluster,
    pki,
    settings,
    network,
    controlPlane: controlPlane({
      masters,
      balancer: lbSpec ? { address: lbSpec.network.vipAddress, port: APISERVER_PORT } : null,
      etcdStart: 'new',
      etcdToken: name,
    }),
    resolvers,
    secrets: () => (secrets ??= clusterSecrets(pki, name)),
  };

  // The load balancer (several masters) alongside the node containers.
  const lb = lbSpec
    ? new DockerLoadBalancers(host).ensure(lbSpec).then((b) => {
        clock.mark(`load balancer started at ${b.vipAddress}`);
        return b;
      })
    : undefined;
  // The node containers, in parallel: each one's certificates and payload, then create, payload archive, start.
  const started3 = await Promise.all(
    plan.nodes.map(async (p) => {
      const spec = await machineSpec(specCtx, p, KUBE_NODE_IMAGE);
      const ports = spec.ports;
      const node = await floorStartNode(
        host,
        spec.name,
        (port) => ({
          Image: spec.image,
          Hostname: spec.hostname,
          Labels: { ...labels, 'magnetar.bench.role': spec.role },
          ExposedPorts: Object.fromEntries(ports.map((x) => [`${x.port}/tcp`, {}])),
          StopTimeout: 30,
          HostConfig: {
            Init: true,
            ...securityHostConfig(sec),
            CgroupnsMode: 'private',
            Mounts: spec.volumes.map((v) => ({
              Type: 'volume' as const,
              Source: v.name,
              Target: v.mountPath,
              VolumeOptions: { Labels: labels },
            })),
            PortBindings: Object.fromEntries(
              ports.map((x) => [`${x.port}/tcp`, [{ HostIp: '127.0.0.1', HostPort: String(port) }]]),
            ),
            RestartPolicy: { Name: 'unless-stopped' },
          },
          NetworkingConfig: { EndpointsConfig: { [net.id]: { IPAMConfig: { IPv4Address: spec.network.address } } } },
        }),
        payloadArchive(spec.userData),
      );
      clock.mark(`node ${p.hostname} started`);
      return { plan: p, ...node };
    }),
  );

  // The apiservers, as the conductor reaches them (client certificate in system:masters): every master's, then the
  // load balancer's.
  const client = await pki.conductorClient();
  const masterApis = started3
    .filter((n) => n.plan.role === 'master')
    .map((n) => new KubeApi({ host: '127.0.0.1', port: n.port, caPem: pki.caPem, ...client }));
  const balancer = await lb;
  const api = balancer
    ? new KubeApi({ host: balancer.vipAddress, port: APISERVER_PORT, caPem: pki.caPem, ...client })
    : (masterApis[0] as KubeApi);
  try {
    await Promise.all(
      masterApis.map((a) => until('apiserver not ready', async () => (await a.readyz(undefined, 5_000)).ok)),
    );
    if (balancer) await until('load balancer not ready', async () => (await api.readyz(undefined, 5_000)).ok);
    clock.mark(masterApis.length > 1 ? `${masterApis.length} apiservers ready` : 'apiserver ready');
    const objects = addons(settings, resolvers, DEFAULT_ADDON_IMAGES);
    for (const o of objects) await api.apply(o);
    clock.mark(`applied ${objects.length} objects`);
    const wanted = new Map(plan.nodes.map((p) => [p.hostname, nodeLabels({ name: p.nodegroup, role: p.role })]));
    const labelled = new Set<string>();
    await until('nodes not all Ready', async () => {
      const nodes = await api.listNodes();
      for (const n of nodes) {
        const want = wanted.get(n.metadata.name);
        if (!want || labelled.has(n.metadata.name)) continue;
        await api.patchNode(n.metadata.name, { metadata: { labels: want } });
        labelled.add(n.metadata.name);
      }
      const ready = nodes.filter((n) => wanted.has(n.metadata.name) && nodeReady(n) === 'True').length;
      return ready === wanted.size && labelled.size === wanted.size;
    });
    clock.mark(`${wanted.size} nodes Ready`);
    await until('CoreDNS not available', async () => {
      const d = await api.get<{ spec?: { replicas?: number }; status?: { availableReplicas?: number } }>(
        '/apis/apps/v1/namespaces/kube-system/deployments/coredns',
      );
      return (d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1);
    });
    clock.mark('CoreDNS available');
  } finally {
    for (const a of new Set([api, ...masterApis])) a.close();
  }
  return clock.done();
}
